"""One source through one backend: the normalised track with its provenance (no storage here)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Callable, Optional, Union

import numpy as np

from ..errors import InputError, LandmarksetError
from ..extractors import Extractor, FrameResult, declared_extras, faces_of
from ..extras import FrameExtra
from ..io.frames import Frame, Source
from ..io.prefetch import prefetched
from ..provenance import Provenance
from ..regions import N_LANDMARKS
from ..track import Individuals, Track
from .checkpoint import CHUNK, Checkpoints
from .people import track_people
from .sequence import sequence_fields

__all__ = ["failure_reason", "request_provenance", "track_source"]

ProgressCallback = Callable[[int, int], None]
_PROGRESS_INTERVAL = 0.25  # seconds between progress messages


def request_provenance(extractor: Extractor, source: Source, version: Optional[str] = None) -> Provenance:
    """What a track of ``source`` made by ``extractor`` records (compared with a stored track before reuse).

    ``version`` saves looking the backend's version up again for every source of a run.
    """
    version = extractor.version if version is None else version
    return Provenance(extractor.name, version, dict(extractor.options), source.selection, source.fingerprint())


class _TrackBuffer:
    """Per-frame results in growing arrays (a few hundred bytes a frame; frames are not kept)."""

    def __init__(self, capacity: int, extras: tuple[FrameExtra, ...] = ()) -> None:
        capacity = max(capacity, 16)
        self.extras = {extra.name: extra for extra in extras}
        self.extra_values = {extra.name: extra.empty(capacity) for extra in extras}
        self.n = 0
        self.landmarks = np.empty((capacity, N_LANDMARKS, 2), np.float32)
        self.confidence = np.empty(capacity, np.float32)
        self.box = np.empty((capacity, 4), np.float32)
        self.valid = np.empty(capacity, bool)
        self.faces = np.empty(capacity, np.int16)
        self.timestamp = np.empty(capacity, np.float64)

    _FIELDS = ("landmarks", "confidence", "box", "valid", "faces", "timestamp")

    def state(self, start: int = 0) -> dict[str, np.ndarray]:
        """Frames ``start`` to now, for a checkpoint."""
        arrays = {name: getattr(self, name)[start : self.n] for name in self._FIELDS}
        arrays.update({f"extra_{name}": values[start : self.n] for name, values in self.extra_values.items()})
        return arrays

    def restore(self, arrays: dict[str, np.ndarray]) -> bool:
        """Continue after a checkpoint's frames; False (and nothing changed) when they do not fit this buffer."""
        expected = {*self._FIELDS, *(f"extra_{name}" for name in self.extra_values)}
        if expected - set(arrays) or {k for k in arrays if k.startswith("extra_")} - expected:
            return False
        n = len(arrays["valid"])
        if any(len(arrays[name]) != n for name in expected):
            return False
        while len(self.valid) < n:
            self._grow()
        for name in self._FIELDS:
            getattr(self, name)[:n] = arrays[name]
        for name in self.extra_values:
            self.extra_values[name][:n] = arrays[f"extra_{name}"]
        self.n = n
        return True

    def _grow(self) -> None:
        for name in self._FIELDS:
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.empty_like(old)]))
        for name, old in self.extra_values.items():
            self.extra_values[name] = np.concatenate([old, np.full_like(old, np.nan)])

    def append(self, result: FrameResult, timestamp: float) -> None:
        if self.n == len(self.valid):
            self._grow()
        valid = result.face_found and bool(np.isfinite(result.landmarks).all())
        self.landmarks[self.n] = result.landmarks if valid else np.nan
        self.confidence[self.n] = result.score if valid else np.nan
        self.box[self.n] = result.box if valid else np.nan
        self.valid[self.n] = valid
        self.faces[self.n] = result.faces_detected
        self.timestamp[self.n] = timestamp
        for name, extra in self.extras.items():
            given = result.extras.get(name) if valid else None
            where = f"frame {self.n}"
            self.extra_values[name][self.n] = np.nan if given is None else extra.check(given, where)
        self.n += 1


