"""From a stretch of a track to a model's sample: the one rule every stage uses (the dataset builder, ``predict``,
the recogniser of spotted intervals and the model spotters), so that a model sees at prediction what it saw
in training.

A sample of F frames takes F source frames spread evenly over the stretch, its first and last included
(:data:`RESAMPLING`). Frames without a face follow :data:`FACELESS_POLICY`: each takes the landmarks of the
nearest frame with a face (the earlier one on ties), and a stretch with a face on fewer than half its frames
gives no sample at all (its landmarks would be mostly copies).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Optional

import numpy as np

from .errors import InputError, OptionError

__all__ = [
    "FACELESS_POLICY",
    "MIN_FACE_SHARE",
    "RESAMPLING",
    "FrameReader",
    "check_contiguous",
    "enough_faces",
    "nearest_face",
    "resample_indices",
    "sample_frames",
    "window_samples",
]

RESAMPLING = "even-nearest"  # round(linspace(0, T - 1, F)): first and last frame always kept
MIN_FACE_SHARE = 0.5
FACELESS_POLICY = (
    "a frame without a face takes the landmarks of the nearest frame with one (the earlier on ties); a stretch "
    f"with a face on fewer than {MIN_FACE_SHARE:.0%} of its frames gives no sample"
)
# (video, start, stop) -> (landmarks (n, 68, 2), valid (n,)) of the 0-based frames start..stop-1
FrameReader = Callable[[str, int, int], tuple[np.ndarray, np.ndarray]]


def resample_indices(n_frames: int, frames: int) -> np.ndarray:
    """Indices of ``frames`` frames spread evenly over 0..n_frames-1, first and last included."""
    if n_frames < 1 or frames < 1:
        raise OptionError(f"resample_indices needs n_frames >= 1 and frames >= 1. Got {n_frames}, {frames}.")
    return np.linspace(0, n_frames - 1, frames).round().astype(np.int64)


def enough_faces(valid: np.ndarray) -> bool:
    """Whether a stretch with these face flags gives a sample (:data:`FACELESS_POLICY`)."""
    return len(valid) > 0 and int(np.count_nonzero(valid)) >= MIN_FACE_SHARE * len(valid)


def nearest_face(indices: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each index moved to the nearest frame with a face (the earlier one on ties); ``valid`` must hold one."""
    usable = np.flatnonzero(valid)
    if len(usable) == 1:
        return np.full_like(indices, usable[0])
    position = np.clip(np.searchsorted(usable, indices), 1, len(usable) - 1)
    before, after = usable[position - 1], usable[position]
    chosen = np.where(indices - before <= after - indices, before, after)
    return np.where(valid[indices], indices, chosen)


def sample_frames(valid: np.ndarray, frames: int) -> Optional[np.ndarray]:
    """Positions in a stretch (of ``len(valid)`` frames) that make its sample of ``frames`` frames, faceless
    frames replaced by the policy; None when the stretch gives no sample."""
    if not enough_faces(valid):
        return None
    picks = resample_indices(len(valid), frames)
    return picks if valid[picks].all() else nearest_face(picks, valid)


def check_contiguous(track_id: str, frame_index: np.ndarray) -> None:
    """InputError when a track holds chosen frames of its source rather than every frame of a stretch: a
    window over it would join frames that are far apart in the video (e.g. the 20 frames a dataset builder
    read of each interval)."""
    steps = np.diff(np.asarray(frame_index, dtype=np.int64))
    if len(steps) and not (steps == 1).all():
        at = int(np.flatnonzero(steps != 1)[0])
        raise InputError(
            f"track {track_id!r} holds chosen frames of its source, not a video (its frame {int(frame_index[at])} is "
            f"followed by frame {int(frame_index[at + 1])}): windows would join distant frames; extract the whole "
            "video or frame folder (or build it with --whole-videos)"
        )


def window_samples(
    read: FrameReader, windows: Sequence[tuple[str, int, int]], frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """(N, frames, 68, 2) samples of ``windows`` ((video, start, stop): 0-based frames start..stop-1, clipped to
    the track by ``read``) and which of them give one (the others stay zeros)."""
    samples = np.zeros((len(windows), frames, 68, 2), dtype=np.float32)
    usable = np.zeros(len(windows), dtype=bool)
    for row, (video, start, stop) in enumerate(windows):
        landmarks, valid = read(video, max(0, start), stop)
        picks = sample_frames(np.asarray(valid, bool), frames)
        if picks is not None:
            samples[row], usable[row] = landmarks[picks], True
    return samples, usable
