"""OpenFace 2.x interoperability: import FeatureExtraction CSVs, export tracks for OpenFace-based scripts.

OpenFace's CSV has one row per frame and face: ``frame, face_id, timestamp, confidence, success,
..., x_0..x_67, y_0..y_67, ...`` (pixels; headers often with a leading space). Rows with
``success == 0`` are frames where tracking failed: they become invalid frames in place.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .errors import InputError, MissingDependencyError
from .extraction.imported import store_imported
from .extraction.report import ExtractionReport, Failure
from .extras import FrameExtra
from .io.frames import GLOB_CHARS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, Source, expand_glob, list_images
from .io.tracks import open_tracks
from .io.writer import refuse_input_as_output
from .names import file_stem
from .provenance import fingerprint
from .runfolder import atomic_file
from .smoothing import Smoothing
from .track import Individuals, Track

__all__ = ["export_openface", "export_table", "import_openface"]

_X = [f"x_{i}" for i in range(68)]
_Y = [f"y_{i}" for i in range(68)]
_REQUIRED = ["frame", "timestamp", "confidence", "success", *_X, *_Y]
# OpenFace's frame rate for image sequences, used for timestamps of tracks without one.
OPENFACE_DEFAULT_FPS = 30.0
OPENFACE = "openface"  # the backend name of imported tracks; the CSV's path is in their source fingerprint
_MAX_FRAME = 10_000_000


def _read_csv(path: str) -> dict[int, dict[str, np.ndarray]]:
    """Columns needed per face_id, as float arrays in file order."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in _REQUIRED if name not in header]
        if missing:
            raise InputError(
                f"{path}: not an OpenFace FeatureExtraction CSV (no column {missing[0]!r}); "
                "run FeatureExtraction with -2Dfp (or the default outputs)"
            )
        columns = [header.index(name) for name in _REQUIRED]
        face_column = header.index("face_id") if "face_id" in header else None
        faces: dict[int, list[list[float]]] = {}
        for line_number, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                values = [float(row[i]) for i in columns]
                face = int(float(row[face_column])) if face_column is not None else 0
            except (ValueError, IndexError, OverflowError):
                raise InputError(f"{path}: line {line_number}: a value is missing or not a number") from None
            frame = values[0]
            if not (math.isfinite(frame) and frame.is_integer() and 1 <= frame <= _MAX_FRAME):
                raise InputError(f"{path}: line {line_number}: frame {row[columns[0]]!r} is not a frame number from 1")
            faces.setdefault(face, []).append(values)
    if not faces:
        raise InputError(f"{path}: the CSV has a header but no rows")
    return {
        face: {name: column for name, column in zip(_REQUIRED, np.array(rows, dtype=np.float64).T)}
        for face, rows in faces.items()
    }


def _matching_media(csv_path: str) -> Optional[str]:
    """The video or image folder an OpenFace CSV was made from: same name, same folder."""
    stem = os.path.splitext(csv_path)[0]
    for extension in sorted(VIDEO_EXTENSIONS | IMAGE_EXTENSIONS):
        for candidate in (stem + extension, stem + extension.upper()):
            if os.path.isfile(candidate):
                return candidate
    if os.path.isdir(stem) and list_images(stem):
        return stem
    return None


def _source_for(csv_path: str, media: Optional[str]) -> Optional[Source]:
    media = media or _matching_media(csv_path)
    if media is None:
        return None
    if os.path.isdir(media):
        kind = "images"
    elif os.path.splitext(media)[1].lower() in IMAGE_EXTENSIONS:
        kind = "image"
    else:
        kind = "video"
    return Source(media, "", kind).open()


def _check_against_media(csv_path: str, columns: dict[str, np.ndarray], source: Source) -> None:
    """InputError (one line) when the CSV cannot describe ``source``: another frame count, or points outside it."""
    frames = int(columns["frame"].max())
    if source.frame_count and frames != source.frame_count:
        raise InputError(
            f"{csv_path}: the CSV describes {frames} frames but {source.path} has {source.frame_count}: is it "
            "the CSV of that media? Give the matching --media, or --size WxH alone"
        )
    _check_within(csv_path, columns, (source.width, source.height), f"{source.path} is")


def _check_within(csv_path: str, columns: dict[str, np.ndarray], size: tuple[int, int], frame: str) -> None:
    """InputError when the landmarks of tracked frames reach far outside a frame of ``size`` pixels."""
    success = columns["success"] > 0
    if not success.any():
        return
    width, height = size
    x = np.stack([columns[name] for name in _X], 1)[success]
    y = np.stack([columns[name] for name in _Y], 1)[success]
    if x.max() > 1.5 * width or y.max() > 1.5 * height or x.min() < -0.5 * width or y.min() < -0.5 * height:
        raise InputError(
            f"{csv_path}: landmarks reach x {x.min():.0f}..{x.max():.0f}, y {y.min():.0f}..{y.max():.0f} pixels, "
            f"but {frame} {width}x{height}: give the frame size the CSV was made at (--size or --media)"
        )


