"""Crop geometry and the frames crops are cut from: where a sample's face crop lies in its frames
(one similarity transform per sample, from its first frame's landmarks), read the same way by the dataset
builder that cuts ``/dataset/crops`` and by whatever places landmarks or maps on those crops.

The eye line is made horizontal, the landmarks' face box (enlarged by the margin) scaled to the crop's
side and centred. Frames are read from the track's source (image folder or video) at source positions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..errors import InputError
from ..regions import eye_centres
from ..track import Track
from .frames import read_track_frames

CROP_MARGIN = 1.2  # face box side x margin = crop side
# The SCN's crop side by default: 112 px trains 5.7x faster than the paper's 224 at the same accuracy on
# generated CK+ data (benchmarks/train_speed.py); --crop-size 224 reproduces the paper.
DEFAULT_CROP_SIZE = 112

ALIGNMENT = "first-frame eyes and face box"


def align_transform(landmarks: np.ndarray, size: int, margin: float = CROP_MARGIN) -> np.ndarray:
    """2x3 affine matrix taking image pixels to a ``size`` x ``size`` crop of the face of (68, 2) pixel landmarks."""
    left, right = eye_centres(landmarks)
    angle = np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))
    centre = (landmarks.min(0) + landmarks.max(0)) / 2
    rotation = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), 1.0)
    upright = landmarks @ rotation[:, :2].T + rotation[:, 2]
    side = margin * float((upright.max(0) - upright.min(0)).max())
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), size / max(side, 1.0))
    matrix[:, 2] += np.array([size / 2, size / 2]) - centre
    return matrix


def read_sample_frames(track: Track, numbers: list[int]) -> dict[int, np.ndarray]:
    """RGB frames of ``track`` at source frame positions ``numbers``; InputError naming a frame that cannot be read."""
    if not track.source or not os.path.exists(track.source):
        raise InputError(
            f"{track.source or track.id}: the source of {track.id!r} is not on disk; crops need the frames "
            "(build where the dataset's images are)"
        )
    rows = {int(number): row for row, number in enumerate(track.frame_index)}
    absent = [number for number in numbers if number not in rows]
    if absent:
        raise InputError(f"{track.source}: track {track.id!r} has no frame at position {absent[0]}")
    images = read_track_frames(track, sorted({rows[number] for number in numbers}))
    for number in numbers:
        if images[rows[number]] is None:
            name = track.frame_names[rows[number]] if track.frame_names else f"frame {number}"
            raise InputError(f"{track.source}: {name} cannot be read (needed for the crops of {track.id!r})")
    return {number: images[rows[number]] for number in numbers}


@dataclass(frozen=True)
class CropGeometry:
    """How a dataset's crops were cut: their side in pixels and the face-box margin."""

    size: int = DEFAULT_CROP_SIZE
    margin: float = CROP_MARGIN

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any], size: int) -> CropGeometry:
        """The geometry recorded with a dataset's crops (``crop_margin``); ``size`` from the crops themselves."""
        return cls(size=int(size), margin=float(attrs.get("crop_margin", CROP_MARGIN)))

    def attrs(self) -> dict[str, Any]:
        return {"crop_size": self.size, "crop_margin": self.margin, "crop_alignment": ALIGNMENT}

    def transform(self, first_frame_pixels: np.ndarray) -> np.ndarray:
        """2x3 matrix from image pixels to crop pixels for a sample whose first frame has these landmarks."""
        return align_transform(first_frame_pixels, self.size, self.margin)

    def points(self, pixels: np.ndarray) -> np.ndarray:
        """A sample's landmarks (frames, 68, 2) in image pixels -> the same landmarks in its crop's pixels."""
        matrix = self.transform(pixels[0])
        return pixels @ matrix[:, :2].T + matrix[:, 2]
