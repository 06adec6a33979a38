"""Per-frame features that spotters read, computed from a stored track.

- **Region motion** (:func:`region_motion`): for each frame t, the landmarks of frame t aligned to those of
  frame t - k by the similarity of their stable points (rigid head motion between the two removed), each
  point's displacement in inter-ocular distances (eye centres) of frame t - k, and the mean over each region
  of ``SPOT_REGIONS``. k is the window of the expression type looked for. Frames without a face, or whose frame
  t - k has none, are NaN. :func:`streamed_score_curves` reads long tracks in blocks.
- **Region flow** (:func:`flow_features`): the track's ``region_flow`` extra, measured where the landmarks were
  extracted (landmarkset.flow): its magnitude and direction in context, and the lag's flows chained over the
  macro window.

:data:`FRAME_FEATURES` names the feature sets a frame classifier can read; a spotter declares which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import numpy as np
from scipy.ndimage import uniform_filter1d

from landmarkset.errors import InputError
from landmarkset.flow import REGION_FLOW, parse_lag
from landmarkset.intervals import MICRO, TYPES
from landmarkset.io import TrackFile
from landmarkset.regions import EYE_REGIONS, SPOT_REGIONS
from landmarkset.track import Track

from ..preprocess import interocular, similarity_align

__all__ = [
    "BLOCK",
    "FRAME_FEATURES",
    "flow_features",
    "flow_lag_frames",
    "motion_features",
    "region_motion",
    "region_motion_of_points",
    "spotting_score_curve",
    "streamed_score_curves",
]

BLOCK = 20_000  # frames read at a time by streamed_score_curves: memory stays flat on hour-long tracks


def region_motion(track: Track, lag: int) -> np.ndarray:
    """(frames, regions) motion between each frame and the one ``lag`` frames before, in SPOT_REGIONS order."""
    return region_motion_of_points(track.pixels(), track.valid, lag)


def region_motion_of_points(pixels: np.ndarray, valid: np.ndarray, lag: int) -> np.ndarray:
    """:func:`region_motion` of (frames, 68, 2) pixel landmarks (x and y in the same unit) and face flags."""
    if lag < 1:
        raise ValueError(f"lag must be at least 1 frame, got {lag}")
    pixels = np.asarray(pixels, dtype=np.float64)
    motion = np.full((len(pixels), len(SPOT_REGIONS)), np.nan)
    if len(pixels) <= lag:
        return motion
    before, now = pixels[:-lag], pixels[lag:]
    aligned = similarity_align(now, before)
    displacement = np.linalg.norm(aligned - before, axis=-1) / interocular(before)[:, None]
    both = valid[lag:] & valid[:-lag]
    for column, points in enumerate(SPOT_REGIONS.values()):
        motion[lag:, column] = np.where(both, displacement[:, list(points)].mean(axis=1), np.nan)
    return motion


def streamed_score_curves(
    tracks: TrackFile, track_id: str, lags: dict[str, int], masked: Sequence[str] = EYE_REGIONS
) -> dict[str, np.ndarray]:
    """:func:`spotting_score_curve` of :func:`region_motion` for each lag, reading the stored track in blocks
    of BLOCK frames (each with the lag's frames before it), so that only the curves (a float per frame)
    grow with the video."""
    attrs = tracks.sequence_attrs(track_id)
    size = np.array([float(attrs["width"]), float(attrs["height"])], dtype=np.float32)  # as Track.pixels
    frames = tracks.frame_count(track_id)
    curves = {name: np.full(frames, np.nan) for name in lags}
    longest = max(lags.values())
    for start in range(0, frames, BLOCK):
        first = max(0, start - longest)
        landmarks, valid, _ = tracks.frame_block(track_id, first, min(frames, start + BLOCK))
        pixels = landmarks * size
        for name, lag in lags.items():
            motion = region_motion_of_points(pixels, valid, lag)
            curves[name][start : start + len(motion) - (start - first)] = spotting_score_curve(motion, masked)[
                start - first :
            ]
    return curves


def spotting_score_curve(motion: np.ndarray, masked: Sequence[str] = EYE_REGIONS) -> np.ndarray:
    """One score per frame: the mean motion of the regions not ``masked`` (the eyes by default: blinks
    are the main false positives of spotting)."""
    keep = [column for column, name in enumerate(SPOT_REGIONS) if name not in masked]
    return motion[:, keep].mean(axis=1)


def _context(values: np.ndarray, half: int) -> list[np.ndarray]:
    """``values`` (frames, n) at t, t - half and t + half (NaN past the ends), and averaged over 2 half + 1."""
    frames = len(values)
    shift = min(half, frames)
    gap = np.full((shift, values.shape[1]), np.nan)
    back = np.vstack([gap, values[: frames - shift]])
    on = np.vstack([values[shift:], gap])
    mean = uniform_filter1d(np.nan_to_num(values), size=2 * half + 1, axis=0, mode="nearest") if frames else values
    return [values, back, on, mean]


def _half(ks: dict[str, int]) -> int:
    return max(1, ks[MICRO] // 2)


def motion_features(track: Track, ks: dict[str, int]) -> np.ndarray:
    """Landmark region motion at the micro and macro windows, each at t, t +- k_micro / 2 and averaged."""
    return np.hstack([part for kind in TYPES for part in _context(region_motion(track, ks[kind]), _half(ks))])


def flow_lag_frames(track: Track) -> int:
    """The frames the track's region flow spans (its recorded ``region_flow`` option)."""
    lag = parse_lag(track.backend_options.get("region_flow", "1"))
    if not lag.seconds:
        return int(lag.value)
    if not np.isfinite(track.fps) or track.fps <= 0:
        raise InputError(f"track {track.id!r}: its region flow lag is {lag} but it records no frame rate")
    return max(1, round(lag.value * track.fps))


def flow_features(track: Track, ks: dict[str, int]) -> np.ndarray:
    """Region flow's magnitude and direction (a brow goes up, a lid down) at t, t +- k_micro / 2 and averaged,
    and the lag's flows chained over the macro window; InputError when the track has no region flow."""
    flow = track.extras.get(REGION_FLOW.name)
    if flow is None:
        raise InputError(
            f"track {track.id!r} has no region flow: extract it with -O region_flow=LAG (e.g. 40 frames at 200 fps, "
            "or 0.2s for videos)"
        )
    flow = flow.astype(np.float64)
    parts = _context(np.linalg.norm(flow, axis=-1), _half(ks)) + _context(flow.reshape(len(flow), -1), _half(ks))
    lag = flow_lag_frames(track)  # displacement over the macro window: t - macro ... t in steps of the lag
    steps = max(1, round(ks["macro"] / max(lag, 1)))
    chained = sum(np.roll(np.nan_to_num(flow), j * lag, axis=0) for j in range(steps))
    return np.hstack([*parts, np.linalg.norm(chained, axis=-1)])


FRAME_FEATURES: dict[str, Callable[[Track, dict[str, int]], np.ndarray]] = {
    "landmarks": motion_features,  # landmark region motion
    "flow": flow_features,  # region optical flow
}
