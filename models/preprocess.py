"""Landmark preprocessing applied before the TCN, recorded in every model file so predictions repeat it.

- ``motion``: each frame's displacement from the sample's first frame, in inter-ocular units of
  that first frame. Removes where the face sits and how large it is, which otherwise dwarf the expression
  (a few % of the image); neutral samples become exactly zero. Head motion during the sample stays in.
- ``aligned`` (default since 0.5): every frame first aligned to the sample's first frame by the similarity (translation,
  rotation, scale) that best maps its stable points (eye corners and nose bridge, which expressions barely
  move) onto the first frame's, then as ``motion``. A rigidly moved head gives zero; an expression stays.
- ``face``: landmarks centred on the first frame's mean point, in the same inter-ocular units.
- ``none``: image-normalised coordinates as stored in ``/dataset/X`` (the paper's input).
"""

from __future__ import annotations

import numpy as np

from landmarkset.errors import OptionError
from landmarkset.regions import N_LANDMARKS, STABLE_POINTS, eye_centre_distance

PREPROCESSING = ("aligned", "motion", "face", "none")  # the first is the default (docs/training.md)


def interocular(frames: np.ndarray) -> np.ndarray:
    """Distance between the eye centres of (..., 68, 2) landmarks; 1 where it is not a usable length."""
    distance = eye_centre_distance(frames)
    return np.where(np.isfinite(distance) & (distance > 1e-6), distance, 1.0)


def align_frames(samples: np.ndarray, reference: int = 0) -> np.ndarray:
    """(N, frames, 68, 2) landmarks with every frame moved by the least-squares similarity that maps its
    STABLE_POINTS onto those of frame ``reference`` (Procrustes; closed form in complex numbers)."""
    points = np.asarray(samples, dtype=np.float64)
    return similarity_align(points, points[:, reference : reference + 1])


def similarity_align(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(..., 68, 2) ``points`` each moved by the least-squares similarity that maps its STABLE_POINTS onto
    those of ``targets`` (same shape, or broadcastable to it): rigid head motion between them removed."""
    points = np.asarray(points, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    z = points[..., 0] + 1j * points[..., 1]
    stable = z[..., list(STABLE_POINTS)]
    target = (targets[..., 0] + 1j * targets[..., 1])[..., list(STABLE_POINTS)]
    source_centre, target_centre = stable.mean(-1, keepdims=True), target.mean(-1, keepdims=True)
    a, b = stable - source_centre, target - target_centre
    denominator = (np.abs(a) ** 2).sum(-1, keepdims=True)
    factor = np.where(denominator > 1e-12, (np.conj(a) * b).sum(-1, keepdims=True) / np.maximum(denominator, 1e-12), 1)
    factor = np.where(np.isfinite(factor), factor, 1)  # a frame without usable points stays as it is
    moved = (z - source_centre) * factor + target_centre
    moved = np.where(np.isfinite(moved), moved, z)
    return np.stack([moved.real, moved.imag], axis=-1).astype(np.float32)


def preprocess(samples: np.ndarray, mode: str = "motion") -> np.ndarray:
    """(N, frames, 68, 2) normalised landmarks -> the model input of ``mode`` (float32, same shape)."""
    if mode not in PREPROCESSING:
        raise OptionError(f"Unknown preprocessing {mode!r}. Valid: {', '.join(PREPROCESSING)}.")
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 4 or samples.shape[2:] != (N_LANDMARKS, 2):
        raise OptionError(f"Landmark samples must have shape (N, frames, 68, 2). Got {samples.shape} instead.")
    if mode == "none":
        return samples
    if mode == "aligned":
        samples = align_frames(samples)
    first = samples[:, :1]
    scale = interocular(first)[..., None, None]
    origin = first.mean(axis=2, keepdims=True) if mode == "face" else first
    return ((samples - origin) / scale).astype(np.float32)
