"""Extraction: sources -> backend -> the store's one writer, with resume, workers and progress."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from ..errors import InputError, OptionError
from ..extractors import FACES_OPTION, Extractor, get_extractor, provenance_exempt_options
from ..individuals import faces_setting
from ..io.frames import Source, discover_sources
from ..io.writer import TrackWriter, check_output
from ..provenance import Provenance
from ..track import Track
from .checkpoint import Checkpoints, checkpoint_dir
from .dask import DaskRunner
from .local import LocalRunner
from .progress import Progress
from .report import ExtractionReport, Failure
from .resume import check_resume
from .runner import Runner
from .tracking import failure_reason, request_provenance

__all__ = ["extract", "extract_into"]

# per sequence id, track attributes to set (subject, label: text; fps: a number), compared on resume
Annotations = Mapping[str, Mapping[str, Union[str, float]]]


def extract(
    inputs: Union[str, Sequence[Union[str, Source]]],
    output: str,
    *,
    backend: str = "mediapipe",
    options: Optional[dict[str, Any]] = None,
    workers: int = 1,
    progress: Optional[bool] = None,
    overwrite: bool = False,
    annotations: Optional[Annotations] = None,
    scheduler: Optional[str] = None,
    fps: Optional[float] = None,
    faces: Union[int, str] = 1,
) -> ExtractionReport:
    """Extract 68-point tracks from videos, image folders or images into the track store ``output``.

    Every input ends as extracted, already done (stored earlier by the same backend from the same frames
    of the same files, so an interrupted run resumes where it stopped) or failed with its reason, while
    the others complete. A stored sequence made otherwise stops the run before anything is written
    (ProvenanceError); ``overwrite`` starts a new store instead. ``progress=None`` shows bars only on a
    terminal. Inputs may also be :class:`Source` objects with ids of their own; ``annotations`` maps ids to
    a ``subject`` and ``label`` stored with the track. ``scheduler`` runs the inputs on a Dask cluster:
    "tcp://HOST:PORT" for an existing one, "local" for a LocalCluster of ``workers`` processes. ``fps`` is the
    frame rate of the frame folders (which have none of their own: SAMM and CASME II 200, CAS(ME)^2 30, SMIC-HS
    100), recorded with their tracks and timing their frames; videos keep their container's rate. ``faces``
    ("all" or N; default 1) keeps every face as individuals followed across frames (landmarkset.individuals;
    stored as format 2 tracks, docs/format.md).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [os.fspath(inputs)]
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise OptionError(f"The 'workers' parameter of extract must be an int >= 1. Got {workers!r} instead.")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps < 100_000):
        raise OptionError(f"The 'fps' parameter of extract must be a positive number of frames a second. Got {fps!r}.")
    check_output(output)  # before the backend loads its model: a wrong output fails at once
    options = dict(options or {})
    if faces_setting(faces) != 1:
        options[FACES_OPTION] = faces
    extractor = get_extractor(backend, **options)  # validates name and options up front
    started = time.monotonic()
    given = [item for item in inputs if isinstance(item, Source)]
    found = discover_sources([item for item in inputs if not isinstance(item, Source)])
    sources = given + found.sources
    if fps is not None:  # frame folders take the given rate; it is compared with a stored track's on resume
        annotations = {key: dict(value) for key, value in (annotations or {}).items()}
        for source in sources:
            if source.kind != "video":
                source.fps = float(fps)
                annotations.setdefault(source.id, {})["fps"] = float(fps)
    paths = [item for item in inputs if isinstance(item, str)] + [source.path for source in sources]
    with TrackWriter(output, overwrite=overwrite, inputs=paths) as writer:
        report = extract_into(
            writer, sources, extractor, workers=workers, progress=progress, annotations=annotations, scheduler=scheduler
        )
    report.failed[:0] = [Failure(path, reason) for path, reason in found.failed]
    report.ignored = found.ignored
    report.seconds = time.monotonic() - started
    return report


def _runner(extractor: Extractor, writer: TrackWriter, workers: int, scheduler: Optional[str]) -> Runner:
    if scheduler is not None:
        return DaskRunner(extractor, writer.path, scheduler, workers, provenance_exempt_options(extractor))
    return LocalRunner(extractor, workers, Checkpoints(checkpoint_dir(writer.path)))


def extract_into(
    writer: TrackWriter,
    sources: Sequence[Source],
    extractor: Extractor,
    *,
    workers: int = 1,
    progress: Optional[bool] = None,
    annotations: Optional[Annotations] = None,
    scheduler: Optional[str] = None,
) -> ExtractionReport:
    """Extract ``sources`` into an open store (the dataset builders share the writer and its lock)."""
    started = time.monotonic()
    ids = [source.id for source in sources]
    if len(set(ids)) != len(ids):
        twice = next(track_id for track_id in ids if ids.count(track_id) > 1)
        raise InputError(f"two inputs would both be stored as sequence {twice!r}: give each sequence its own id")
    report = ExtractionReport(output=writer.given)
    requests: dict[str, Provenance] = {}
    usable = []
    version = extractor.version
    for source in sources:
        try:
            requests[source.id] = request_provenance(extractor, source, version)
            usable.append(source)
        except InputError as error:  # a file that went missing
            report.failed.append(Failure(source.path, failure_reason(error, source.path)))
    exempt = provenance_exempt_options(extractor)
    report.skipped = check_resume(writer, requests, exempt=exempt, annotations=annotations)
    runner = _runner(extractor, writer, workers, scheduler)
    checkpoints = Checkpoints(checkpoint_dir(writer.path))

    def record(track: Track, source_path: str) -> None:
        for key, value in (annotations or {}).get(track.id, {}).items():
            setattr(track, key, value)
        writer.write(track)
        checkpoints.clear(track.id)  # journalled: its saved frames are no longer needed
        report.extracted.append(track.id)
        report.frames += track.n_frames
        report.frames_with_face += int(track.valid.sum())
        if track.unreadable_frames:  # kept in place as frames without a face, and said
            names = [name for name, faces in zip(track.frame_names or [], track.faces_detected) if faces < 0]
            example = f" ({names[0]}{' ...' if len(names) > 1 else ''})" if names else ""
            report.warnings.append(
                f"{source_path}: {track.unreadable_frames} frame(s) could not be decoded{example}: recorded as "
                "frames without a face"
            )
        if 0 < track.n_frames < track.frames_promised:
            report.warnings.append(
                f"{source_path}: decoded {track.n_frames} of the {track.frames_promised} frames its container "
                "promises (a damaged or cut file?); the track holds the frames that decoded"
            )

    paths = {source.id: source.path for source in usable}
    wanted = {track_id: request for track_id, request in requests.items() if track_id not in writer}
    for track in runner.recover(wanted):
        record(track, paths[track.id])
    todo = [source for source in usable if source.id not in writer]
    bars = Progress(len(todo), progress, min(workers, max(len(todo), 1)))

    def done(source: Source, track: Optional[Track], error: Optional[BaseException]) -> None:
        if track is not None:
            record(track, source.path)
        else:
            report.failed.append(Failure(source.path, failure_reason(error, source.path)))
        bars.finish(source.id, report.frames)

    try:
        runner.run(todo, requests, done, bars)
        runner.finish()
    finally:
        bars.close()
        extractor.close()
    report.seconds = time.monotonic() - started
    return report
