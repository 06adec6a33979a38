"""Per-frame motion in landmark regions: the training-free spotting feature.

For each frame t, the landmarks of frame t are aligned to those of frame t - k by the similarity of
their stable points (rigid head motion between the two removed), and each point's displacement is
measured in inter-ocular distances (eye centres) of frame t - k; a region's motion is the mean over
its points. k is the window of the expression type looked for (in frames, from seconds: 30 fps and
200 fps both work). Frames without a face, or whose frame t - k has none, are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from landmarkset.io import TrackFile
from landmarkset.regions import EYE_REGIONS, SPOT_REGIONS
from landmarkset.track import Track

from ..preprocess import interocular, similarity_align

__all__ = ["BLOCK", "region_motion", "region_motion_of_points", "spotting_score_curve", "streamed_score_curves"]

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
