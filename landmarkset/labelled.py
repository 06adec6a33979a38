"""Tracks as labelled arrays (xarray) in the layout of the ``movement`` package, both ways.

A track becomes a ``movement`` poses dataset: ``position(time, space, keypoints, individuals)`` in
pixels and ``confidence(time, keypoints, individuals)``, NaN where the frame has no face, with
``fps``, ``source_file`` and ``source_software`` as attributes. landmarkset's own facts (image size,
backend and options, subject, label, frame numbers, per-frame extras) ride along as attributes, a
``frame_index`` coordinate and further variables, so that a track read back is the track written.
Pose-tracking users (DeepLabCut, SLEAP through ``movement``) bring 68-point face tracks in the other way.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .errors import InputError, MissingDependencyError
from .extraction.imported import store_imported
from .extraction.report import ExtractionReport, Failure
from .extras import FrameExtra, extra_from_stored
from .io.tracks import TrackFile, open_tracks
from .io.writer import refuse_input_as_output
from .names import name_problem
from .provenance import fingerprint
from .regions import N_LANDMARKS, REGIONS
from .smoothing import Smoothing
from .track import Individuals, Track

__all__ = ["KEYPOINTS", "export_netcdf", "from_xarray", "import_movement", "partial_frames", "to_xarray"]

#: Keypoint names, iBUG 300-W order: jaw_0..jaw_16, brows_0..brows_9, nose_0..8, eyes_0..11, mouth_0..19.
KEYPOINTS = tuple(f"{region}_{k}" for region, points in REGIONS.items() for k in range(len(points)))
SOFTWARE = "landmarkset"
BOX_CORNERS = ("x0", "y0", "x1", "y1")  # the face box, normalised as the landmarks
_EXTRA_PREFIX = "extra_"  # variables holding a track's per-frame extras
_HINT = "pip install 'landmarkset[xarray]'"


def _xarray():
    try:
        import xarray
    except ImportError:
        raise MissingDependencyError(f"Labelled arrays need xarray: {_HINT}") from None
    return xarray


def _time(track: Track) -> tuple[np.ndarray, str]:
    """The time coordinate: the frames' timestamps in seconds, else frame numbers (no frame rate)."""
    if track.n_frames and np.isfinite(track.timestamp).all() and np.all(np.diff(track.timestamp) > 0):
        return track.timestamp.astype(np.float64), "seconds"
    if math.isfinite(track.fps) and track.fps > 0:
        return track.frame_index / track.fps, "seconds"
    return track.frame_index.astype(np.float64), "frames"


