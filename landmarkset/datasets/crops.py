"""Aligned grayscale face crops for the image model (SCN): ``/dataset/crops`` (N, frames, size, size) uint8.

The geometry (one similarity transform per sample from its first frame's landmarks, see
``landmarkset.io.crops``) is used for all the sample's frames, so the crops keep the face's motion over the
sample, as the SCN needs. Frames are read from the track's source at the sample's ``source_frames``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import cv2
import numpy as np
from tqdm.auto import tqdm

from ..errors import StoreError
from ..io.crops import DEFAULT_CROP_SIZE, CropGeometry, read_sample_frames
from ..io.datasets import Dataset, read_dataset
from ..io.writer import TrackWriter
from ..track import Track

__all__ = ["DEFAULT_CROP_SIZE", "compute_crops", "write_crops"]


def compute_crops(
    dataset: Dataset,
    read_track: Callable[[str], Track],
    size: int = DEFAULT_CROP_SIZE,
    margin: float = CropGeometry.margin,
    progress: Optional[bool] = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The crops of every sample of ``dataset`` (``read_track(id)`` gives its track) and their attributes."""
    geometry = CropGeometry(size, margin)
    frames = dataset.X.shape[1]
    crops = np.zeros((len(dataset), frames, size, size), np.uint8)
    disable = None if progress is None else not progress
    for index in tqdm(range(len(dataset)), desc="crops", unit="sample", disable=disable):
        sequence = dataset.source_sequence(index)
        try:
            track = read_track(sequence)
        except KeyError:
            raise StoreError(f"no track {sequence!r} for sample {dataset.sequence[index]!r}; crops need it") from None
        numbers = [int(n) for n in dataset.source_frames[index]]
        images = read_sample_frames(track, numbers)
        matrix = geometry.transform(dataset.X[index, 0] * [track.width, track.height])
        for frame, number in enumerate(numbers):
            gray = cv2.cvtColor(images[number], cv2.COLOR_RGB2GRAY)
            crops[index, frame] = cv2.warpAffine(gray, matrix, (size, size), flags=cv2.INTER_AREA)
    return crops, geometry.attrs()


def write_crops(
    path: str, *, size: int = DEFAULT_CROP_SIZE, margin: float = CropGeometry.margin, progress: Optional[bool] = None
) -> np.ndarray:
    """Add (or replace) ``/dataset/crops`` in the store ``path`` from the frames of each sample; return the crops."""
    with TrackWriter(path) as writer:
        dataset = read_dataset(writer.path)
        crops, attrs = compute_crops(dataset, writer.read, size, margin, progress)
        writer.write_crops(crops, attrs)
    return crops
