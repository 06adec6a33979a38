"""Temporal smoothing of landmark jitter, applied when tracks are read; the store keeps raw landmarks.

Two filters, each run separately on every stretch of consecutive valid frames (never across a frame
without a face, which stays NaN):

- ``one-euro``: the One-Euro filter (Casiez, Roussel & Vogel, CHI 2012), an adaptive low-pass filter:
  strong smoothing while a point is still, little lag when it moves fast. Causal (usable online).
- ``savgol``: a Savitzky-Golay filter (scipy.signal.savgol_filter): a local polynomial fit over a
  centred window; keeps peaks of expressions well, uses future frames (offline only).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .errors import OptionError
from .track import Track

__all__ = ["METHODS", "Smoothing", "smooth_landmarks", "smooth_track"]

METHODS = ("one-euro", "savgol")

# Frame rate assumed for tracks that have none (image folders), as OpenFace does.
DEFAULT_FPS = 30.0


@dataclass(frozen=True)
class Smoothing:
    """Filter settings.

    One-Euro: ``min_cutoff`` (Hz) is the cut-off frequency at rest (lower: smoother, more lag);
    ``beta`` adds ``beta * speed`` Hz of cut-off, speed in image widths (or heights) per second
    (higher: less lag on fast motion); ``d_cutoff`` (Hz) smooths the speed estimate. The defaults
    halve white jitter on a still face and add no error on a face nodding at 0.5 Hz
    (tests/test_smoothing.py).
    Savitzky-Golay: ``window`` (odd number of frames) and polynomial ``order``.
    """

    method: str = "one-euro"
    min_cutoff: float = 2.0
    beta: float = 30.0
    d_cutoff: float = 1.0
    window: int = 7
    order: int = 2

    def __post_init__(self) -> None:
        def bad(name: str, rule: str) -> OptionError:
            value = getattr(self, name)
            return OptionError(f"The {name!r} parameter of Smoothing must be {rule}. Got {value!r} instead.")

        if self.method not in METHODS:
            raise bad("method", " or ".join(repr(method) for method in METHODS))
        for name in ("min_cutoff", "d_cutoff"):
            if not getattr(self, name) > 0:
                raise bad(name, "a frequency > 0 (Hz)")
        if not self.beta >= 0:
            raise bad("beta", "a float >= 0")
        if self.window < 3 or self.window % 2 == 0:
            raise bad("window", "an odd number of frames >= 3")
        if not 0 <= self.order < self.window:
            raise bad("order", f"an int in [0, window - 1] = [0, {self.window - 1}]")

    def describe(self) -> dict:
        """The settings that matter for this method (recorded with datasets)."""
        keys = ("min_cutoff", "beta", "d_cutoff") if self.method == "one-euro" else ("window", "order")
        return {"method": self.method, **{key: getattr(self, key) for key in keys}}


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each stretch of consecutive True values."""
    padded = np.concatenate([[False], valid, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2], edges[1::2]))


def _alpha(cutoff: np.ndarray, period: float) -> np.ndarray:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / period)


def _one_euro(points: np.ndarray, period: float, settings: Smoothing) -> np.ndarray:
    """One-Euro filter along axis 0 of (T, ...) values sampled every ``period`` seconds."""
    out = np.empty_like(points)
    out[0] = points[0]
    speed = np.zeros_like(points[0])
    a_speed = _alpha(np.asarray(settings.d_cutoff), period)
    for t in range(1, len(points)):
        raw_speed = (points[t] - out[t - 1]) / period
        speed = a_speed * raw_speed + (1 - a_speed) * speed
        a = _alpha(settings.min_cutoff + settings.beta * np.abs(speed), period)
        out[t] = a * points[t] + (1 - a) * out[t - 1]
    return out


def smooth_landmarks(landmarks: np.ndarray, valid: np.ndarray, fps: float, settings: Smoothing) -> np.ndarray:
    """Smoothed copy of (T, 68, 2) landmarks; invalid frames stay NaN and split the filtering."""
    from scipy.signal import savgol_filter

    fps = fps if math.isfinite(fps) and fps > 0 else DEFAULT_FPS
    out = np.array(landmarks, dtype=np.float64, copy=True)
    for start, stop in _runs(np.asarray(valid, dtype=bool)):
        segment = out[start:stop]
        if settings.method == "one-euro":
            out[start:stop] = _one_euro(segment, 1.0 / fps, settings)
        elif stop - start > settings.order + 1:
            # Short stretches get the longest odd window that fits.
            window = min(settings.window, (stop - start) if (stop - start) % 2 else (stop - start - 1))
            if window > settings.order:
                out[start:stop] = savgol_filter(segment, window, settings.order, axis=0, mode="interp")
    return out.astype(np.float32)


def smooth_track(track: Track, settings: Smoothing) -> Track:
    """A copy of ``track`` with smoothed landmarks (everything else unchanged)."""
    return dataclasses.replace(track, landmarks=smooth_landmarks(track.landmarks, track.valid, track.fps, settings))
