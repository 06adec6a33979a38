"""From a score curve to intervals, by the recipe of the field's public spotters (SOFTNet, MEGC baselines):
the curve smoothed over 2k frames; threshold = mean + p (max - mean); peaks at least k frames apart
(scipy.signal.find_peaks); each peak becomes the interval [peak - k, peak + k], clipped to the video."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

__all__ = ["Proposal", "propose", "smoothed_curve"]


@dataclass(frozen=True)
class Proposal:
    """A proposed interval: frame numbers onset..offset (1-based, inclusive) and its peak's score."""

    onset: int
    offset: int
    peak: int
    score: float


def smoothed_curve(scores: np.ndarray, k: int) -> np.ndarray:
    """``scores`` averaged over 2k frames (frames without a score count as no motion)."""
    filled = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0)
    return uniform_filter1d(filled, size=max(1, 2 * k), mode="nearest") if len(filled) else filled


def threshold_of(smoothed: np.ndarray, p: float) -> float:
    """mean + p (max - mean) of a smoothed curve."""
    if not len(smoothed):
        return float("inf")
    mean = float(smoothed.mean())
    return mean + p * (float(smoothed.max()) - mean)


def propose(scores: np.ndarray, k: int, p: float) -> list[Proposal]:
    """The intervals the recipe proposes on one video's per-frame ``scores`` for window ``k`` frames."""
    if k < 1:
        raise ValueError(f"k must be at least 1 frame, got {k}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    smoothed = smoothed_curve(scores, k)
    if not len(smoothed) or smoothed.max() <= smoothed.mean():
        return []  # a flat curve: nothing stands out
    peaks, _ = find_peaks(smoothed, height=threshold_of(smoothed, p), distance=k)
    last = len(smoothed)
    return [
        Proposal(max(1, int(peak) - k + 1), min(last, int(peak) + k + 1), int(peak) + 1, float(smoothed[peak]))
        for peak in peaks
    ]