def track_dataset(track: Union[Track, Individuals]):
    """One sequence as a ``movement`` poses dataset: one individual named after the track, or, for a
    sequence extracted with several faces, one per individual (named "0", "1", ...)."""
    xr = _xarray()
    people = track.tracks if isinstance(track, Individuals) else [track]
    track = people[0]
    time, unit = _time(track)
    # float64: the normalised float32 coordinates times the size read back exactly.
    size = [track.width, track.height]
    position = np.stack([(p.landmarks.astype(np.float64) * size).transpose(0, 2, 1) for p in people], axis=-1)
    if track.point_confidence is not None:
        confidence, origin = np.stack([p.point_confidence for p in people], axis=-1), "point"
    else:
        confidence, origin = (
            np.stack([np.repeat(p.confidence[:, None], N_LANDMARKS, axis=1) for p in people], -1),
            "frame",
        )
    valid = np.stack([p.valid for p in people], axis=-1)
    confidence = np.where(valid[:, None, :], confidence, np.nan)
    individuals = [p.individual for p in people] if track.individual else [track.id]
    variables: dict[str, Any] = {
        "position": (("time", "space", "keypoints", "individuals"), position),
        "confidence": (("time", "keypoints", "individuals"), confidence.astype(np.float32)),
        # ours, beside movement's: what the detector saw, so that an import gives the track back exactly
        "faces_detected": (("time", "individuals"), np.stack([p.faces_detected.astype(np.int16) for p in people], -1)),
        "box": (("time", "box_corner", "individuals"), np.stack([p.box.astype(np.float64) for p in people], -1)),
    }
    coords: dict[str, Any] = {
        "time": time,
        "box_corner": list(BOX_CORNERS),
        "space": ["x", "y"],
        "keypoints": list(KEYPOINTS),
        "individuals": individuals,
        "frame_index": ("time", track.frame_index.astype(np.int64)),
    }
    for name in track.extras:
        spec = track.extra_specs[name]
        dims = tuple(f"{name}_{axis}" for axis in range(len(spec.shape)))
        if spec.labels:
            dims = (*dims[:-1], name)
            coords[name] = list(spec.labels)
        variables[_EXTRA_PREFIX + name] = (
            ("time", *dims, "individuals"),
            np.stack([p.extras[name] for p in people], axis=-1),
            {"description": spec.description, "unit": spec.unit},
        )
    facts = _track_attrs(track)
    if track.individual:  # several faces of one sequence: imported back as its individuals
        facts["individuals"] = individuals
    attrs = {
        "source_software": SOFTWARE,
        "ds_type": "poses",
        "time_unit": unit,
        "source_file": track.source,
        "confidence_origin": origin,
        "landmarkset_track": json.dumps(facts, sort_keys=True),
    }
    if math.isfinite(track.fps) and track.fps > 0:
        attrs["fps"] = float(track.fps)
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _track_attrs(track: Track) -> dict[str, Any]:
    return {
        "id": track.id,
        "width": track.width,
        "height": track.height,
        "backend": track.backend,
        "backend_version": track.backend_version,
        "backend_options": track.backend_options,
        "subject": track.subject,
        "label": track.label,
        "selection": track.selection,
        "unreadable_frames": track.unreadable_frames,
        "frames_promised": track.frames_promised,
        "landmarkset_version": track.landmarkset_version,
        "source_fingerprint": track.source_fingerprint,
        "timestamps": [None if not math.isfinite(t) else float(t) for t in track.timestamp],
        "frame_names": track.frame_names,
    }


def to_xarray(
    tracks: Union[Track, TrackFile, str],
    sequences: Optional[Sequence[str]] = None,
    smoothing: Optional[Smoothing] = None,
):
    """A track as an ``xarray.Dataset`` in movement's poses layout; a store (open, or its path) as an
    ``xarray.DataTree`` with one such dataset per sequence (``tree[id].to_dataset()``). A sequence extracted
    with several faces has one entry of the ``individuals`` dimension per person."""
    if isinstance(tracks, (Track, Individuals)):
        return track_dataset(tracks)
    xr = _xarray()
    if isinstance(tracks, str):
        with open_tracks(tracks, smoothing) as store:
            return to_xarray(store, sequences)
    return xr.DataTree.from_dict(
        {f"/{track_id}": track_dataset(tracks.sequence(track_id)) for track_id in sequences or tracks.ids()}
    )


def export_netcdf(
    store: str, path: str, *, sequences: Optional[Sequence[str]] = None, smoothing: Optional[Smoothing] = None
) -> str:
    """Write a store's tracks as NetCDF: one sequence as the file's root dataset, several as one group
    per sequence (``xr.open_dataset(path, group=ID)``)."""
    _xarray()
    refuse_input_as_output(path, [store])
    with open_tracks(store, smoothing) as tracks:
        ids = list(sequences or tracks.ids())
        for track_id in ids:
            if track_id not in tracks:
                raise InputError(f"{store} has no sequence {track_id!r}")
        if len(ids) == 1:
            track_dataset(tracks.sequence(ids[0])).to_netcdf(path, engine="h5netcdf")
        else:
            to_xarray(tracks, ids).to_netcdf(path, engine="h5netcdf")
    return path


def _keypoint_order(dataset, where: str) -> np.ndarray:
    names = [str(name) for name in dataset["keypoints"].values]
    if len(names) != N_LANDMARKS:
        raise InputError(f"{where}: {len(names)} keypoints; a face track needs the 68 iBUG 300-W points")
    if set(names) == set(KEYPOINTS):
        return np.array([names.index(name) for name in KEYPOINTS])
    return np.arange(N_LANDMARKS)  # foreign names: taken in iBUG 300-W order, as documented


