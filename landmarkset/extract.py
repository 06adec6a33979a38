"""Extraction: sources -> backend -> track store, with resume, parallel workers and progress."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import numpy as np
from tqdm.auto import tqdm

from . import cluster
from .errors import InputError, LandmarksetError, OptionError
from .extractors import Extractor, FrameResult, get_extractor
from .readers import Frame, Source, discover_sources
from .store import Track, TrackWriter

ProgressCallback = Callable[[int, int], None]
_PROGRESS_INTERVAL = 0.25  # seconds between progress messages from a worker


@dataclass(frozen=True)
class Failure:
    """An input that could not be extracted, and why (one line)."""

    path: str
    reason: str


@dataclass
class ExtractionReport:
    """What a call to :func:`extract` did."""

    output: str
    extracted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    frames: int = 0
    frames_with_face: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        rate = self.frames / self.seconds if self.seconds > 0 else math.nan
        face = 100 * self.frames_with_face / self.frames if self.frames else math.nan
        lines = [f"{len(self.extracted)} sequence(s) extracted into {self.output}"]
        if self.frames:
            lines[0] += f" ({self.frames} frames, face found in {face:.1f} %, {rate:.1f} frames/s)"
        if self.skipped:
            lines.append(f"{len(self.skipped)} sequence(s) already in the store, skipped")
        for failure in self.failed:
            lines.append(f"FAILED {failure.path}: {failure.reason}")
        return "\n".join(lines)


class _TrackBuffer:
    """Per-frame results in growing arrays (a few hundred bytes a frame; frames are not kept)."""

    def __init__(self, capacity: int) -> None:
        capacity = max(capacity, 16)
        self.n = 0
        self.landmarks = np.empty((capacity, 68, 2), np.float32)
        self.confidence = np.empty(capacity, np.float32)
        self.box = np.empty((capacity, 4), np.float32)
        self.valid = np.empty(capacity, bool)
        self.faces = np.empty(capacity, np.int16)
        self.timestamp = np.empty(capacity, np.float64)

    def append(self, result: FrameResult, timestamp: float) -> None:
        if self.n == len(self.valid):
            for name in ("landmarks", "confidence", "box", "valid", "faces", "timestamp"):
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.empty_like(old)]))
        valid = result.face_found and bool(np.isfinite(result.landmarks).all())
        self.landmarks[self.n] = result.landmarks if valid else np.nan
        self.confidence[self.n] = result.score if valid else np.nan
        self.box[self.n] = result.box if valid else np.nan
        self.valid[self.n] = valid
        self.faces[self.n] = result.faces_detected
        self.timestamp[self.n] = timestamp
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


def _results(extractor: Extractor, frames: list[Frame]) -> list[FrameResult]:
    """One result per frame; an undecodable frame is a no-face result in its place."""
    readable = [frame for frame in frames if frame.image is not None]
    timestamps = [None if math.isnan(frame.timestamp) else frame.timestamp for frame in readable]
    if len(readable) > 1 and hasattr(extractor, "process_batch"):
        computed = iter(extractor.process_batch([frame.image for frame in readable], timestamps))
    else:
        computed = iter(extractor.process(frame.image, ts) for frame, ts in zip(readable, timestamps))
    return [next(computed) if frame.image is not None else FrameResult.no_face(-1) for frame in frames]


def track_source(extractor: Extractor, source: Source, on_progress: Optional[ProgressCallback] = None) -> Track:
    """Run ``extractor`` over every frame of ``source`` and return its normalised track.

    Frames that cannot be decoded or hold no face stay in place as NaN with valid=False.
    Raises InputError when the source cannot be read at all.
    """
    source.open()
    extractor.reset()
    buffer = _TrackBuffer(source.frame_count)
    unreadable = 0
    last_report = time.monotonic()
    for frames in _batches(source.frames(), getattr(extractor, "batch_size", 1)):
        for frame, result in zip(frames, _results(extractor, frames)):
            unreadable += frame.image is None
            buffer.append(result, frame.timestamp)
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
        id=source.id,
        landmarks=buffer.landmarks[:n] / size,
        valid=buffer.valid[:n],
        confidence=buffer.confidence[:n],
        frame_index=np.asarray(source.frame_numbers[:n] if source.frame_numbers else np.arange(n), dtype=np.int32),
        timestamp=buffer.timestamp[:n],
        box=buffer.box[:n] / np.tile(size, 2),
        faces_detected=buffer.faces[:n],
        width=source.width,
        height=source.height,
        source=os.path.abspath(source.path),
        fps=source.fps,
        backend=extractor.name,
        backend_version=extractor.version,
        backend_options=dict(extractor.options),
        frame_names=source.frame_names if source.kind != "video" else None,
        unreadable_frames=unreadable,
    )


def _one_line(error: BaseException) -> str:
    if isinstance(error, LandmarksetError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())


def _strip_path(reason: str, path: str) -> str:
    prefix = f"{path}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else reason


# ---- worker processes -------------------------------------------------------------------------

_worker_extractor: Optional[Extractor] = None
_worker_messages: Any = None


def _exit_with_parent(parent: int) -> None:
    # A killed parent (kill -9) cannot shut the pool down: leave instead of lingering.
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(1.0)


def _init_worker(backend: str, options: dict[str, Any], messages: Any, parent: int) -> None:
    global _worker_extractor, _worker_messages
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _worker_extractor = get_extractor(backend, **options)
    _worker_messages = messages
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _worker_track(source: Source) -> Track:
    def report(done: int, total: int) -> None:
        _worker_messages.put((source.id, done, total))

    report(-1, 0)  # "started": tells the driver which inputs were running if this process dies
    return track_source(_worker_extractor, source, report)


# ---- the driver -------------------------------------------------------------------------------


class _Progress:
    """An overall bar over sequences and one bar per sequence being extracted."""

    def __init__(self, total: int, enabled: Optional[bool], slots: int) -> None:
        disable = None if enabled is None else not enabled  # None: only on a terminal
        self.overall = tqdm(total=total, desc="sequences", unit="seq", position=0, disable=disable, dynamic_ncols=True)
        self._disable = disable
        self._bars: dict[str, Any] = {}
        self._free = list(range(1, slots + 1))

    def update(self, sequence_id: str, done: int, total: int) -> None:
        bar = self._bars.get(sequence_id)
        if bar is None:
            position = self._free.pop(0) if self._free else len(self._bars) + 1
            bar = tqdm(
                total=total or None,
                desc=sequence_id[-30:],
                unit="frame",
                position=position,
                leave=False,
                disable=self._disable,
                dynamic_ncols=True,
            )
            bar.slot = position
            self._bars[sequence_id] = bar
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def finish(self, sequence_id: str, frames: int) -> None:
        bar = self._bars.pop(sequence_id, None)
        if bar is not None:
            self._free.append(bar.slot)
            self._free.sort()
            bar.close()
        self.overall.update(1)
        self.overall.set_postfix(frames=frames, refresh=False)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self.overall.close()


def extract(
    inputs: Union[str, Sequence[Union[str, Source]]],
    output: str,
    backend: str = "mediapipe",
    options: Optional[dict[str, Any]] = None,
    workers: int = 1,
    progress: Optional[bool] = None,
    overwrite: bool = False,
    annotations: Optional[dict[str, dict[str, str]]] = None,
    scheduler: Optional[str] = None,
) -> ExtractionReport:
    """Extract 68-point tracks from videos, image folders or images into the track store ``output``.

    Sequences already in ``output`` are skipped, so an interrupted run resumes where it stopped.
    An input that cannot be read is reported in the returned report's ``failed`` list while the
    others complete. ``progress=None`` shows bars only on a terminal. Inputs may also be
    :class:`Source` objects with ids of their own; ``annotations`` maps ids to a ``subject`` and
    ``label`` stored with the track. ``scheduler`` runs the inputs on a Dask cluster: "tcp://HOST:PORT"
    for an existing one, "local" for a LocalCluster of ``workers`` processes (see landmarkset.cluster).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [os.fspath(inputs)]
    if not isinstance(workers, int) or workers < 1:
        raise OptionError(f"The 'workers' parameter of extract must be an int >= 1. Got {workers!r} instead.")
    extractor = get_extractor(backend, **(options or {}))  # validates name and options up front
    started = time.monotonic()
    given = [item for item in inputs if isinstance(item, Source)]
    sources, problems = discover_sources([item for item in inputs if not isinstance(item, Source)])
    sources = given + sources
    report = ExtractionReport(output=output, failed=[Failure(path, reason) for path, reason in problems])
    if overwrite and os.path.exists(output):
        os.unlink(output)
    with TrackWriter(output) as writer:
        wanted = (extractor.name, json.dumps(dict(extractor.options), sort_keys=True))
        others = writer.existing_backends - {wanted}
        if others:
            name, opts = sorted(others)[0]
            raise InputError(
                f"{output} already holds tracks from backend {name!r} with options {opts}; this run uses "
                f"{wanted[0]!r} with {wanted[1]}: write to another file or pass --overwrite"
            )
        report.skipped = [source.id for source in sources if source.id in writer.ids()]

        def record(track: Track) -> None:
            for key, value in (annotations or {}).get(track.id, {}).items():
                setattr(track, key, value)
            writer.write(track)
            report.extracted.append(track.id)
            report.frames += track.n_frames
            report.frames_with_face += int(track.valid.sum())

        shards = cluster.shard_dir(output)
        if scheduler is not None:  # tracks that a killed cluster run left in its workers' shards
            for track in cluster.shard_tracks(shards, {source.id for source in sources} - writer.ids()):
                record(track)
        todo = [source for source in sources if source.id not in writer.ids()]
        bars = _Progress(len(todo), progress, min(workers, max(len(todo), 1)))

        def done(source: Source, track: Optional[Track], error: Optional[BaseException]) -> None:
            if track is not None:
                record(track)
            else:
                report.failed.append(Failure(source.path, _strip_path(_one_line(error), source.path)))
            bars.finish(source.id, report.frames)

        try:
            if scheduler is not None:
                if todo:
                    client, close = cluster.connect(scheduler, workers)
                    try:
                        cluster.run_on_cluster(client, backend, dict(extractor.options), todo, shards, done)
                    finally:
                        close()
                cluster.remove_shards(shards)  # every track is in the output now
            elif workers == 1 or len(todo) <= 1:
                _run_here(extractor, todo, bars, done)
            else:
                _run_pool(backend, dict(extractor.options), todo, workers, bars, done)
        finally:
            bars.close()
            extractor.close()
    report.seconds = time.monotonic() - started
    return report