def _track_from_face(
    track_id: str,
    columns: dict[str, np.ndarray],
    counts: dict[int, int],
    csv_path: str,
    source: Optional[Source],
    size: tuple[int, int],
    origin: dict[str, Any],
    length: int,
    individual: str = "",
) -> Track:
    frames = columns["frame"].astype(np.int64)
    rows = frames - 1
    width, height = size
    landmarks = np.full((length, 68, 2), np.nan, np.float32)
    success = np.zeros(length, bool)
    success[rows] = columns["success"] > 0
    points = np.stack(
        [np.stack([columns[x] for x in _X], 1) / width, np.stack([columns[y] for y in _Y], 1) / height], -1
    )
    landmarks[rows] = points.astype(np.float32)
    landmarks[~success] = np.nan  # OpenFace writes zeros where tracking failed
    confidence = np.full(length, np.nan, np.float32)
    confidence[rows] = columns["confidence"]
    confidence[~success] = np.nan
    timestamp = np.full(length, np.nan)
    timestamp[rows] = columns["timestamp"]
    box = np.full((length, 4), np.nan, np.float32)
    valid = success & np.isfinite(landmarks).all(axis=(1, 2))
    box[valid] = np.concatenate([np.nanmin(landmarks[valid], 1), np.nanmax(landmarks[valid], 1)], axis=1)
    faces_detected = np.array([counts.get(frame, 0) for frame in range(1, length + 1)], dtype=np.int16)
    steps = np.diff(columns["timestamp"])
    fps = math.nan
    if source is not None:
        fps = source.fps
    elif len(steps) and np.median(steps) > 0:
        fps = 1.0 / float(np.median(steps))
    return Track(
        id=track_id,
        landmarks=landmarks,
        valid=valid,
        confidence=confidence,
        frame_index=np.arange(length),
        timestamp=timestamp,
        box=box,
        faces_detected=faces_detected,
        width=width,
        height=height,
        source=os.path.abspath(source.path) if source is not None else "",
        fps=float(fps),
        backend=OPENFACE,
        frame_names=source.frame_names if source is not None and source.kind != "video" else None,
        source_fingerprint=origin,
        individual=individual,
    )