def from_xarray(dataset, *, size: Optional[tuple[int, int]] = None, name: Optional[str] = None) -> list[Track]:
    """Tracks (one per individual) from a ``movement`` poses dataset with 68 keypoints.

    Keypoints named as :data:`KEYPOINTS` are matched by name; other names are taken in iBUG 300-W
    order. ``size`` (width, height) normalises the pixels; a dataset written by landmarkset carries it.
    A frame is valid when all 68 points are finite; a frame with only some points becomes a frame
    without a face (see :func:`partial_frames`). Raises InputError naming ``name`` for anything that
    is not such a dataset.
    """
    where = name or "the dataset"
    if "position" not in dataset:
        raise InputError(f"{where}: no 'position' variable: not a movement poses dataset")
    position = dataset["position"]
    if set(position.dims) != {"time", "space", "keypoints", "individuals"}:
        raise InputError(f"{where}: position has dimensions {position.dims}, not (time, space, keypoints, individuals)")
    spaces = [str(s) for s in dataset["space"].values]
    if spaces[:2] != ["x", "y"]:
        raise InputError(f"{where}: space is {spaces}; face tracks need x and y")
    ours = dataset.attrs.get("landmarkset_track")
    facts = json.loads(ours) if isinstance(ours, str) else {}
    if size is None and facts:
        size = (int(facts["width"]), int(facts["height"]))
    if size is None:
        raise InputError(f"{where}: cannot tell the image size the pixels refer to: give --size WIDTHxHEIGHT")
    width, height = _checked_size(size, where)
    order = _keypoint_order(dataset, where)
    pixels = position.transpose("time", "keypoints", "space", "individuals").values[:, order, :2, :]
    confidence = None
    if "confidence" in dataset:
        confidence = dataset["confidence"].transpose("time", "keypoints", "individuals").values[:, order, :]
    time = _numbers(dataset["time"].values, "time", where)
    fps = _checked_fps(dataset.attrs.get("fps"), where)
    seconds = dataset.attrs.get("time_unit", "seconds" if math.isfinite(fps) else "frames") == "seconds"
    frame_index = (
        dataset["frame_index"].values.astype(np.int64)
        if "frame_index" in dataset.coords
        else (np.round(time * fps).astype(np.int64) if seconds and math.isfinite(fps) else np.arange(len(time)))
    )
    timestamps = time if seconds else (frame_index / fps if math.isfinite(fps) else np.full(len(time), np.nan))
    _check_frame_order(frame_index, where)
    if facts.get("timestamps") is not None and len(facts["timestamps"]) == len(time):
        timestamps = np.array([np.nan if t is None else t for t in facts["timestamps"]], dtype=np.float64)
    individuals = [str(i) for i in dataset["individuals"].values]
    several = bool(facts.get("individuals"))  # ours, of a several-face sequence: its individuals come back
    tracks = []
    for k, individual in enumerate(individuals):
        track_id = facts.get("id") if facts and (len(individuals) == 1 or several) else individual
        if name_problem(track_id) is not None:
            raise InputError(f"{where}: individual {individual!r} cannot name a sequence: {name_problem(track_id)}")
        points = pixels[..., k].astype(np.float64)
        if np.isfinite(points).any() and (
            np.nanmax(points[..., 0]) > 1.5 * width
            or np.nanmax(points[..., 1]) > 1.5 * height
            or np.nanmin(points) < -0.5 * max(width, height)
        ):
            raise InputError(
                f"{where}: points of {individual!r} reach far outside a {width}x{height} frame: check --size"
            )
        valid = np.isfinite(points).all(axis=(1, 2))
        landmarks = np.where(valid[:, None, None], points / [width, height], np.nan)
        point_confidence = None if confidence is None else np.where(valid[:, None], confidence[..., k], np.nan)
        frame_confidence = _frame_mean(point_confidence, valid)
        box = np.full((len(valid), 4), np.nan)
        if "box" in dataset:  # ours: the detector's box
            box = _numbers(
                dataset["box"].transpose("time", "box_corner", "individuals").values[..., k], "box", where, False
            )
        elif valid.any():
            box[valid] = np.concatenate([landmarks[valid].min(1), landmarks[valid].max(1)], axis=1)
        faces = np.full(len(valid), -1)
        if "faces_detected" in dataset:
            faces = _numbers(dataset["faces_detected"].transpose("time", "individuals").values[:, k],
                             "faces_detected", where).astype(np.int64)  # fmt: skip
        extras, specs = _extras_of(dataset, k, valid, where)
        # Per-point confidence: from pose trackers (DeepLabCut, SLEAP), or ours when the backend had it;
        # an export of a frame score repeated over the points gives the frame score back only.
        per_point = dataset.attrs.get("confidence_origin", "point") == "point"
        if per_point and point_confidence is not None and np.isfinite(point_confidence).any():
            extras["point_confidence"] = point_confidence
        tracks.append(
            Track(
                id=track_id,
                landmarks=landmarks,
                valid=valid,
                confidence=frame_confidence,
                frame_index=frame_index,
                timestamp=timestamps,
                box=box,
                faces_detected=faces,
                width=width,
                height=height,
                source=str(dataset.attrs.get("source_file", "") or ""),
                fps=fps,
                backend=facts.get("backend") or str(dataset.attrs.get("source_software", "") or "movement"),
                backend_version=facts.get("backend_version", ""),
                backend_options=facts.get("backend_options", {}),
                subject=facts.get("subject", ""),
                label=facts.get("label", ""),
                frame_names=facts.get("frame_names"),
                landmarkset_version=facts.get("landmarkset_version", Track.landmarkset_version),
                unreadable_frames=int(facts.get("unreadable_frames", 0)),
                selection=facts.get("selection", "all"),
                source_fingerprint=facts.get("source_fingerprint"),
                frames_promised=int(facts.get("frames_promised", -1)),
                extras=extras,
                extra_specs=specs,
                individual=individual if several else "",
            )
        )
    return tracks


