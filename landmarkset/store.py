"""The track store: one HDF5 file of per-sequence landmark tracks (spec: docs/format.md)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import h5py
import numpy as np

from ._crashsafe import CrashSafeFile
from ._version import __version__
from .errors import StoreError
from .readers import natural_key

if TYPE_CHECKING:
    from .smoothing import Smoothing

FORMAT_TYPE = "landmarkset-tracks"
FORMAT_VERSION = "1.0.0"
TRACK_TYPE = "landmark-track"
TRACK_VERSION = "1.0.0"
SEQUENCES = "sequences"
_STRINGS = h5py.string_dtype()

__all__ = ["FORMAT_VERSION", "Track", "TrackFile", "TrackWriter", "open_tracks"]


@dataclass
class Track:
    """One sequence's landmarks, normalised by image size, with per-frame flags and provenance.

    ``landmarks[t, i] = (x / width, y / height)``; NaN where ``valid[t]`` is False (no face, or a
    frame that could not be decoded). Frames are never dropped: ``frame_index`` is 0..T-1.
    """

    id: str
    landmarks: np.ndarray
    valid: np.ndarray
    confidence: np.ndarray
    frame_index: np.ndarray
    timestamp: np.ndarray
    box: np.ndarray
    faces_detected: np.ndarray
    width: int
    height: int
    source: str = ""
    fps: float = math.nan
    backend: str = ""
    backend_version: str = ""
    backend_options: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    label: str = ""
    frame_names: Optional[list[str]] = None
    landmarkset_version: str = __version__
    unreadable_frames: int = 0

    def __post_init__(self) -> None:
        self.landmarks = np.asarray(self.landmarks, dtype=np.float32)
        n = self.landmarks.shape[0]
        self.valid = np.asarray(self.valid, dtype=bool)
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        self.frame_index = np.asarray(self.frame_index, dtype=np.int32)
        self.timestamp = np.asarray(self.timestamp, dtype=np.float64)
        self.box = np.asarray(self.box, dtype=np.float32)
        self.faces_detected = np.asarray(self.faces_detected, dtype=np.int16)
        expected = {
            "landmarks": (n, 68, 2),
            "valid": (n,),
            "confidence": (n,),
            "frame_index": (n,),
            "timestamp": (n,),
            "box": (n, 4),
            "faces_detected": (n,),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"Track {self.id!r}: {name} has shape {getattr(self, name).shape}, expected {shape}")
        if self.frame_names is not None and len(self.frame_names) != n:
            raise ValueError(f"Track {self.id!r}: {len(self.frame_names)} frame names for {n} frames")
        if "/" in self.id or not self.id:
            raise ValueError(f"Track id {self.id!r} must be non-empty and contain no '/'")

    @property
    def n_frames(self) -> int:
        return int(self.landmarks.shape[0])

    def pixels(self) -> np.ndarray:
        """Landmarks in pixel coordinates, (T, 68, 2)."""
        return self.landmarks * np.array([self.width, self.height], dtype=np.float32)

    @property
    def face_rate(self) -> float:
        """Fraction of frames with a face (NaN for an empty track)."""
        return float(self.valid.mean()) if self.n_frames else math.nan


def _major(version: str) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return -1


def _check_element(node: h5py.HLObject, expected_type: str, supported: str, where: str) -> None:
    kind = node.attrs.get("encoding-type")
    version = node.attrs.get("encoding-version")
    if kind != expected_type:
        raise StoreError(f"{where}: not a landmarkset element of type {expected_type!r} (encoding-type={kind!r})")
    if _major(version) > _major(supported):
        raise StoreError(
            f"{where} uses {expected_type} format {version}, newer than this landmarkset {__version__} reads "
            f"({_major(supported)}.x): update landmarkset (pip install -U landmarkset)"
        )
    if _major(version) < 1:
        raise StoreError(f"{where}: unreadable {expected_type} version {version!r}")


def _write_track(file: h5py.File, track: Track) -> None:
    group = file[SEQUENCES].create_group(track.id)
    group.attrs.update(
        {
            "encoding-type": TRACK_TYPE,
            "encoding-version": TRACK_VERSION,
            "source": track.source,
            "width": int(track.width),
            "height": int(track.height),
            "fps": float(track.fps),
            "backend": track.backend,
            "backend_version": track.backend_version,
            "backend_options": json.dumps(track.backend_options, sort_keys=True),
            "subject": track.subject,
            "label": track.label,
            "landmarkset_version": track.landmarkset_version,
            "unreadable_frames": int(track.unreadable_frames),
        }
    )
    compressed = {"compression": "gzip", "compression_opts": 4, "shuffle": True} if track.n_frames else {}
    group.create_dataset("landmarks", data=track.landmarks, **compressed)
    for name in ("valid", "confidence", "frame_index", "timestamp", "box", "faces_detected"):
        group.create_dataset(name, data=getattr(track, name))
    if track.frame_names is not None:
        group.create_dataset("frame_names", data=np.array(track.frame_names, dtype=object), dtype=_STRINGS)


def _read_track(group: h5py.Group, where: str) -> Track:
    _check_element(group, TRACK_TYPE, TRACK_VERSION, where)
    attrs = group.attrs
    try:
        return Track(
            id=group.name.rsplit("/", 1)[-1],
            landmarks=group["landmarks"][()],
            valid=group["valid"][()],
            confidence=group["confidence"][()],
            frame_index=group["frame_index"][()],
            timestamp=group["timestamp"][()],
            box=group["box"][()] if "box" in group else np.full((len(group["valid"]), 4), np.nan),
            faces_detected=group["faces_detected"][()]
            if "faces_detected" in group
            else np.full(len(group["valid"]), -1),
            width=int(attrs["width"]),
            height=int(attrs["height"]),
            source=str(attrs.get("source", "")),
            fps=float(attrs.get("fps", math.nan)),
            backend=str(attrs.get("backend", "")),
            backend_version=str(attrs.get("backend_version", "")),
            backend_options=json.loads(attrs.get("backend_options", "{}")),
            subject=str(attrs.get("subject", "")),
            label=str(attrs.get("label", "")),
            frame_names=[n.decode() if isinstance(n, bytes) else str(n) for n in group["frame_names"][()]]
            if "frame_names" in group
            else None,
            landmarkset_version=str(attrs.get("landmarkset_version", "")),
            unreadable_frames=int(attrs.get("unreadable_frames", 0)),
        )
    except KeyError as error:
        raise StoreError(f"{where}: missing required element {error}") from None
    except ValueError as error:
        raise StoreError(f"{where}: {error}") from None


class TrackFile:
    """Read-only view of a track store; use :func:`open_tracks`."""

    def __init__(self, path: str, smoothing: Optional[Smoothing] = None) -> None:
        self.path = path
        self.smoothing = smoothing
        try:
            self._file = h5py.File(path, "r")
        except FileNotFoundError:
            raise StoreError(f"{path}: no such file") from None
        except OSError as error:
            raise StoreError(f"{path}: not an HDF5 file, or damaged ({error})") from None
        try:
            _check_element(self._file, FORMAT_TYPE, FORMAT_VERSION, path)
            if SEQUENCES not in self._file:
                raise StoreError(f"{path}: missing the /{SEQUENCES} group")
        except StoreError:
            self._file.close()
            raise

    @property
    def attrs(self) -> dict[str, Any]:
        """Root attributes (format name and version, landmarkset version)."""
        return dict(self._file.attrs)

    def ids(self) -> list[str]:
        """Sequence ids in natural order."""
        return sorted(self._file[SEQUENCES], key=natural_key)

    def __len__(self) -> int:
        return len(self._file[SEQUENCES])

    def __contains__(self, track_id: str) -> bool:
        return track_id in self._file[SEQUENCES]

    def __getitem__(self, track_id: str) -> Track:
        if track_id not in self._file[SEQUENCES]:
            raise KeyError(f"{self.path} has no sequence {track_id!r}")
        track = _read_track(self._file[SEQUENCES][track_id], f"{self.path}:/{SEQUENCES}/{track_id}")
        if self.smoothing is not None:
            from .smoothing import smooth_track

            track = smooth_track(track, self.smoothing)
        return track

    def __iter__(self) -> Iterator[Track]:
        for track_id in self.ids():
            yield self[track_id]

    def sequence_attrs(self, track_id: str) -> dict[str, Any]:
        """A sequence's attributes without reading its arrays."""
        return dict(self._file[SEQUENCES][track_id].attrs)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TrackFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_tracks(path: str, smoothing: Optional[Smoothing] = None) -> TrackFile:
    """Open a track store for reading. Raises StoreError for a missing, foreign or too-new file.

    With ``smoothing`` (a :class:`landmarkset.smoothing.Smoothing`), tracks are smoothed as they are
    read; the file keeps the raw landmarks.
    """
    return TrackFile(path, smoothing)


