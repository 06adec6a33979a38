"""A sequence's landmark track: the data type every stage passes around (its storage: landmarkset.io)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ._version import __version__
from .names import name_problem
from .provenance import ALL_FRAMES, LISTED_FRAMES, Provenance

__all__ = ["Track"]


@dataclass
class Track:
    """One sequence's landmarks, normalised by image size, with per-frame flags and provenance.

    ``landmarks[t, i] = (x / width, y / height)``; NaN where ``valid[t]`` is False (no face, or a
    frame that could not be decoded). Frames are never dropped: ``frame_index`` holds the position
    of each frame in its source (0..T-1 when every frame was extracted).

    Provenance: ``backend``, ``backend_version``, ``backend_options``, ``selection`` ("all": every frame
    of the source; "listed": exactly the frames in ``frame_index``) and ``source_fingerprint`` (see
    :mod:`landmarkset.provenance`).
    ``frames_promised`` is the frame count a video's container announced (-1: not a video, or unknown);
    a track with fewer frames was cut short by a decoding error.
    """

    id: str
    landmarks: np.ndarray
    valid: np.ndarray
    confidence: np.ndarray
    frame_index: np.ndarray
    timestamp: np.ndarray
    box: np.ndarray
    faces_detected: np.ndarray
    width: int
    height: int
    source: str = ""
    fps: float = math.nan
    backend: str = ""
    backend_version: str = ""
    backend_options: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    label: str = ""
    frame_names: Optional[list[str]] = None
    landmarkset_version: str = __version__
    unreadable_frames: int = 0
    selection: str = ALL_FRAMES
    source_fingerprint: Optional[dict[str, Any]] = None
    frames_promised: int = -1

    def __post_init__(self) -> None:
        self.landmarks = np.asarray(self.landmarks, dtype=np.float32)
        n = self.landmarks.shape[0]
        self.valid = np.asarray(self.valid, dtype=bool)
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        self.frame_index = np.asarray(self.frame_index, dtype=np.int32)
        self.timestamp = np.asarray(self.timestamp, dtype=np.float64)
        self.box = np.asarray(self.box, dtype=np.float32)
        self.faces_detected = np.asarray(self.faces_detected, dtype=np.int16)
        expected = {
            "landmarks": (n, 68, 2),
            "valid": (n,),
            "confidence": (n,),
            "frame_index": (n,),
            "timestamp": (n,),
            "box": (n, 4),
            "faces_detected": (n,),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"Track {self.id!r}: {name} has shape {getattr(self, name).shape}, expected {shape}")
        if self.frame_names is not None and len(self.frame_names) != n:
            raise ValueError(f"Track {self.id!r}: {len(self.frame_names)} frame names for {n} frames")
        problem = name_problem(self.id)
        if problem is not None:
            raise ValueError(f"Track id {self.id!r} cannot name a sequence: {problem}")
        if self.selection not in (ALL_FRAMES, LISTED_FRAMES):
            raise ValueError(f"Track {self.id!r}: selection must be 'all' or 'listed', got {self.selection!r}")

    @property
    def n_frames(self) -> int:
        return int(self.landmarks.shape[0])

    def pixels(self) -> np.ndarray:
        """Landmarks in pixel coordinates, (T, 68, 2)."""
        return self.landmarks * np.array([self.width, self.height], dtype=np.float32)

    @property
    def face_rate(self) -> float:
        """Fraction of frames with a face (NaN for an empty track)."""
        return float(self.valid.mean()) if self.n_frames else math.nan

    @property
    def provenance(self) -> Provenance:
        """What made this track (compared with a run's request before the track is reused)."""
        selection = ALL_FRAMES if self.selection == ALL_FRAMES else tuple(self.frame_index.tolist())
        return Provenance(
            self.backend, self.backend_version, dict(self.backend_options), selection, self.source_fingerprint
        )
