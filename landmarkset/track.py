"""A sequence's landmark track: the data type every stage passes around (its storage: landmarkset.io)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ._version import __version__
from .extras import FRAME_EXTRAS, HEAD_POSE, FrameExtra, head_pose_openface
from .names import name_problem
from .provenance import ALL_FRAMES, LISTED_FRAMES, Provenance
from .regions import N_LANDMARKS

__all__ = ["Individuals", "Track"]


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

    ``individual`` names the person this track follows when the sequence was extracted with several faces
    (``extract --faces``: "0", "1", ... in order of first appearance; see :mod:`landmarkset.individuals`);
    empty for a one-face track.

    ``extras`` holds the per-frame elements beyond the 68 points that the backend gave (name -> (T, ...)
    float32, NaN where ``valid`` is False), described by ``extra_specs`` (name ->
    :class:`~landmarkset.extras.FrameExtra`; landmarkset's own are filled in by name).
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
    individual: str = ""
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    extra_specs: dict[str, FrameExtra] = field(default_factory=dict)

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
            "landmarks": (n, N_LANDMARKS, 2),
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
        self.extras = {name: np.asarray(values, dtype=np.float32) for name, values in self.extras.items()}
        for name, values in self.extras.items():
            spec = self.extra_specs.get(name) or FRAME_EXTRAS.get(name)
            if spec is None:
                raise ValueError(f"Track {self.id!r}: extra {name!r} has no declaration (pass it in extra_specs)")
            self.extra_specs[name] = spec
            if values.shape != (n, *spec.shape):
                raise ValueError(
                    f"Track {self.id!r}: extra {name} has shape {values.shape}, expected {(n, *spec.shape)}"
                )
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
    def point_confidence(self) -> Optional[np.ndarray]:
        """(T, 68) confidence of each point, or None when the backend gives none (see docs/backends.md)."""
        return self.extras.get("point_confidence")

    @property
    def blendshapes(self) -> Optional[dict[str, np.ndarray]]:
        """Blendshape name -> (T,) coefficients, or None when the backend gives none."""
        values = self.extras.get("blendshapes")
        if values is None:
            return None
        return {label: values[:, i] for i, label in enumerate(self.extra_specs["blendshapes"].labels)}

    @property
    def head_pose(self) -> Optional[np.ndarray]:
        """(T, 4, 4) facial transformation matrices (MediaPipe's convention), or None."""
        return self.extras.get(HEAD_POSE.name)

    def head_rotation(self) -> Optional[np.ndarray]:
        """(T, 3) head rotation in radians (OpenFace's pose_Rx, pose_Ry, pose_Rz: pitch, yaw, roll), or None."""
        pose = self.head_pose
        return None if pose is None else head_pose_openface(pose)[:, 3:].astype(np.float32)

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


@dataclass
class Individuals:
    """A sequence extracted with several faces: one :class:`Track` per individual, all of the same frames
    (same id, source, frame_index, timestamp and provenance), each with ``individual`` set and NaN where its
    person is absent. What extraction passes to the store for such a sequence, as it passes a Track for
    one face."""

    tracks: list[Track]

    def __post_init__(self) -> None:
        if not self.tracks:
            raise ValueError("Individuals needs at least one track")
        first = self.tracks[0]
        names = [track.individual for track in self.tracks]
        if "" in names or len(set(names)) != len(names):
            raise ValueError(f"sequence {first.id!r}: individuals need distinct names, got {names}")
        for track in self.tracks[1:]:
            if track.id != first.id or not np.array_equal(track.frame_index, first.frame_index):
                raise ValueError(f"sequence {first.id!r}: every individual must cover the same frames")

    @property
    def id(self) -> str:
        return self.tracks[0].id

    @property
    def n_frames(self) -> int:
        return self.tracks[0].n_frames

    @property
    def valid(self) -> np.ndarray:
        """Frames where any individual's face was found."""
        return np.any([track.valid for track in self.tracks], axis=0)

    @property
    def names(self) -> list[str]:
        return [track.individual for track in self.tracks]

    def __getattr__(self, name: str) -> Any:
        # the sequence's own attributes (source, fps, provenance, frame_names, faces_detected...) are every
        # track's alike: read them from the first
        if name.startswith("_") or name == "tracks":
            raise AttributeError(name)
        return getattr(self.tracks[0], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "tracks":
            object.__setattr__(self, name, value)
        else:  # subject, label, fps given by a run: the sequence's, so every individual's
            for track in self.tracks:
                setattr(track, name, value)