def _run_here(extractor: Extractor, todo: list[Source], bars: _Progress, done: Callable) -> None:
    for source in todo:
        try:
            track = track_source(extractor, source, lambda n, total, s=source: bars.update(s.id, n, total))
        except Exception as error:  # one bad input must not stop the batch
            done(source, None, error)
        else:
            done(source, track, None)


def _run_pool(
    backend: str, options: dict[str, Any], todo: list[Source], workers: int, bars: _Progress, done: Callable
) -> None:
    """Extract in worker processes; the caller's thread writes every result.

    A worker that dies (a native crash in a backend) breaks the pool: the inputs that had not
    started are queued again, and each input that was running is retried alone, so a single
    input that crashes the backend fails alone.
    """
    queued, suspects = list(todo), []
    while queued or suspects:
        alone = bool(suspects)
        batch = [suspects.pop(0)] if alone else queued
        if not alone:
            queued = []
        lost = _pool_round(backend, options, batch, 1 if alone else workers, bars, done)
        if len(lost) == len(batch) and not any(started for _, started in lost):
            raise LandmarksetError(
                "the worker processes died before starting any input (see the messages above); "
                "run with --workers 1, or from a script file rather than standard input"
            )
        for source, started in lost:
            if alone:
                done(source, None, InputError(f"{source.path}: the {backend} backend crashed on this input"))
            elif started:
                suspects.append(source)
            else:
                queued.append(source)