def _tracks_of_csv(path: str, size: Optional[tuple[int, int]], media: Optional[str]) -> Union[Track, Individuals]:
    """The sequence of one CSV (several face_ids: one individual each, named by it), checked against its media;
    InputError when it cannot be read."""
    faces = _read_csv(path)
    source = _source_for(path, media)
    if size is None and source is None:
        raise InputError(
            f"{path}: cannot tell the image size: put the video (or image folder) with the same name "
            "beside the CSV, or pass --size WIDTHxHEIGHT (or --media FILE)"
        )
    frame_size = size or (source.width, source.height)
    for face, columns in faces.items():
        numbers, times = np.unique(columns["frame"], return_counts=True)
        if (times > 1).any():
            raise InputError(f"{path}: frame {int(numbers[times > 1][0])} appears twice for face_id {face}")
        if source is not None:
            _check_against_media(path, columns, source)
        else:
            _check_within(path, columns, frame_size, "--size is")
    files = [path] + (source.files() if source is not None else [])
    origin = fingerprint(files, os.path.abspath(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    counts: dict[int, int] = {}
    for columns in faces.values():
        for frame in columns["frame"].astype(int):
            counts[int(frame)] = counts.get(int(frame), 0) + 1
    length = max(int(columns["frame"].max()) for columns in faces.values())
    if len(faces) == 1:
        return _track_from_face(stem, next(iter(faces.values())), counts, path, source, frame_size, origin, length)
    people = [_track_from_face(stem, columns, counts, path, source, frame_size, origin, length, str(face))
              for face, columns in sorted(faces.items())]  # fmt: skip
    timestamp = np.full(length, np.nan)  # each frame's time, from whichever face has a row there
    for person in people:
        timestamp = np.where(np.isnan(timestamp), person.timestamp, timestamp)
    for person in people:
        person.timestamp = timestamp
    return Individuals(people)


def import_openface(
    csv_paths: Union[str, Sequence[str]],
    output: str,
    *,
    size: Optional[tuple[int, int]] = None,
    media: Optional[str] = None,
    overwrite: bool = False,
) -> ExtractionReport:
    """Import OpenFace FeatureExtraction CSVs into the track store ``output``.

    The image size (needed to normalise) comes from ``size`` (width, height), else from ``media``
    (a video or image folder; only with one CSV), else from a video or image folder with the CSV's
    name beside it. A CSV is refused (one line) when its frame count differs from its media's or its
    landmarks fall far outside the frame. A CSV with several face_ids (FaceLandmarkVidMulti) gives one
    sequence with an individual per face_id (named by it; format 2 tracks, read by ``--person``). Sequences
    already imported from the same, unchanged CSV are kept; one imported otherwise stops the run before
    anything is written. Problems with one CSV are reported in the result, and a run that imports nothing
    leaves no store behind.
    """
    given = [csv_paths] if isinstance(csv_paths, str) else list(csv_paths)
    report = ExtractionReport(output=output, verb="imported")
    paths = []
    for path in given:  # globs are expanded here too, as extract expands them
        matches = expand_glob(path) if not os.path.exists(path) and GLOB_CHARS.search(path) else [path]
        if not matches:
            report.failed.append(Failure(path, "no file matches this pattern"))
        paths += matches
    if media is not None and len(paths) != 1:
        raise InputError("media= names the video of one CSV; with several CSVs, give size= or keep videos beside them")
    tracks: list[Union[Track, Individuals]] = []
    for path in paths:
        try:
            tracks.append(_tracks_of_csv(path, size, media))
        except (InputError, OSError, UnicodeDecodeError) as error:
            report.failed.append(Failure(path, str(error).removeprefix(f"{path}: ")))
    inputs = paths + ([media] if media else [])
    return store_imported(tracks, output, report, overwrite=overwrite, inputs=inputs, rename="rename one of them")


def _number(value: float) -> str:
    """Full precision: the shortest text that reads back to the same float64."""
    return repr(float(value))


def export_openface(
    store: str, out_dir: str, *, sequences: Optional[Sequence[str]] = None, smoothing: Optional[Smoothing] = None
) -> list[str]:
    """Write each sequence as an OpenFace-style CSV (``out_dir/<id>.csv``); return the paths.

    Columns ``frame, face_id, timestamp, confidence, success``, then OpenFace's columns for the extras
    the track has (head pose: ``pose_Tx..pose_Rz``), then ``x_0..x_67, y_0..y_67`` in pixels at full
    float precision. As OpenFace does, frames without a face have success 0 and zero values, and
    timestamps of image folders (no frame rate) assume 30 fps.
    """
    written = []
    with open_tracks(store, smoothing) as tracks:
        ids = _known_ids(tracks, store, sequences)
        for track_id in ids:
            refuse_input_as_output(os.path.join(out_dir, f"{file_stem(track_id)}.csv"), [store])
        os.makedirs(out_dir, exist_ok=True)
        for track_id in ids:
            people = tracks.individuals(track_id)  # several faces: OpenFace's face_id, a row per frame and face
            track = people[0]
            fps = track.fps if math.isfinite(track.fps) and track.fps > 0 else OPENFACE_DEFAULT_FPS
            extras = [track.extra_specs[name] for name in track.extras if track.extra_specs[name].openface_columns]
            extra_columns = [column for extra in extras for column in extra.openface_columns]
            path = os.path.join(out_dir, f"{file_stem(track_id)}.csv")  # two ids never share a file
            with atomic_file(path, newline="") as handle:
                header = ["frame", "face_id", "timestamp", "confidence", "success", *extra_columns, *_X, *_Y]
                handle.write(", ".join(header) + "\n")
                tables = [[extra.table(person.extras[extra.name]) for extra in extras] for person in people]
                for t in range(track.n_frames):
                    stamp = track.timestamp[t] if math.isfinite(track.timestamp[t]) else track.frame_index[t] / fps
                    for face_id, person in enumerate(people):
                        cells = _openface_row(person, t, tables[face_id], len(extra_columns))
                        frame = str(track.frame_index[t] + 1)
                        handle.write(", ".join([frame, str(face_id), _number(stamp), *cells]) + "\n")
            written.append(path)
    return written


def _openface_row(track: Track, t: int, extra_values: Sequence[np.ndarray], extra_count: int) -> list[str]:
    """Frame ``t``'s cells after frame, face_id and timestamp: confidence, success, extras (``extra_values``:
    each extra's table), points; zeros where no face, as OpenFace writes them."""
    valid = bool(track.valid[t])
    confidence = track.confidence[t] if valid else 0.0
    coordinates = (track.landmarks[t].astype(np.float64) * [track.width, track.height]).T.ravel()
    extra_cells = np.concatenate([values[t] for values in extra_values]) if extra_values else np.zeros(0)
    extra_cells = np.nan_to_num(extra_cells, nan=0.0) if valid else np.zeros(extra_count)
    cells = [_number(confidence), str(int(valid)), *(_number(v) for v in extra_cells)]
    return cells + [_number(v) for v in (coordinates if valid else np.zeros(136))]


_TABLE_START = ["sequence", "subject", "label", "frame", "timestamp", "valid", "confidence", *_X, *_Y]


def _known_ids(tracks: Any, store: str, sequences: Optional[Sequence[str]]) -> list[str]:
    """The sequences to export; InputError naming one the store does not hold (before any output exists)."""
    ids = list(sequences or tracks.ids())
    unknown = [track_id for track_id in ids if track_id not in tracks]
    if unknown:
        raise InputError(f"{store} has no sequence {unknown[0]!r}; `landmarkset info -s {store}` lists them")
    return ids


def _table_extras(tracks: Any, ids: Sequence[str], store: str = "the store") -> list[FrameExtra]:
    """The extras any of the exported tracks has, in first-seen order (their columns follow the points);
    InputError when two tracks carry an extra of one name with other columns (one header cannot hold both)."""
    found: dict[str, tuple[FrameExtra, str]] = {}
    for track_id in ids:
        for extra in tracks.extra_specs(track_id).values():
            first, where = found.setdefault(extra.name, (extra, track_id))
            if first.columns() != extra.columns():
                raise InputError(
                    f"{store}: the extra {extra.name!r} has {len(first.columns())} column(s) in {where!r} and "
                    f"{len(extra.columns())} in {track_id!r}, so one table cannot hold both: export them "
                    "separately (-s SEQUENCE; nothing was written)"
                )
    return [extra for extra, _ in found.values()]


def export_table(
    store: str, path: str, *, sequences: Optional[Sequence[str]] = None, smoothing: Optional[Smoothing] = None
) -> str:
    """One flat table, a row per frame of every sequence: CSV, or Parquet when ``path`` ends in .parquet.

    Coordinates are normalised (x / width, y / height) as in the store; NaN where not valid. The
    extras of the tracks follow as more columns (``point_confidence_0..67``, ``blendshapes_<name>``,
    OpenFace's ``pose_Tx..pose_Rz``), NaN for tracks without them.
    """
    refuse_input_as_output(path, [store])
    if path.lower().endswith(".parquet"):
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError(
                "Parquet export needs pandas and pyarrow: pip install 'landmarkset[tables]'"
            ) from None
        frames = []
        with open_tracks(store, smoothing) as tracks:
            ids = _known_ids(tracks, store, sequences)
            extras = _table_extras(tracks, ids, store)
            columns = _table_start(tracks, ids) + [column for extra in extras for column in extra.columns()]
            for track_id in ids:
                for person in tracks.individuals(track_id):
                    frames.append(pd.DataFrame(_table_rows(person, extras, len(columns)), columns=columns))
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        try:
            table.to_parquet(path, index=False)
        except ImportError as error:
            raise MissingDependencyError(
                f"Parquet export needs pyarrow: pip install 'landmarkset[tables]' ({error})"
            ) from error
        return path
    with open_tracks(store, smoothing) as tracks:
        ids = _known_ids(tracks, store, sequences)  # before the output is created
        extras = _table_extras(tracks, ids, store)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            columns = _table_start(tracks, ids) + [column for extra in extras for column in extra.columns()]
            writer.writerow(columns)
            for person in (person for track_id in ids for person in tracks.individuals(track_id)):
                for row in _table_rows(person, extras, len(columns)):
                    writer.writerow([_number(v) if isinstance(v, float) else v for v in row])
    return path


def _table_start(tracks: Any, ids: Sequence[str]) -> list[str]:
    """The first columns of the flat table: an ``individual`` after ``sequence`` when a sequence has several
    faces (only then: one-face tables stay as they were)."""
    if any(tracks.individual_names(track_id) for track_id in ids):
        return [_TABLE_START[0], "individual", *_TABLE_START[1:]]
    return list(_TABLE_START)


def _table_rows(track: Track, extras: Sequence[FrameExtra] = (), width: int = 0) -> list[list]:
    """A row per frame; ``width`` (the header's length) tells whether the table has an ``individual`` column."""
    values = [
        extra.table(track.extras[extra.name])
        if extra.name in track.extras
        else np.full((track.n_frames, len(extra.columns())), np.nan)
        for extra in extras
    ]
    rows = []
    for t in range(track.n_frames):
        row = [
            track.id,
            track.subject,
            track.label,
            int(track.frame_index[t]),
            float(track.timestamp[t]),
            bool(track.valid[t]),
            float(track.confidence[t]),
        ]
        row += [float(v) for v in track.landmarks[t, :, 0]] + [float(v) for v in track.landmarks[t, :, 1]]
        for table in values:
            row += [float(v) for v in table[t]]
        if width and len(row) < width:
            row.insert(1, track.individual)
        rows.append(row)
    return rows
