"""Storing tracks made elsewhere (OpenFace CSVs, movement datasets) with the same resume rules as extraction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from ..errors import InputError
from ..io.writer import TrackWriter
from ..track import Individuals, Track
from .report import ExtractionReport
from .resume import check_resume

__all__ = ["store_imported"]


def store_imported(
    tracks: list[Union[Track, Individuals]],
    output: str,
    report: ExtractionReport,
    *,
    overwrite: bool,
    inputs: Sequence[str],
    rename: str,
) -> ExtractionReport:
    """Write ``tracks`` into ``output``, keeping stored tracks of the same provenance and refusing others.

    Two tracks with one id raise InputError ending with ``rename`` (how to fix it); ``report`` records
    what was written or kept.
    """
    ids = [track.id for track in tracks]
    if len(set(ids)) != len(ids):
        twice = next(track_id for track_id in ids if ids.count(track_id) > 1)
        raise InputError(f"two inputs would both be stored as sequence {twice!r}: {rename}")
    with TrackWriter(output, overwrite=overwrite, inputs=inputs) as writer:
        report.skipped = check_resume(writer, {track.id: track.provenance for track in tracks})
        for track in tracks:
            if track.id not in writer:
                writer.write(track)
                report.extracted.append(track.id)
                report.frames += track.n_frames
                report.frames_with_face += int(track.valid.sum())
    return report
