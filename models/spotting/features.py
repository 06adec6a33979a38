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

from landmarkset.regions import EYE_REGIONS, SPOT_REGIONS
from landmarkset.track import Track

from ..preprocess import interocular, similarity_align

__all__ = ["region_motion", "spotting_score_curve"]


def region_motion(track: Track, lag: int) -> np.ndarray:
    """(frames, regions) motion between each frame and the one ``lag`` frames before, in SPOT_REGIONS order."""
    if lag < 1:
        raise ValueError(f"lag must be at least 1 frame, got {lag}")
    pixels = track.pixels().astype(np.float64)  # pixels: the normalised x and y have different units
    motion = np.full((track.n_frames, len(SPOT_REGIONS)), np.nan)
    if track.n_frames <= lag:
        return motion
    before, now = pixels[:-lag], pixels[lag:]
    aligned = similarity_align(now, before)
    displacement = np.linalg.norm(aligned - before, axis=-1) / interocular(before)[:, None]
    both = track.valid[lag:] & track.valid[:-lag]
    for column, points in enumerate(SPOT_REGIONS.values()):
        motion[lag:, column] = np.where(both, displacement[:, list(points)].mean(axis=1), np.nan)
    return motion


def spotting_score_curve(motion: np.ndarray, masked: Sequence[str] = EYE_REGIONS) -> np.ndarray:
    """One score per frame: the mean motion of the regions not ``masked`` (the eyes by default: blinks
    are the main false positives of spotting)."""
    keep = [column for column, name in enumerate(SPOT_REGIONS) if name not in masked]
    return motion[:, keep].mean(axis=1)
