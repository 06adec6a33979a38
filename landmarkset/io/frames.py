"""Frame sources: video files, image-sequence folders and single images, streamed frame by frame.

Frames are RGB uint8 arrays of shape (H, W, 3). Nothing is kept after a frame is handed on, so
memory does not grow with video length.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import cv2
import numpy as np

from ..errors import InputError
from ..provenance import ALL_FRAMES, fingerprint

if TYPE_CHECKING:
    from ..track import Track

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".webp", ".jp2"}
)
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".m4v", ".wmv", ".flv", ".mts", ".m2ts", ".3gp", ".ogv"}
)
GLOB_CHARS = re.compile(r"[*?\[]")


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

    ``width``, ``height``, ``fps`` and ``frame_count`` are known after :meth:`open` (for a video,
    ``frame_count`` is what its container promises). ``root`` is the dataset root the source was found
    under, if any: its fingerprint then names it relative to that root.
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
    root: Optional[str] = field(default=None, repr=False)

    @property
    def selection(self) -> Union[str, tuple[int, ...]]:
        """The frames this source reads: "all", or their positions when ``select`` chooses some."""
        if self.select is None:
            return ALL_FRAMES
        return tuple(self.frame_numbers) if self.frame_numbers is not None else tuple(range(len(self.select)))

    def files(self) -> list[str]:
        """The files this source reads."""
        if self.kind != "images":
            return [self.path]
        names = self.select if self.select is not None else list_images(self.path)
        return [os.path.join(self.path, name) for name in names]

    def fingerprint(self) -> dict[str, Any]:
        """Fingerprint of the files read (see landmarkset.provenance); InputError when one is missing."""
        if self.root is not None:
            name = Path(os.path.relpath(self.path, self.root)).as_posix()
        else:
            name = os.path.abspath(self.path)
        try:
            return fingerprint(self.files(), name)
        except FileNotFoundError as error:
            raise InputError(f"{error.filename}: no such file") from None
        except OSError as error:
            raise InputError(f"{self.path}: cannot read ({error.strerror})") from None

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

    def frames(self, start: int = 0) -> Iterator[Frame]:
        """Stream the frames in order, from position ``start`` (those before it are not decoded into images).
        Call :meth:`open` first."""
        if self.kind == "video":
            yield from self._video_frames(start)
            return
        folder = self.path if self.kind == "images" else os.path.dirname(self.path)
        for index, name in enumerate(self.frame_names or []):
            if index < start:
                continue
            image = read_image(os.path.join(folder, name))
            if image is None:
                yield Frame(index, math.nan, None, name, "cannot decode image")
                continue
            if image.shape[:2] != (self.height, self.width):
                raise InputError(
                    f"{os.path.join(folder, name)}: frame is {image.shape[1]}x{image.shape[0]} but the "
                    f"sequence's first frame is {self.width}x{self.height}; resize the frames to one size"
                )
            yield Frame(index, self._time(index), image, name)

    def _time(self, index: int) -> float:
        """Seconds of an image's frame: its frame number over the rate given to a frame folder (NaN without)."""
        if not (math.isfinite(self.fps) and self.fps > 0):
            return math.nan
        return (self.frame_numbers[index] if self.frame_numbers is not None else index) / self.fps

    def _video_frames(self, start: int = 0) -> Iterator[Frame]:
        capture = self._capture()
        try:
            index = 0
            # Skipped by reading, not seeking: seeking lands on the nearest key frame in many codecs.
            while index < start and capture.grab():
                index += 1
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


def _walk(folder: str) -> Iterator[tuple[str, list[str]]]:
    """(folder, visible file names) for ``folder`` and every folder below it, each real folder once.

    Symbolic links to folders are followed, but a folder already visited (a link loop, or two links to
    one place) is not entered again, so the walk always ends.
    """
    seen: set[str] = set()
    for current, subfolders, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(current)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = sorted((d for d in subfolders if _is_visible(d)), key=natural_key)
        yield current, sorted((f for f in files if _is_visible(f)), key=natural_key)