def _initialise(file: h5py.File) -> None:
    file.attrs.update(
        {
            "encoding-type": FORMAT_TYPE,
            "encoding-version": FORMAT_VERSION,
            "landmarkset_version": __version__,
        }
    )
    file.create_group(SEQUENCES, track_order=True)


class TrackWriter:
    """Adds tracks to a store, one atomic commit per track (see docs/format.md, "Writing").

    An existing store is opened for appending after its format is checked; ``ids()`` tells which
    sequences it already holds, so an interrupted run can resume.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._ids: set[str] = set()
        self.existing_backends: set[tuple[str, str]] = set()
        if os.path.exists(path):
            with open_tracks(path) as existing:  # refuses foreign, damaged and too-new files
                self._ids = set(existing.ids())
                for track_id in self._ids:
                    attrs = existing.sequence_attrs(track_id)
                    self.existing_backends.add((str(attrs.get("backend", "")), str(attrs.get("backend_options", ""))))
        self._file = CrashSafeFile(path, _initialise)

    def ids(self) -> set[str]:
        return set(self._ids)

    def write(self, track: Track) -> None:
        if track.id in self._ids:
            raise StoreError(f"{self.path} already holds sequence {track.id!r}")
        self._file.update(lambda file: _write_track(file, track))
        self._ids.add(track.id)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TrackWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