def _batches(frames: Iterator[Frame], size: int) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _results(extractor: Extractor, frames: list[Frame], timed: bool = True) -> list[FrameResult]:
    """One result per frame; an undecodable frame is a no-face result in its place. Without ``timed`` (images:
    their times, if a frame rate was given, are the track's, not the backend's) the backend sees each frame
    without a time, so that giving a folder its frame rate never changes its landmarks."""
    readable = [frame for frame in frames if frame.image is not None]
    timestamps = [None if math.isnan(frame.timestamp) or not timed else frame.timestamp for frame in readable]
    if len(readable) > 1 and hasattr(extractor, "process_batch"):
        computed = iter(extractor.process_batch([frame.image for frame in readable], timestamps))
    else:
        computed = iter(extractor.process(frame.image, ts) for frame, ts in zip(readable, timestamps))
    return [next(computed) if frame.image is not None else FrameResult.no_face(-1) for frame in frames]


def track_source(
    extractor: Extractor,
    source: Source,
    *,
    on_progress: Optional[ProgressCallback] = None,
    provenance: Optional[Provenance] = None,
    checkpoints: Optional[Checkpoints] = None,
) -> Union[Track, Individuals]:
    """Run ``extractor`` over every frame of ``source`` and return its normalised track.

    Frames that cannot be decoded or hold no face stay in place as NaN with valid=False. The track
    records ``provenance`` (computed here when not given). With ``checkpoints``, the frames done are
    saved every CHUNK frames and a saved start is continued (landmarkset.extraction.checkpoint); the
    backend is reset at every CHUNK either way, so both give the same track. Raises InputError when the
    source cannot be read at all. A backend asked for several faces (``faces``) gives every face as
    individuals (:mod:`landmarkset.extraction.people`; no checkpoints within a sequence).
    """
    provenance = provenance or request_provenance(extractor, source)
    if faces_of(extractor) != 1:
        return track_people(extractor, source, provenance, on_progress)
    source.open()
    extractor.reset()
    buffer = _TrackBuffer(source.frame_count, declared_extras(extractor))
    unreadable = 0
    saved = checkpoints.load(source.id, provenance) if checkpoints is not None else None
    if saved is not None and "unreadable" in saved and buffer.restore(saved):
        unreadable = int(saved["unreadable"])
    chunks_done, saved_up_to = buffer.n // CHUNK, buffer.n
    last_report = time.monotonic()
    for frames in _batches(prefetched(source.frames(start=buffer.n)), getattr(extractor, "batch_size", 1)):
        for frame, result in zip(frames, _results(extractor, frames, timed=source.kind == "video")):
            unreadable += frame.image is None
            buffer.append(result, frame.timestamp)
        if buffer.n // CHUNK > chunks_done:  # a boundary: reset (see above) and save the chunk
            chunks_done = buffer.n // CHUNK
            extractor.reset()
            if checkpoints is not None:
                chunk = {**buffer.state(saved_up_to), "unreadable": np.array(unreadable)}
                checkpoints.save(source.id, provenance, saved_up_to, chunk)
            saved_up_to = buffer.n
        if on_progress is not None and time.monotonic() - last_report > _PROGRESS_INTERVAL:
            on_progress(buffer.n, source.frame_count)
            last_report = time.monotonic()
    if buffer.n == 0:
        raise InputError(f"{source.path}: no frame could be decoded")
    if on_progress is not None:
        on_progress(buffer.n, buffer.n)
    n = buffer.n
    size = np.array([source.width, source.height], dtype=np.float32)
    return Track(
        landmarks=buffer.landmarks[:n] / size,
        valid=buffer.valid[:n],
        confidence=buffer.confidence[:n],
        timestamp=buffer.timestamp[:n],
        box=buffer.box[:n] / np.tile(size, 2),
        faces_detected=buffer.faces[:n],
        extras={name: values[:n] for name, values in buffer.extra_values.items()},
        extra_specs=dict(buffer.extras),
        **sequence_fields(source, provenance, extractor.options, n, unreadable),
    )


def failure_reason(error: BaseException, path: str) -> str:
    """One line for a failed input, without the leading "PATH: " that the report adds."""
    text = str(error) if isinstance(error, LandmarksetError) else f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    prefix = f"{path}: "
    return text[len(prefix) :] if text.startswith(prefix) else text
