"""A stored track made ready for a spotter: its windows in frames, the features the spotter reads, its subject
and its annotated intervals (:class:`SpotVideo`). Every reason a video cannot be spotted is an error naming it,
so that it fails alone."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from landmarkset.errors import InputError, OptionError
from landmarkset.intervals import MICRO, TYPES, Interval, Span, micro_limit
from landmarkset.io import TrackFile
from landmarkset.windows import check_contiguous

__all__ = ["SpotVideo", "check_video", "load_video", "track_source"]


class ReadsFeatures(Protocol):
    """What a video is made ready for: a spotter's ``features`` (see spotters.Spotter)."""

    def features(self, store: TrackFile, track_id: str, ks: dict[str, int]) -> np.ndarray: ...


@dataclass
class SpotVideo:
    """One video ready for a spotter: ``ks`` its window k per type in frames, ``features`` (frames, n) what the
    spotter reads, ``truth`` its annotated intervals, ``source`` the backend (and region-flow lag) its landmarks
    came from."""

    video: str
    subject: str
    frames: int
    fps: float
    ks: dict[str, int]
    features: np.ndarray = field(repr=False)
    truth: list[Interval] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def micro_limit(self) -> float:
        """Frames under which an interval of this video is a micro-expression (landmarkset.intervals)."""
        return micro_limit(self.fps, self.ks[MICRO])


def track_source(store: TrackFile, track_id: str) -> dict[str, Any]:
    """What made a stored track's landmarks: backend, its version and its region-flow lag (if any)."""
    provenance = store.provenance(track_id)
    source = {"backend": provenance.backend, "backend_version": provenance.backend_version}
    lag = dict(provenance.backend_options).get("region_flow")
    return {**source, "region_flow": None if lag is None else str(lag)}


def check_video(store: TrackFile, track_id: str, windows: dict[str, Span]) -> tuple[float, int, dict[str, int]]:
    """(fps, frames, window k per type in frames) of a stored track that can be spotted; InputError or
    OptionError (one line, naming it) when it cannot: listed frames rather than a video, windows in seconds
    without a frame rate, or shorter than one micro interval."""
    attrs = store.sequence_attrs(track_id)
    fps = float(attrs.get("fps", math.nan))
    fps = fps if math.isfinite(fps) and fps > 0 else math.nan
    frames = store.frame_count(track_id)
    check_contiguous(track_id, store.frame_index(track_id))
    try:
        ks = {kind: windows[kind].frames(fps) for kind in TYPES}
    except OptionError as error:
        raise OptionError(f"track {track_id!r}: {error}") from None
    shortest = 2 * ks[MICRO] + 1
    if frames < shortest:
        raise InputError(
            f"track {track_id!r} has {frames} frames, fewer than one micro window ({shortest} frames: 2 k + 1 with "
            f"k = {ks[MICRO]}): too short to spot in"
        )
    return fps, frames, ks


def load_video(
    store: TrackFile,
    track_id: str,
    spotter: ReadsFeatures,
    windows: dict[str, Span],
    truth: Sequence[Interval] = (),
) -> SpotVideo:
    """``track_id`` of ``store`` ready for ``spotter`` (see :func:`check_video`; InputError too when the track
    lacks what the spotter reads)."""
    fps, frames, ks = check_video(store, track_id, windows)
    subjects = {interval.subject for interval in truth if interval.subject}
    recorded = str(store.sequence_attrs(track_id).get("subject", "") or track_id)
    subject = subjects.pop() if len(subjects) == 1 else recorded
    features = spotter.features(store, track_id, ks)
    return SpotVideo(track_id, subject, frames, fps, ks, features, list(truth), track_source(store, track_id))
