"""From a score curve to intervals, the two ways spotters use:

- the recipe of the field's public spotters (SOFTNet, the MEGC baselines): the curve smoothed over 2k frames;
  threshold = mean + p (max - mean); peaks at least k frames apart (scipy.signal.find_peaks); each peak
  becomes the interval [peak - k, peak + k], clipped to the video;
- runs of frames whose curve, smoothed over k / 4 frames, is above a probability (a trained spotter's
  intervals, whose length follows the expression's own).

Frame numbers are 1-based and inclusive (landmarkset.intervals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

__all__ = ["Peak", "recipe_peaks", "runs_above", "smoothed_curve", "threshold_of"]


@dataclass(frozen=True)
class Peak:
    """An interval the recipe proposes: frames onset..offset around its peak, and the peak's smoothed score."""

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


def recipe_peaks(scores: np.ndarray, k: int, p: float) -> list[Peak]:
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
        Peak(max(1, int(peak) - k + 1), min(last, int(peak) + k + 1), int(peak) + 1, float(smoothed[peak]))
        for peak in peaks
    ]


def runs_above(curve: np.ndarray, threshold: float, k: int) -> list[tuple[int, int]]:
    """Intervals (1-based, inclusive) where ``curve``, smoothed over k / 4 frames, is above ``threshold``;
    runs closer than k / 4 frames are one, and runs shorter than k / 4 frames are left out."""
    width = max(1, k // 4)
    smoothed = uniform_filter1d(np.nan_to_num(np.asarray(curve, dtype=np.float64)), size=width, mode="nearest")
    above = np.concatenate([[False], smoothed > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    runs: list[list[int]] = []
    for start, stop in zip(edges[::2], edges[1::2]):  # [start, stop) in 0-based frames
        if runs and start - runs[-1][1] < width:
            runs[-1][1] = stop
        else:
            runs.append([start, stop])
    return [(int(start) + 1, int(stop)) for start, stop in runs if stop - start >= width]
