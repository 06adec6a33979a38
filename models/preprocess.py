"""Landmark preprocessing applied before the TCN, recorded in every model file so predictions repeat it.

- ``motion`` (default): each frame's displacement from the sample's first frame, in inter-ocular units of
  that first frame. Removes where the face sits and how large it is, which otherwise dwarf the expression
  (a few % of the image); neutral samples become exactly zero.
- ``face``: landmarks centred on the first frame's mean point, in the same inter-ocular units.
- ``none``: image-normalised coordinates as stored in ``/dataset/X`` (the paper's input).
"""

from __future__ import annotations

import numpy as np

from landmarkset.errors import OptionError
from landmarkset.regions import N_LANDMARKS, eye_centre_distance

PREPROCESSING = ("motion", "face", "none")


def interocular(frames: np.ndarray) -> np.ndarray:
    """Distance between the eye centres of (..., 68, 2) landmarks; 1 where it is not a usable length."""
    distance = eye_centre_distance(frames)
    return np.where(np.isfinite(distance) & (distance > 1e-6), distance, 1.0)


def preprocess(samples: np.ndarray, mode: str = "motion") -> np.ndarray:
    """(N, frames, 68, 2) normalised landmarks -> the model input of ``mode`` (float32, same shape)."""
    if mode not in PREPROCESSING:
        raise OptionError(f"Unknown preprocessing {mode!r}. Valid: {', '.join(PREPROCESSING)}.")
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 4 or samples.shape[2:] != (N_LANDMARKS, 2):
        raise OptionError(f"Landmark samples must have shape (N, frames, 68, 2). Got {samples.shape} instead.")
    if mode == "none":
        return samples
    first = samples[:, :1]
    scale = interocular(first)[..., None, None]
    origin = first if mode == "motion" else first.mean(axis=2, keepdims=True)
    return ((samples - origin) / scale).astype(np.float32)
