"""Extraction on a Dask distributed cluster (``extract(..., scheduler=...)`` / ``--cluster local``).

Each input is one task. A worker tracks it and writes the track into its own shard,
``<output>.shards/shard-<worker>.h5`` (a crash-safe track store, so a killed worker leaves a readable
shard); the driver merges each finished track into the output at once. A worker that dies is replaced and
its task re-run by Dask; an input that kills workers ``allowed-failures`` times fails alone. A killed run
leaves the merged tracks in the output and the others in shards: the next run merges those made exactly
as it asks first, then extracts only what is still missing, so nothing is lost, duplicated or mixed.
Inputs and the output folder must be on a file system the workers can see (as on HPC clusters).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Callable, Optional

from ..errors import InputError, LandmarksetError, MissingDependencyError
from ..extractors import Extractor
from ..io.frames import Source
from ..io.tracks import open_tracks
from ..io.writer import TrackWriter
from ..provenance import Provenance
from ..track import Track
from .checkpoint import Checkpoints, checkpoint_dir
from .progress import Progress
from .runner import Done
from .tracking import failure_reason, track_source

__all__ = ["DaskRunner", "connect", "shard_dir"]

_extractors: dict[str, Any] = {}
_shard_lock = threading.Lock()


def shard_dir(output: str) -> str:
    return os.path.abspath(output) + ".shards"


def connect(scheduler: str, workers: int) -> tuple[Any, Callable[[], None]]:
    """A Dask client for ``scheduler`` ("tcp://HOST:PORT", or "local" for a LocalCluster of ``workers``
    single-threaded worker processes started for the run) and the function that closes what was opened."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError(
            "Extraction on a Dask cluster needs the distributed package: pip install 'landmarkset[dask]'"
        ) from None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        )
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close
    try:
        client = Client(scheduler, timeout="15s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {' '.join(str(error).split())}") from None
    return client, client.close


def _worker_extractor(backend: str, options_json: str) -> Any:
    from ..extractors import get_extractor

    key = f"{backend}\n{options_json}"
    if key not in _extractors:  # one model per worker process, loaded on its first task
        _extractors[key] = get_extractor(backend, **json.loads(options_json))
    return _extractors[key]


def _task(
    source: Source, provenance: Provenance, backend: str, options_json: str, shards: str, checkpoints: str
) -> tuple[str, Optional[str], Optional[str]]:
    """On a worker: track ``source`` into this worker's shard; (id, shard path, None) or (id, None, error)."""
    from distributed import get_worker

    try:
        extractor = _worker_extractor(backend, options_json)
        track = track_source(extractor, source, provenance=provenance, checkpoints=Checkpoints(checkpoints))
    except Exception as error:  # one bad input must not stop the batch
        return source.id, None, failure_reason(error, source.path)
    name = hashlib.sha1(get_worker().id.encode()).hexdigest()[:12]
    shard = os.path.join(shards, f"shard-{name}.h5")
    with _shard_lock, TrackWriter(shard) as writer:
        if track.id not in writer.ids():
            writer.write(track)
    return source.id, shard, None


class DaskRunner:
    """Runs sources as Dask tasks on ``scheduler`` ("tcp://HOST:PORT" or "local" with ``workers`` processes)."""

    def __init__(
        self, extractor: Extractor, output: str, scheduler: str, workers: int, exempt: Sequence[str] = ()
    ) -> None:
        self.extractor, self.scheduler, self.workers, self.exempt = extractor, scheduler, workers, tuple(exempt)
        self.shards = shard_dir(output)
        self.checkpoints = checkpoint_dir(output)  # long videos in progress, as a local run keeps them

    def recover(self, requests: Mapping[str, Provenance]) -> Iterator[Track]:
        """Tracks a killed run left in its workers' shards, each id once, made exactly as ``requests`` ask."""
        if not os.path.isdir(self.shards):
            return
        seen: set[str] = set()
        for name in sorted(os.listdir(self.shards)):
            if not name.endswith(".h5"):
                continue
            try:
                with open_tracks(os.path.join(self.shards, name)) as tracks:
                    for track_id in tracks.ids():
                        request = requests.get(track_id)
                        if request is None or track_id in seen:
                            continue
                        stored = tracks.provenance(track_id)
                        if request.setting_differences(stored, self.exempt) or request.sequence_differences(stored):
                            continue  # made otherwise: extracted again
                        seen.add(track_id)
                        yield tracks.sequence(track_id)
            except LandmarksetError:
                continue  # a shard cut short before its first commit holds nothing

    def run(self, todo: list[Source], requests: Mapping[str, Provenance], done: Done, bars: Progress) -> None:
        if not todo:
            return
        client, close = connect(self.scheduler, self.workers)
        try:
            self._submit(client, todo, requests, done)
        finally:
            close()

    def _submit(self, client: Any, todo: list[Source], requests: Mapping[str, Provenance], done: Done) -> None:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        os.makedirs(self.shards, exist_ok=True)
        run = uuid.uuid4().hex[:8]
        backend, options_json = self.extractor.name, json.dumps(dict(self.extractor.options), sort_keys=True)
        futures = {
            client.submit(
                _task, source, requests[source.id], backend, options_json, self.shards, self.checkpoints,
                key=f"landmarkset-{run}-{i}",
                pure=False,
            ): source
            for i, source in enumerate(todo)
        }  # fmt: skip
        try:
            for future in as_completed(futures):
                source = futures[future]
                try:
                    track_id, shard, error = future.result()
                except KilledWorker:
                    message = f"{source.path}: the {backend} backend killed the Dask workers on this input"
                    done(source, None, InputError(message))
                    continue
                except Exception as error:  # reported per input
                    done(source, None, error)
                    continue
                if error is not None:
                    done(source, None, InputError(f"{source.path}: {error}"))
                    continue
                with open_tracks(shard) as tracks:
                    track = tracks.sequence(track_id)
                done(source, track, None)
        except BaseException:
            client.cancel(list(futures))
            raise

    def finish(self) -> None:
        """Every track is in the output now: remove the shards."""
        shutil.rmtree(self.shards, ignore_errors=True)
