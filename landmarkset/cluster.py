"""Extraction on a Dask distributed cluster (``extract(..., scheduler=...)`` / ``--cluster local``).

Each input is one task. A worker tracks it and writes the track into its own shard,
``<output>.shards/shard-<worker>.h5`` (a crash-safe track store, so a killed worker leaves a readable
shard); the driver merges each finished track into the output at once. A worker that dies is replaced and
its task re-run by Dask; an input that kills workers ``allowed-failures`` times fails alone. A killed run
leaves the merged tracks in the output and the others in shards: the next run merges those first,
then extracts only what is still missing, so nothing is lost or duplicated. Inputs and the output folder
must be on a file system the workers can see (as on HPC clusters).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from typing import Any, Callable, Optional

from .errors import InputError, LandmarksetError, MissingDependencyError
from .readers import Source
from .store import Track, TrackWriter, open_tracks

_extractors: dict[str, Any] = {}
_shard_lock = threading.Lock()


def shard_dir(output: str) -> str:
    return os.path.abspath(output) + ".shards"


def connect(scheduler: Optional[str], workers: int) -> tuple[Any, Callable[[], None]]:
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
    from .extractors import get_extractor

    key = f"{backend}\n{options_json}"
    if key not in _extractors:  # one model per worker process, loaded on its first task
        _extractors[key] = get_extractor(backend, **json.loads(options_json))
    return _extractors[key]


def _task(source: Source, backend: str, options_json: str, shards: str) -> tuple[str, Optional[str], Optional[str]]:
    """On a worker: track ``source`` into this worker's shard; (id, shard path, None) or (id, None, error)."""
    from distributed import get_worker

    from .extract import _one_line, _strip_path, track_source

    try:
        track = track_source(_worker_extractor(backend, options_json), source)
    except Exception as error:  # one bad input must not stop the batch
        return source.id, None, _strip_path(_one_line(error), source.path)
    name = hashlib.sha1(get_worker().id.encode()).hexdigest()[:12]
    shard = os.path.join(shards, f"shard-{name}.h5")
    with _shard_lock, TrackWriter(shard) as writer:
        if track.id not in writer.ids():
            writer.write(track)
    return source.id, shard, None


def shard_tracks(shards: str, wanted: set[str]) -> Iterator[Track]:
    """Tracks with ids in ``wanted`` found in the shards of a previous run (each id once)."""
    if not os.path.isdir(shards):
        return
    seen: set[str] = set()
    for name in sorted(os.listdir(shards)):
        if not name.endswith(".h5"):
            continue
        try:
            with open_tracks(os.path.join(shards, name)) as tracks:
                for track_id in tracks.ids():
                    if track_id in wanted and track_id not in seen:
                        seen.add(track_id)
                        yield tracks[track_id]
        except LandmarksetError:
            continue  # a shard cut short before its first commit holds nothing


def run_on_cluster(
    client: Any,
    backend: str,
    options: dict[str, Any],
    todo: list[Source],
    shards: str,
    done: Callable[[Source, Optional[Track], Optional[BaseException]], None],
) -> None:
    """Submit one task per source; merge each finished track through ``done`` as it arrives."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    os.makedirs(shards, exist_ok=True)
    run = uuid.uuid4().hex[:8]
    options_json = json.dumps(options, sort_keys=True)
    futures = {
        client.submit(_task, source, backend, options_json, shards, key=f"landmarkset-{run}-{i}", pure=False): source
        for i, source in enumerate(todo)
    }
    try:
        for future in as_completed(futures):
            source = futures[future]
            try:
                track_id, shard, error = future.result()
            except KilledWorker:
                done(
                    source,
                    None,
                    InputError(f"{source.path}: the {backend} backend killed the Dask workers on this input"),
                )
                continue
            except Exception as error:  # reported per input
                done(source, None, error)
                continue
            if error is not None:
                done(source, None, InputError(f"{source.path}: {error}"))
                continue
            with open_tracks(shard) as tracks:
                track = tracks[track_id]
            done(source, track, None)
    except BaseException:
        client.cancel(list(futures))
        raise


def remove_shards(shards: str) -> None:
    shutil.rmtree(shards, ignore_errors=True)