MAX_FPS = 100_000.0  # above any camera's rate: a larger fps is a unit mistake
MAX_SIDE = 100_000  # pixels


def _checked_size(size: tuple[int, int], where: str) -> tuple[int, int]:
    width, height = size
    if not all(isinstance(side, (int, np.integer)) and 0 < side <= MAX_SIDE for side in (width, height)):
        raise InputError(f"{where}: image size {width}x{height} is not a frame size (1 to {MAX_SIDE} pixels a side)")
    return int(width), int(height)


def _checked_fps(value: Any, where: str) -> float:
    """The ``fps`` attribute as a frame rate; NaN when it is absent (times are then frame numbers)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    try:
        fps = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: the fps attribute {value!r} is not a number: fix it or remove it") from None
    if math.isnan(fps):
        return fps
    if not 0 < fps <= MAX_FPS:
        raise InputError(f"{where}: the fps attribute {fps:g} is not a frame rate (above 0, at most {MAX_FPS:g})")
    return fps


def _numbers(values: np.ndarray, name: str, where: str, finite: bool = True) -> np.ndarray:
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {name} holds values that are not numbers (e.g. {values.flat[0]!r})") from None
    if finite and not np.isfinite(numbers).all():
        raise InputError(f"{where}: {name} holds values that are not finite numbers")
    return numbers


def _check_frame_order(frame_index: np.ndarray, where: str) -> None:
    """Frame indices MUST be >= 0 and increase (docs/format.md): times that do not are refused."""
    if len(frame_index) and frame_index.min() < 0:
        raise InputError(f"{where}: time starts before 0 (frame {int(frame_index.min())}): shift the times first")
    steps = np.flatnonzero(np.diff(frame_index) <= 0)
    if len(steps):
        at = int(steps[0]) + 1
        raise InputError(
            f"{where}: times do not increase at point {at} (frame {int(frame_index[at - 1])} then "
            f"{int(frame_index[at])}): sort them, or check the fps"
        )


def _frame_mean(point_confidence: Optional[np.ndarray], valid: np.ndarray) -> np.ndarray:
    """A frame's confidence: the mean of its points' finite confidences (NaN without a face or any)."""
    if point_confidence is None:
        return np.full(len(valid), np.nan)
    finite = np.isfinite(point_confidence) & valid[:, None]
    total = np.where(finite, point_confidence, 0.0).sum(axis=1)
    counts = finite.sum(axis=1)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def partial_frames(dataset) -> dict[str, int]:
    """Per individual, the frames where some but not all 68 points are finite (imported as no face)."""
    finite = np.isfinite(dataset["position"].transpose("individuals", "time", "keypoints", "space").values)
    counts = (finite.any(axis=(2, 3)) & ~finite.all(axis=(2, 3))).sum(axis=1)
    return {str(i): int(n) for i, n in zip(dataset["individuals"].values, counts) if n}


def _extras_of(
    dataset, individual: int, valid: np.ndarray, where: str
) -> tuple[dict[str, np.ndarray], dict[str, FrameExtra]]:
    values, specs = {}, {}
    for variable in dataset.data_vars:
        if not str(variable).startswith(_EXTRA_PREFIX):
            continue
        name = str(variable)[len(_EXTRA_PREFIX) :]
        data = dataset[variable]
        if "individuals" not in data.dims or data.dims[0] != "time":
            raise InputError(f"{where}: extra {name!r} has dimensions {data.dims}; expected (time, ..., individuals)")
        try:
            array = data.isel(individuals=individual).values.astype(np.float32)
        except (TypeError, ValueError):
            raise InputError(f"{where}: extra {name!r} holds values that are not numbers") from None
        attrs = dict(data.attrs)
        if name in dataset.coords:
            attrs["labels"] = [str(label) for label in dataset[name].values]
        specs[name] = extra_from_stored(name, array.shape[1:], attrs)
        values[name] = np.where(valid.reshape(-1, *([1] * (array.ndim - 1))), array, np.nan)
    return values, specs


def _datasets_in(path: str, source_software: Optional[str], fps: Optional[float]) -> list[tuple[str, Any]]:
    """(where, dataset) for each movement dataset in ``path``: NetCDF (every group), or a pose file
    that movement reads (``source_software`` such as "DeepLabCut" or "SLEAP")."""
    xr = _xarray()
    if source_software:
        try:
            from movement.io import load_dataset
        except ImportError:
            raise MissingDependencyError("Reading pose files needs movement: pip install movement") from None
        return [(path, load_dataset(path, source_software, fps))]
    try:
        tree = xr.open_datatree(path, engine="h5netcdf")
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a NetCDF file ({' '.join(str(error).split())})") from None
    found = []
    for node in tree.subtree:
        if "position" in node.data_vars:
            found.append((f"{path}:{node.path}" if node.path != "/" else path, node.to_dataset().load()))
    tree.close()
    if not found:
        raise InputError(f"{path}: holds no movement poses dataset (no 'position' variable)")
    return found


def import_movement(
    paths: Union[str, Sequence[str]],
    output: str,
    *,
    size: Optional[tuple[int, int]] = None,
    source_software: Optional[str] = None,
    fps: Optional[float] = None,
    overwrite: bool = False,
) -> ExtractionReport:
    """Import ``movement`` datasets (NetCDF files, or pose files movement reads) into the store ``output``.

    Each individual with 68 keypoints becomes a sequence. A file that cannot be read or is not a face
    track is reported in the result and the others are imported; re-importing the same unchanged file
    keeps the stored sequences.
    """
    paths = [paths] if isinstance(paths, str) else list(paths)
    report = ExtractionReport(output=output, verb="imported")
    tracks: list[Union[Track, Individuals]] = []
    for path in paths:
        try:
            origin = fingerprint([path], os.path.abspath(path))
            for where, dataset in _datasets_in(path, source_software, fps):
                for individual, count in partial_frames(dataset).items():
                    report.warnings.append(
                        f"{where}: {count} frames of {individual!r} have only some of the 68 points; "
                        "they are stored as frames without a face"
                    )
                found = from_xarray(dataset, size=size, name=where)
                for track in found:
                    track.source_fingerprint = origin
                    track.source = track.source or os.path.abspath(path)
                tracks += [Individuals(found)] if found and found[0].individual else found
        except (InputError, OSError) as error:
            report.failed.append(Failure(path, str(error).removeprefix(f"{path}: ")))
        except (KeyError, TypeError, ValueError) as error:  # malformed content the checks above do not name
            problem = " ".join(str(error).split()) or type(error).__name__
            report.failed.append(Failure(path, f"not a valid movement poses dataset ({problem})"))
    return store_imported(tracks, output, report, overwrite=overwrite, inputs=paths, rename="rename an individual")