def expand_glob(pattern: str) -> list[str]:
    """Matches of a glob, in natural order; ``**`` does not enter symbolic links to folders (as in bash)."""
    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if GLOB_CHARS.search(part))
    base = Path(*parts[:first]) if first else Path(".")
    matches = []
    for match in base.glob(str(Path(*parts[first:]))):
        if all(_is_visible(part) for part in match.relative_to(base).parts):
            matches.append(str(match) if first else os.path.normpath(str(match)))
    return sorted(matches, key=natural_key)


@dataclass
class Discovery:
    """What a list of inputs holds: the sequences, the inputs that hold none (with the reason), and
    media files that are not part of any sequence (with the reason)."""

    sources: list[Source] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


_STRAY = "an image beside videos (a folder is an image sequence only when it holds no video): move it into a folder"


def _sources_in_folder(folder: str, found: Discovery) -> int:
    """Add every sequence in and below ``folder`` to ``found``; return how many."""
    count = 0
    for current, files in _walk(folder):
        videos = [name for name in files if _is_video(name)]
        images = [name for name in files if _is_image(name)]
        root = folder if current != folder else None
        for name in videos:
            path = os.path.join(current, name)
            found.sources.append(Source(path, _sequence_id(path, folder), "video", root=folder))
        if images and videos:
            found.ignored += [(os.path.join(current, name), _STRAY) for name in images]
        elif images:
            found.sources.append(Source(current, _sequence_id(current, root), "images", root=root))
        count += len(videos) + bool(images and not videos)
    return count


def discover_sources(inputs: Sequence[str]) -> Discovery:
    """Expand inputs (files, folders, globs) into sequences, skipping nothing silently.

    A file is one sequence (a video, or a one-frame image). A folder is searched, following links to
    folders but never twice into the same folder: each video is a sequence, and each folder that holds
    images and no video is an image sequence (ids: paths relative to the input, "/" -> "__"). Images
    beside videos are listed in ``ignored``; hidden and non-media files are left out. Raises InputError
    when two inputs would get the same sequence id.
    """
    found = Discovery()
    for given in inputs:
        if not os.path.exists(given) and GLOB_CHARS.search(given):
            paths = expand_glob(given)
            if not paths:
                found.failed.append((given, "no file matches this pattern"))
        else:
            paths = [given]
        for path in paths:
            if not os.path.exists(path):
                found.failed.append((path, "no such file or folder"))
            elif os.path.isfile(path):
                kind = "image" if _is_image(os.path.basename(path)) else "video"
                found.sources.append(Source(path, _sequence_id(path, None), kind))
            elif not _sources_in_folder(path, found):
                found.failed.append((path, "folder holds no images or videos"))
    seen: dict[str, str] = {}
    unique: list[Source] = []
    for source in found.sources:
        earlier = seen.get(source.id)
        if earlier is not None:
            if os.path.realpath(earlier) == os.path.realpath(source.path):
                continue  # the same input given twice
            parent = os.path.commonpath([os.path.abspath(source.path), os.path.abspath(earlier)])
            raise InputError(
                f"{source.path} and {earlier} would both be stored as sequence {source.id!r} (ids are paths relative "
                f"to the folder given): give their common parent folder ({parent or '/'}) so that ids keep what tells "
                "them apart (e.g. S010__001), extract them into separate files, or rename one"
            )
        seen[source.id] = source.path
        unique.append(source)
    found.sources = unique
    return found


def read_track_frames(track: Track, indices: Sequence[int]) -> dict[int, Optional[np.ndarray]]:
    """RGB images of the given rows of a track, read from its source (None where unavailable)."""
    images: dict[int, Optional[np.ndarray]] = dict.fromkeys(indices)
    if track.frame_names is not None:
        folder = track.source if os.path.isdir(track.source) else os.path.dirname(track.source)
        for index in indices:
            images[index] = read_image(os.path.join(folder, track.frame_names[index]))
        return images
    positions = {int(track.frame_index[index]): index for index in indices}
    capture = cv2.VideoCapture(track.source)
    position = 0
    while positions and capture.isOpened():
        ok, frame = capture.read()
        if not ok:
            break
        if position in positions:
            images[positions.pop(position)] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        position += 1
    capture.release()
    return images
