"""Frame sources: video files, image-sequence folders and single images, streamed frame by frame.

Frames are RGB uint8 arrays of shape (H, W, 3). Nothing is kept after a frame is handed on, so
memory does not grow with video length.
"""

from __future__ import annotations

import glob
import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from .errors import InputError

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".webp", ".jp2"}
)
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".m4v", ".wmv", ".flv", ".mts", ".m2ts", ".3gp", ".ogv"}
)
_GLOB_CHARS = re.compile(r"[*?\[]")


def natural_key(name: str) -> tuple:
    """Sort key putting 'img2' before 'img10' (digit runs compare as numbers)."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))


def _is_visible(name: str) -> bool:
    return not name.startswith(".")


def _is_image(name: str) -> bool:
    return _is_visible(name) and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _is_video(name: str) -> bool:
    return _is_visible(name) and os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def list_images(folder: str) -> list[str]:
    """Visible image files directly inside ``folder``, in natural order."""
    return sorted((name for name in os.listdir(folder) if _is_image(name)), key=natural_key)


def read_image(path: str) -> Optional[np.ndarray]:
    """RGB uint8 image, or None when the file cannot be decoded (works with non-ASCII paths)."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class Frame:
    """One frame: position in the sequence, time in seconds (NaN when unknown) and pixels.

    ``image`` is None when this frame could not be decoded; ``error`` then says why.
    """

    index: int
    timestamp: float
    image: Optional[np.ndarray]
    name: Optional[str] = None
    error: Optional[str] = None


@dataclass
class Source:
    """A sequence to extract: a video, an image folder or a single image.

    ``width``, ``height``, ``fps`` and ``frame_count`` are known after :meth:`open`.
    """

    path: str
    id: str
    kind: str  # "video", "images" or "image"
    width: int = 0
    height: int = 0
    fps: float = math.nan
    frame_count: int = 0
    frame_names: Optional[list[str]] = field(default=None, repr=False)
    # Image folders only: read just these files (in this order) and record these frame positions.
    select: Optional[list[str]] = field(default=None, repr=False)
    frame_numbers: Optional[list[int]] = field(default=None, repr=False)

    def open(self) -> Source:
        """Check the input can be read and fill in size, rate and length; raise InputError if not."""
        if self.kind == "video":
            capture = self._capture()
            ok, first = capture.read()
            self.frame_count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
            fps = capture.get(cv2.CAP_PROP_FPS)
            capture.release()
            if not ok or first is None:
                raise InputError(f"{self.path}: no frame could be decoded (corrupt or not a video)")
            self.height, self.width = first.shape[:2]
            self.fps = float(fps) if fps and fps > 0 and math.isfinite(fps) else math.nan
            return self
        if self.kind == "images":
            self.frame_names = list_images(self.path) if self.select is None else list(self.select)
            missing = [name for name in self.frame_names if not os.path.isfile(os.path.join(self.path, name))]
            if missing:
                raise InputError(f"{os.path.join(self.path, missing[0])}: no such frame")
            if not self.frame_names:
                raise InputError(f"{self.path}: folder has no image files")
            paths = [os.path.join(self.path, name) for name in self.frame_names]
        else:
            self.frame_names = [os.path.basename(self.path)]
            paths = [self.path]
        self.frame_count = len(paths)
        first = next((image for image in map(read_image, paths) if image is not None), None)
        if first is None:
            raise InputError(f"{self.path}: no image could be decoded")
        self.height, self.width = first.shape[:2]
        return self

    def _capture(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise InputError(f"{self.path}: OpenCV cannot open this file as a video (corrupt or unknown format)")
        return capture

    def frames(self) -> Iterator[Frame]:
        """Stream the frames in order. Call :meth:`open` first."""
        if self.kind == "video":
            yield from self._video_frames()
            return
        folder = self.path if self.kind == "images" else os.path.dirname(self.path)
        for index, name in enumerate(self.frame_names or []):
            image = read_image(os.path.join(folder, name))
            if image is None:
                yield Frame(index, math.nan, None, name, "cannot decode image")
                continue
            if image.shape[:2] != (self.height, self.width):
                raise InputError(
                    f"{os.path.join(folder, name)}: frame is {image.shape[1]}x{image.shape[0]} but the "
                    f"sequence's first frame is {self.width}x{self.height}; resize the frames to one size"
                )
            yield Frame(index, math.nan, image, name)

    def _video_frames(self) -> Iterator[Frame]:
        capture = self._capture()
        try:
            index = 0
            while True:
                ok, image = capture.read()
                if not ok or image is None:
                    break
                yield Frame(index, index / self.fps, cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
                index += 1
        finally:
            capture.release()


def _sequence_id(path: str, root: Optional[str]) -> str:
    relative = os.path.relpath(path, root) if root else os.path.basename(os.path.normpath(path))
    if os.path.isfile(path):
        relative = os.path.splitext(relative)[0]
    return "__".join(part for part in re.split(r"[\\/]+", relative) if part not in ("", "."))


def _sources_in_folder(folder: str) -> list[Source]:
    """Image folders and videos below ``folder``; ids are paths relative to it."""
    found: list[Source] = []
    for current, subfolders, files in os.walk(folder):
        subfolders[:] = sorted((d for d in subfolders if _is_visible(d)), key=natural_key)
        if current != folder and any(_is_image(name) for name in files):
            found.append(Source(current, _sequence_id(current, folder), "images"))
        for name in sorted(files, key=natural_key):
            if _is_video(name):
                path = os.path.join(current, name)
                found.append(Source(path, _sequence_id(path, folder), "video"))
    return found


def discover_sources(inputs: Sequence[str]) -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand inputs (files, folders, globs) into sequences.

    A folder with image files directly inside is one image sequence; any other folder is searched
    for videos and image folders below it. Returns the sources and, for inputs that yield nothing,
    (input, reason) pairs. Raises InputError when two inputs would get the same sequence id.
    """
    sources: list[Source] = []
    problems: list[tuple[str, str]] = []
    for given in inputs:
        if not os.path.exists(given) and _GLOB_CHARS.search(given):
            matches = sorted(glob.glob(given, recursive=True), key=natural_key)
            if not matches:
                problems.append((given, "no file matches this pattern"))
            paths = matches
        else:
            paths = [given]
        for path in paths:
            if not os.path.exists(path):
                problems.append((path, "no such file or folder"))
            elif os.path.isfile(path):
                kind = "image" if _is_image(os.path.basename(path)) else "video"
                sources.append(Source(path, _sequence_id(path, None), kind))
            elif list_images(path):
                sources.append(Source(path, _sequence_id(path, None), "images"))
            else:
                below = _sources_in_folder(path)
                if not below:
                    problems.append((path, "folder holds no images or videos"))
                sources.extend(below)
    seen: dict[str, str] = {}
    unique: list[Source] = []
    for source in sources:
        earlier = seen.get(source.id)
        if earlier is not None:
            if os.path.realpath(earlier) == os.path.realpath(source.path):
                continue  # the same input given twice
            raise InputError(
                f"{source.path} and {earlier} would both be stored as sequence {source.id!r}; "
                "extract them into separate files or rename one"
            )
        seen[source.id] = source.path
        unique.append(source)
    return unique, problems