def _pool_round(
    backend: str, options: dict[str, Any], batch: list[Source], workers: int, bars: _Progress, done: Callable
) -> list[tuple[Source, bool]]:
    """Run ``batch`` in one pool; return (source, had it started) for those lost to a crash."""
    # spawn, not fork: the backends' native libraries (TFLite, torch) are not fork-safe.
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    started: set[str] = set()
    crashed: list[Source] = []
    with ProcessPoolExecutor(
        max_workers=min(workers, len(batch)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(backend, options, messages, os.getpid()),
    ) as pool:
        pending: dict[Future, Source] = {pool.submit(_worker_track, source): source for source in batch}
        try:
            while pending:
                finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(messages, bars, started)
                for future in finished:
                    source = pending.pop(future)
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        crashed.append(source)
                    else:
                        done(source, None if error else future.result(), error)
        except BaseException:
            # Ctrl-C or an error while writing: stop now rather than wait for running inputs.
            for future in pending:
                future.cancel()
            for process in list(getattr(pool, "_processes", {}).values()):  # no public API for this
                process.terminate()
            raise
    _drain(messages, bars, started)
    return [(source, source.id in started) for source in crashed]


def _drain(messages: Any, bars: _Progress, started: set[str]) -> None:
    while True:
        try:
            sequence_id, count, total = messages.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        started.add(sequence_id)
        if count >= 0:
            bars.update(sequence_id, count, total)
