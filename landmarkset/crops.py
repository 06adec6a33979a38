"""Aligned grayscale face crops for the image model (SCN): ``/dataset/crops`` (N, frames, size, size) uint8.

One similarity transform per sample, from its first frame's landmarks: the eye line made horizontal, the
landmarks' face box (enlarged by ``margin``) scaled to ``size`` and centred. The same transform is used
for all the sample's frames, so the crops keep the face's motion over the sample, as the SCN needs.
Frames are read from the track's source (image folder or video) at the sample's ``source_frames``.
"""

from __future__ import annotations

import os
from typing import Optional

import cv2
import h5py
import numpy as np
from tqdm.auto import tqdm

from ._crashsafe import CrashSafeFile
from .dataset import read_dataset
from .errors import InputError, StoreError
from .store import Track, _initialise, open_tracks

__all__ = ["align_transform", "read_crops", "read_sample_frames", "write_crops"]


def align_transform(landmarks: np.ndarray, size: int, margin: float = 1.2) -> np.ndarray:
    """2x3 affine matrix taking image pixels to a ``size`` x ``size`` crop of the face of (68, 2) pixel landmarks."""
    left, right = landmarks[36:42].mean(0), landmarks[42:48].mean(0)
    angle = np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))
    centre = (landmarks.min(0) + landmarks.max(0)) / 2
    rotation = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), 1.0)
    upright = landmarks @ rotation[:, :2].T + rotation[:, 2]
    side = margin * float((upright.max(0) - upright.min(0)).max())
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), size / max(side, 1.0))
    matrix[:, 2] += np.array([size / 2, size / 2]) - centre
    return matrix


def read_sample_frames(track: Track, numbers: list[int]) -> dict[int, np.ndarray]:
    """RGB frames of ``track`` at source frame ``numbers``; an InputError names a frame that cannot be read."""
    from .plotting import read_frames

    if not track.source or not os.path.exists(track.source):
        raise InputError(
            f"{track.source or track.id}: the source of {track.id!r} is not on disk; crops need the frames "
            "(build where the dataset's images are)"
        )
    rows = {int(number): row for row, number in enumerate(track.frame_index)}
    images = read_frames(track, sorted({rows[number] for number in numbers}))
    for number in numbers:
        if images[rows[number]] is None:
            name = track.frame_names[rows[number]] if track.frame_names else f"frame {number}"
            raise InputError(f"{track.source}: {name} cannot be read (needed for the crops of {track.id!r})")
    return {number: images[rows[number]] for number in numbers}


def write_crops(path: str, size: int = 224, margin: float = 1.2, progress: Optional[bool] = None) -> np.ndarray:
    """Add (or replace) ``/dataset/crops`` in ``path`` from the frames of each sample; return the crops."""
    dataset = read_dataset(path)
    frames = dataset.X.shape[1]
    crops = np.zeros((len(dataset), frames, size, size), np.uint8)
    with open_tracks(path) as tracks:
        for index in tqdm(
            range(len(dataset)), desc="crops", unit="sample", disable=None if progress is None else not progress
        ):
            sequence = dataset.source_sequence(index)
            if sequence not in tracks:
                raise StoreError(f"{path}: no track {sequence!r} for sample {dataset.sequence[index]!r}; crops need it")
            track = tracks[sequence]
            numbers = [int(n) for n in dataset.source_frames[index]]
            images = read_sample_frames(track, numbers)
            pixels = dataset.X[index, 0] * [track.width, track.height]
            matrix = align_transform(pixels, size, margin)
            for frame, number in enumerate(numbers):
                gray = cv2.cvtColor(images[number], cv2.COLOR_RGB2GRAY)
                crops[index, frame] = cv2.warpAffine(gray, matrix, (size, size), flags=cv2.INTER_AREA)

    def change(file: h5py.File) -> None:
        group = file["dataset"]
        if "crops" in group:
            del group["crops"]
        group.create_dataset(
            "crops", data=crops, chunks=(1, frames, size, size), compression="gzip", compression_opts=4
        )
        group.attrs.update(
            {"crop_size": size, "crop_margin": margin, "crop_alignment": "first-frame eyes and face box"}
        )

    with CrashSafeFile(path, _initialise) as file:
        file.update(change)
    return crops


def read_crops(path: str) -> np.ndarray:
    """``/dataset/crops`` of ``path``; a clear error when the dataset was built without them."""
    with h5py.File(path, "r") as file:
        if "dataset/crops" not in file:
            raise StoreError(f"{path} has no face crops: rebuild with --crops (build-ckplus / build-samm)")
        return file["dataset/crops"][()]
