"""Extraction on this machine: in this process, or in a pool of worker processes.

A worker that dies (a native crash in a backend) breaks the pool: the inputs that had not started are
queued again, and each input that was running is retried alone, so a single input that crashes the
backend fails alone. Workers only compute tracks; the driver's thread writes every result.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional

from ..errors import InputError, LandmarksetError
from ..extractors import Extractor, get_extractor
from ..io.frames import Source
from ..provenance import Provenance
from ..track import Track
from .checkpoint import Checkpoints
from .progress import Progress
from .runner import Done
from .tracking import track_source

__all__ = ["LocalRunner"]

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


def _worker_track(source: Source, provenance: Provenance, checkpoints: Optional[Checkpoints]) -> Track:
    def report(done: int, total: int) -> None:
        _worker_messages.put((source.id, done, total))

    report(-1, 0)  # "started": tells the driver which inputs were running if this process dies
    return track_source(_worker_extractor, source, on_progress=report, provenance=provenance, checkpoints=checkpoints)


class LocalRunner:
    """Runs sources in this process (one worker) or in ``workers`` spawned processes."""

    def __init__(self, extractor: Extractor, workers: int = 1, checkpoints: Optional[Checkpoints] = None) -> None:
        self.extractor, self.workers, self.checkpoints = extractor, workers, checkpoints

    def recover(self, requests: Mapping[str, Provenance]) -> Iterator[Track]:
        """Nothing: a local run keeps no results outside the store."""
        return iter(())

    def run(self, todo: list[Source], requests: Mapping[str, Provenance], done: Done, bars: Progress) -> None:
        if self.workers == 1 or len(todo) <= 1:
            self._run_here(todo, requests, done, bars)
        else:
            self._run_pool(todo, requests, done, bars)

    def finish(self) -> None:
        """Nothing to clean up."""

    def _run_here(self, todo: list[Source], requests: Mapping[str, Provenance], done: Done, bars: Progress) -> None:
        for source in todo:
            try:
                track = track_source(
                    self.extractor,
                    source,
                    on_progress=lambda n, total, s=source: bars.update(s.id, n, total),
                    provenance=requests[source.id],
                    checkpoints=self.checkpoints,
                )
            except Exception as error:  # one bad input must not stop the batch
                done(source, None, error)
            else:
                done(source, track, None)

    def _run_pool(self, todo: list[Source], requests: Mapping[str, Provenance], done: Done, bars: Progress) -> None:
        queued, suspects = list(todo), []
        while queued or suspects:
            alone = bool(suspects)
            batch = [suspects.pop(0)] if alone else queued
            if not alone:
                queued = []
            lost = self._pool_round(batch, requests, 1 if alone else self.workers, done, bars)
            if len(lost) == len(batch) and not any(started for _, started in lost):
                raise LandmarksetError(
                    "the worker processes died before starting any input (see the messages above); "
                    "run with --workers 1, or from a script file rather than standard input"
                )
            for source, started in lost:
                if alone:
                    name = self.extractor.name
                    done(source, None, InputError(f"{source.path}: the {name} backend crashed on this input"))
                elif started:
                    suspects.append(source)
                else:
                    queued.append(source)

    def _pool_round(
        self, batch: list[Source], requests: Mapping[str, Provenance], workers: int, done: Done, bars: Progress
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
            initargs=(self.extractor.name, dict(self.extractor.options), messages, os.getpid()),
        ) as pool:
            pending: dict[Future, Source] = {
                pool.submit(_worker_track, source, requests[source.id], self.checkpoints): source for source in batch
            }
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


def _drain(messages: Any, bars: Progress, started: set[str]) -> None:
    while True:
        try:
            sequence_id, count, total = messages.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        started.add(sequence_id)
        if count >= 0:
            bars.update(sequence_id, count, total)
