"""Aligned grayscale face crops for the image model (SCN): ``/dataset/crops`` (N, frames, size, size) uint8.

One similarity transform per sample, from its first frame's landmarks: the eye line made horizontal, the
landmarks' face box (enlarged by ``margin``) scaled to ``size`` and centred. The same transform is used
for all the sample's frames, so the crops keep the face's motion over the sample, as the SCN needs.
Frames are read from the track's source (image folder or video) at the sample's ``source_frames``.
"""

from __future__ import annotations

import os
from typing import Callable, Optional

import cv2
import h5py
import numpy as np
from tqdm.auto import tqdm

from ._crashsafe import CrashSafeFile
from .dataset import read_dataset
from .errors import InputError, StoreError
from .store import Track, _initialise, open_tracks

__all__ = ["align_transform", "frame_reader", "read_crops", "write_crops"]


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


def frame_reader(track: Track, color: bool = False) -> Callable[[list[int]], dict[int, np.ndarray]]:
    """A function reading the given frame numbers of the track's source (grayscale, or BGR with ``color``)."""
    flag = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    rows = {int(number): row for row, number in enumerate(track.frame_index)}

    def from_folder(numbers: list[int]) -> dict[int, np.ndarray]:
        images = {}
        for number in numbers:
            path = os.path.join(track.source, track.frame_names[rows[number]])
            image = cv2.imread(path, flag)
            if image is None:
                raise InputError(f"{path}: cannot read this image (needed for the crops of {track.id!r})")
            images[number] = image
        return images

    def from_video(numbers: list[int]) -> dict[int, np.ndarray]:
        capture, images, position = cv2.VideoCapture(track.source), {}, 0
        wanted = set(numbers)
        while wanted - set(images):
            ok, frame = capture.read()
            if not ok:
                missing = min(wanted - set(images))
                raise InputError(f"{track.source}: frame {missing} cannot be decoded (needed for the crops)")
            if position in wanted:
                images[position] = frame if color else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            position += 1
        capture.release()
        return images

    if not track.source or not os.path.exists(track.source):
        raise InputError(
            f"{track.source or track.id}: the source of {track.id!r} is not on disk; crops need the frames "
            "(build where the dataset's images are)"
        )
    if os.path.isdir(track.source) and track.frame_names:
        return from_folder
    return from_video


def write_crops(path: str, size: int = 224, margin: float = 1.2, progress: Optional[bool] = None) -> np.ndarray:
    """Add (or replace) ``/dataset/crops`` in ``path`` from the frames of each sample; return the crops."""
    dataset = read_dataset(path)
    frames = dataset.X.shape[1]
    crops = np.zeros((len(dataset), frames, size, size), np.uint8)
    with open_tracks(path) as tracks:
        for index in tqdm(
            range(len(dataset)), desc="crops", unit="sample", disable=None if progress is None else not progress
        ):
            sequence = (
                dataset.sequence[index].removesuffix("__neutral")
                if dataset.synthetic[index]
                else dataset.sequence[index]
            )
            if sequence not in tracks:
                raise StoreError(f"{path}: no track {sequence!r} for sample {dataset.sequence[index]!r}; crops need it")
            track = tracks[sequence]
            numbers = [int(n) for n in dataset.source_frames[index]]
            images = frame_reader(track)(sorted(set(numbers)))
            pixels = dataset.X[index, 0] * [track.width, track.height]
            matrix = align_transform(pixels, size, margin)
            for frame, number in enumerate(numbers):
                crops[index, frame] = cv2.warpAffine(images[number], matrix, (size, size), flags=cv2.INTER_AREA)

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
