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
from typing import Optional, Union

import numpy as np

from .errors import InputError, MissingDependencyError
from .extract import ExtractionReport, Failure
from .readers import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, Source, list_images
from .smoothing import Smoothing
from .store import Track, TrackWriter, open_tracks

__all__ = ["export_openface", "export_table", "import_openface"]

_X = [f"x_{i}" for i in range(68)]
_Y = [f"y_{i}" for i in range(68)]
_REQUIRED = ["frame", "timestamp", "confidence", "success", *_X, *_Y]
# OpenFace's frame rate for image sequences, used for timestamps of tracks without one.
OPENFACE_DEFAULT_FPS = 30.0


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
            except (ValueError, IndexError):
                raise InputError(f"{path}: line {line_number}: a value is missing or not a number") from None
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


def _track_from_face(
    track_id: str,
    columns: dict[str, np.ndarray],
    counts: dict[int, int],
    csv_path: str,
    source: Optional[Source],
    size: tuple[int, int],
) -> Track:
    frames = columns["frame"].astype(np.int64)
    if frames.min() < 1:
        raise InputError(f"{csv_path}: frame numbers must start at 1 (OpenFace numbers frames from 1)")
    length = int(frames.max())
    if source is not None and source.frame_count:
        length = max(length, source.frame_count)
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
        backend="openface",
        backend_options={"imported_from": os.path.abspath(csv_path)},
        frame_names=source.frame_names if source is not None and source.kind != "video" else None,
    )


def import_openface(
    csv_paths: Union[str, Sequence[str]],
    output: str,
    size: Optional[tuple[int, int]] = None,
    media: Optional[str] = None,
) -> ExtractionReport:
    """Import OpenFace FeatureExtraction CSVs into the track store ``output``.

    The image size (needed to normalise) comes from ``size`` (width, height), else from ``media``
    (a video or image folder; only with one CSV), else from a video or image folder with the CSV's
    name beside it. A CSV with several face_ids gives one sequence per face (``NAME__face1``...).
    Sequences already in ``output`` are skipped. Problems with one CSV are reported in the result.
    """
    paths = [csv_paths] if isinstance(csv_paths, str) else list(csv_paths)
    if media is not None and len(paths) != 1:
        raise InputError("media= names the video of one CSV; with several CSVs, give size= or keep videos beside them")
    report = ExtractionReport(output=output)
    with TrackWriter(output) as writer:
        for path in paths:
            try:
                faces = _read_csv(path)
                source = _source_for(path, media)
                if size is None and source is None:
                    raise InputError(
                        f"{path}: cannot tell the image size: put the video (or image folder) with the same name "
                        "beside the CSV, or pass --size WIDTHxHEIGHT (or --media FILE)"
                    )
                frame_size = size or (source.width, source.height)
                stem = os.path.splitext(os.path.basename(path))[0]
                counts: dict[int, int] = {}
                for columns in faces.values():
                    for frame in columns["frame"].astype(int):
                        counts[int(frame)] = counts.get(int(frame), 0) + 1
                for face, columns in sorted(faces.items()):
                    track_id = stem if len(faces) == 1 else f"{stem}__face{face}"
                    if track_id in writer.ids():
                        report.skipped.append(track_id)
                        continue
                    track = _track_from_face(track_id, columns, counts, path, source, frame_size)
                    writer.write(track)
                    report.extracted.append(track_id)
                    report.frames += track.n_frames
                    report.frames_with_face += int(track.valid.sum())
            except (InputError, OSError, UnicodeDecodeError) as error:
                report.failed.append(Failure(path, str(error).removeprefix(f"{path}: ")))
    return report


def _number(value: float) -> str:
    """Full precision: the shortest text that reads back to the same float64."""
    return repr(float(value))


def export_openface(
    store: str, out_dir: str, sequences: Optional[Sequence[str]] = None, smoothing: Optional[Smoothing] = None
) -> list[str]:
    """Write each sequence as an OpenFace-style CSV (``out_dir/<id>.csv``); return the paths.

    Columns ``frame, face_id, timestamp, confidence, success, x_0..x_67, y_0..y_67`` in pixels at full
    float precision. As OpenFace does, frames without a face have success 0 and zero coordinates, and
    timestamps of image folders (no frame rate) assume 30 fps.
    """
    os.makedirs(out_dir, exist_ok=True)
    written = []
    with open_tracks(store, smoothing) as tracks:
        for track_id in sequences or tracks.ids():
            track = tracks[track_id]
            pixels = track.landmarks.astype(np.float64) * [track.width, track.height]
            fps = track.fps if math.isfinite(track.fps) and track.fps > 0 else OPENFACE_DEFAULT_FPS
            path = os.path.join(out_dir, f"{track_id}.csv")
            with open(path, "w", newline="") as handle:
                handle.write(", ".join(["frame", "face_id", "timestamp", "confidence", "success", *_X, *_Y]) + "\n")
                for t in range(track.n_frames):
                    valid = bool(track.valid[t])
                    stamp = track.timestamp[t] if math.isfinite(track.timestamp[t]) else track.frame_index[t] / fps
                    confidence = track.confidence[t] if valid else 0.0
                    coordinates = pixels[t].T.ravel() if valid else np.zeros(136)
                    cells = [str(track.frame_index[t] + 1), "0", _number(stamp), _number(confidence), str(int(valid))]
                    handle.write(", ".join(cells + [_number(v) for v in coordinates]) + "\n")
            written.append(path)
    return written


def _table_columns() -> list[str]:
    return ["sequence", "subject", "label", "frame", "timestamp", "valid", "confidence", *_X, *_Y]


def export_table(
    store: str, path: str, sequences: Optional[Sequence[str]] = None, smoothing: Optional[Smoothing] = None
) -> str:
    """One flat table, a row per frame of every sequence: CSV, or Parquet when ``path`` ends in .parquet.

    Coordinates are normalised (x / width, y / height) as in the store; NaN where not valid.
    """
    columns = _table_columns()
    if path.lower().endswith(".parquet"):
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError(
                "Parquet export needs pandas and pyarrow: pip install 'landmarkset[tables]'"
            ) from None
        frames = []
        with open_tracks(store, smoothing) as tracks:
            for track_id in sequences or tracks.ids():
                frames.append(pd.DataFrame(_table_rows(tracks[track_id]), columns=columns))
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        try:
            table.to_parquet(path, index=False)
        except ImportError as error:
            raise MissingDependencyError(
                f"Parquet export needs pyarrow: pip install 'landmarkset[tables]' ({error})"
            ) from error
        return path
    with open(path, "w", newline="") as handle, open_tracks(store, smoothing) as tracks:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for track_id in sequences or tracks.ids():
            for row in _table_rows(tracks[track_id]):
                writer.writerow([_number(v) if isinstance(v, float) else v for v in row])
    return path


def _table_rows(track: Track) -> list[list]:
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
        rows.append(row + [float(v) for v in track.landmarks[t, :, 0]] + [float(v) for v in track.landmarks[t, :, 1]])
    return rows
