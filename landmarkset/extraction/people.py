"""One source through a several-face backend (``extract --faces``): a track per individual.

Every face each frame holds goes to an individual by :class:`landmarkset.individuals.IdentityTracker`;
each individual's track covers every frame of the source, NaN where its person is absent. ``--faces N``
keeps the N individuals seen on the most frames (ties: the first seen). A sequence where no face was
ever found is stored as a one-face track without a face, as a one-face run stores it. Unlike one-face
extraction, a video cut by an interruption restarts from its first frame (the tracker's memory is not
checkpointed).
"""

from __future__ import annotations

import time
from typing import Callable, Optional, Union

import numpy as np

from ..errors import InputError
from ..extractors import FrameResult, declared_extras, faces_of
from ..individuals import IdentityTracker
from ..io.frames import Source
from ..io.prefetch import prefetched
from ..provenance import Provenance
from ..regions import N_LANDMARKS
from ..track import Individuals, Track
from .sequence import sequence_fields

__all__ = ["track_people"]

_PROGRESS_INTERVAL = 0.25


def track_people(
    extractor: object,
    source: Source,
    provenance: Provenance,
    on_progress: Optional[Callable[[int, int], None]] = None,
    tracker: Optional[IdentityTracker] = None,
) -> Union[Individuals, Track]:
    """Every face of every frame of ``source``, followed as individuals (see the module docstring)."""
    tracker = tracker or IdentityTracker()
    tracker.reset()
    source.open()
    extractor.reset()
    frames_faces: list[dict[str, FrameResult]] = []
    timestamps, detected, unreadable = [], [], 0
    last_report = time.monotonic()
    for frame in prefetched(source.frames()):
        faces: list[FrameResult] = []
        if frame.image is None:
            unreadable += 1
        else:
            faces = [face for face in extractor.process_faces(frame.image, None) if np.isfinite(face.landmarks).all()]
        names = tracker.assign(
            len(frames_faces), np.array([f.box for f in faces]), np.array([f.landmarks for f in faces])
        )
        frames_faces.append(dict(zip(names, faces)))
        timestamps.append(frame.timestamp)
        detected.append(-1 if frame.image is None else max((face.faces_detected for face in faces), default=0))
        if on_progress is not None and time.monotonic() - last_report > _PROGRESS_INTERVAL:
            on_progress(len(frames_faces), source.frame_count)
            last_report = time.monotonic()
    n = len(frames_faces)
    if n == 0:
        raise InputError(f"{source.path}: no frame could be decoded")
    if on_progress is not None:
        on_progress(n, n)
    seen: dict[str, int] = {}
    for faces in frames_faces:
        for name in faces:
            seen[name] = seen.get(name, 0) + 1
    kept = sorted(seen, key=lambda name: (-seen[name], int(name)))
    if faces_of(extractor) != "all":
        kept = kept[: int(faces_of(extractor))]
    kept.sort(key=int)
    size = np.array([source.width, source.height], dtype=np.float32)
    common = dict(
        timestamp=np.asarray(timestamps, dtype=np.float64),
        faces_detected=np.asarray(detected, dtype=np.int16),
        **sequence_fields(source, provenance, extractor.options, n, unreadable),
    )
    extras = {extra.name: extra for extra in declared_extras(extractor)}
    tracks = [_individual(name, frames_faces, size, extras, common) for name in kept]
    if not tracks:
        return _individual("", frames_faces, size, extras, common)
    return Individuals(tracks)


def _individual(name: str, frames_faces: list, size: np.ndarray, extras: dict, common: dict) -> Track:
    n = len(frames_faces)
    landmarks = np.full((n, N_LANDMARKS, 2), np.nan, np.float32)
    confidence = np.full(n, np.nan, np.float32)
    box = np.full((n, 4), np.nan, np.float32)
    values = {key: extra.empty(n) for key, extra in extras.items()}
    for t, faces in enumerate(frames_faces):
        face = faces.get(name)
        if face is None:
            continue
        landmarks[t], confidence[t], box[t] = face.landmarks / size, face.score, face.box / np.tile(size, 2)
        for key, extra in extras.items():
            given = face.extras.get(key)
            values[key][t] = np.nan if given is None else extra.check(given, f"frame {t}")
    valid = np.isfinite(landmarks).all(axis=(1, 2))
    return Track(landmarks=landmarks, valid=valid, confidence=confidence, box=box, individual=name,
                 extras=values, extra_specs=dict(extras), **common)  # fmt: skip
