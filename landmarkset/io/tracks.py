"""The track element (``/sequences/<id>``) and the read-only view of a store (spec: docs/format.md)."""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any, Optional, Union

import h5py
import numpy as np

from ..errors import LandmarksetError, StoreError
from ..extras import FrameExtra, extra_from_stored
from ..individuals import PersonRule
from ..provenance import ALL_FRAMES, LISTED_FRAMES, Provenance
from ..smoothing import Smoothing, smooth_track
from ..track import Individuals, Track
from .encoding import (
    STORE,
    TRACK,
    TRACK_INDIVIDUALS,
    MissingSequence,
    check_attributes,
    check_element,
    damage_is_one_line,
    open_for_reading,
    stamp,
)
from .frames import natural_key
from .journal import journalled_entries

__all__ = ["SEQUENCES", "TrackFile", "open_tracks", "read_provenance", "write_track"]

SEQUENCES = "sequences"
EXTRAS = "extras"  # MAY group of a track: one dataset per per-frame extra (format 1.2)
INDIVIDUALS = "individuals"  # group of a 2.x track: one member group per individual
_FACE_DATASETS = ("landmarks", "valid", "confidence", "box")  # per individual in 2.x; the rest is the sequence's
_STRINGS = h5py.string_dtype()
CHOOSE_PERSON = (
    "choose one with --person largest|longest|NAME (open_tracks(..., person=), TrackFile.individuals(id) for all)"
)


def initialise_store(file: h5py.File) -> None:
    """Root attributes and the empty ``/sequences`` group of a new store."""
    from .._version import __version__

    stamp(file, STORE)
    file.attrs["landmarkset_version"] = __version__
    file.create_group(SEQUENCES, track_order=True)


def write_track(file: h5py.File, track: Union[Track, Individuals]) -> None:
    """Add ``track`` as ``/sequences/<id>`` of an open, writable store: a Track as a 1.x track, Individuals
    (several faces) as a 2.x track whose ``individuals`` group holds each person's face datasets."""
    several = isinstance(track, Individuals)
    first = track.tracks[0] if several else track
    if first.selection == LISTED_FRAMES and first.n_frames == 0:
        raise StoreError(f"track {first.id!r} lists no frames")
    group = file[SEQUENCES].create_group(first.id)
    stamp(group, TRACK_INDIVIDUALS if several else TRACK)
    group.attrs.update(
        {
            "source": first.source,
            "width": int(first.width),
            "height": int(first.height),
            "fps": float(first.fps),
            "backend": first.backend,
            "backend_version": first.backend_version,
            "backend_options": json.dumps(first.backend_options, sort_keys=True),
            "subject": first.subject,
            "label": first.label,
            "landmarkset_version": first.landmarkset_version,
            "unreadable_frames": int(first.unreadable_frames),
            "selection": first.selection,
            "source_fingerprint": json.dumps(first.source_fingerprint, sort_keys=True),
            "frames_promised": int(first.frames_promised),
        }
    )
    for name in ("frame_index", "timestamp", "faces_detected"):
        group.create_dataset(name, data=getattr(first, name))
    if first.frame_names is not None:
        group.create_dataset("frame_names", data=np.array(first.frame_names, dtype=object), dtype=_STRINGS)
    if not several:
        _write_face(group, track)
        return
    group.attrs.create(INDIVIDUALS, np.array(track.names, dtype=object), dtype=_STRINGS)
    people = group.create_group(INDIVIDUALS, track_order=True)
    for person in track.tracks:
        _write_face(people.create_group(person.individual), person)


def _write_face(group: h5py.Group, track: Track) -> None:
    """One face's per-frame datasets (and extras) into ``group``."""
    # Fletcher-32 checksums (HDF5's own filter, read transparently) on the landmarks and the face flags: a
    # flipped byte there is refused when read, never returned as a landmark. The other per-frame arrays are
    # left unchecked: a checksum makes a small array chunked, 2.3 KB more per array and track.
    checked = {"fletcher32": True} if track.n_frames else {}
    compressed = {"compression": "gzip", "compression_opts": 4, "shuffle": True, **checked} if track.n_frames else {}
    group.create_dataset("landmarks", data=track.landmarks, **compressed)
    group.create_dataset("valid", data=track.valid, **checked)
    for name in ("confidence", "box"):
        group.create_dataset(name, data=getattr(track, name))
    if track.extras:
        extras = group.create_group(EXTRAS)
        for name, values in track.extras.items():
            _write_extra(extras, track.extra_specs[name], values, compressed)


def _write_extra(group: h5py.Group, spec: FrameExtra, values: np.ndarray, compressed: dict) -> None:
    dataset = group.create_dataset(spec.name, data=values, **compressed)
    dataset.attrs["description"] = spec.description
    if spec.unit:
        dataset.attrs["unit"] = spec.unit
    if spec.labels:
        dataset.attrs.create("labels", np.array(spec.labels, dtype=object), dtype=_STRINGS)


def _read_extras(group: h5py.Group) -> tuple[dict[str, np.ndarray], dict[str, FrameExtra]]:
    if EXTRAS not in group:
        return {}, {}
    values, specs = {}, {}
    for name, dataset in group[EXTRAS].items():
        specs[name] = _stored_spec(name, dataset)
        values[name] = dataset[()]
    return values, specs


def _stored_spec(name: str, dataset: h5py.Dataset) -> FrameExtra:
    attrs = dict(dataset.attrs)
    if "labels" in attrs:
        attrs["labels"] = [v.decode() if isinstance(v, bytes) else str(v) for v in attrs["labels"]]
    return extra_from_stored(name, dataset.shape[1:], attrs)


def _json(attrs: dict[str, Any], name: str, default: Any) -> Any:
    text = attrs.get(name)
    return default if text is None else json.loads(text)


def _attributes(group: h5py.Group, where: str) -> dict[str, Any]:
    """A track's attributes, each read once (h5py reads cost ~0.1 ms each), after the element check."""
    attrs = dict(group.attrs)
    check_attributes(attrs, TRACK_INDIVIDUALS, where)
    return attrs


def individual_names(group: h5py.Group, attrs: dict[str, Any]) -> list[str]:
    """The individuals of a stored sequence (empty for a one-face track of format 1.x)."""
    if str(attrs.get("encoding-version", "1")).split(".")[0] == "1":
        return []
    names = attrs.get(INDIVIDUALS)
    if names is None or INDIVIDUALS not in group:
        raise StoreError(f"{group.file.filename}:{group.name}: a {TRACK_INDIVIDUALS.version} track without individuals")
    return [name.decode() if isinstance(name, bytes) else str(name) for name in names]


def read_provenance(group: h5py.Group, where: str) -> Provenance:
    """A stored track's provenance, reading its attributes (and ``frame_index`` for listed frames) only."""
    return provenance_of(group, _attributes(group, where))


def provenance_of(group: h5py.Group, attrs: dict[str, Any]) -> Provenance:
    selection: Any = ALL_FRAMES
    if attrs.get("selection", ALL_FRAMES) == LISTED_FRAMES:
        selection = tuple(group["frame_index"][()].tolist())
    return Provenance(
        str(attrs.get("backend", "")),
        str(attrs.get("backend_version", "")),
        _json(attrs, "backend_options", {}),
        selection,
        _json(attrs, "source_fingerprint", None),
    )


def read_track(group: h5py.Group, where: str, individual: Optional[str] = None) -> Track:
    """The track stored in ``group`` (of a several-face sequence: the ``individual`` named); StoreError naming
    ``where`` when it is foreign, too new or incomplete, or holds several individuals and none is named."""
    attrs = _attributes(group, where)
    names = individual_names(group, attrs)
    if names and individual is None:
        raise StoreError(f"{where} holds {len(names)} individuals ({', '.join(names)}): {CHOOSE_PERSON}")
    if individual is not None and individual not in (names or [""]):
        raise StoreError(f"{where} has no individual {individual!r} (it has {', '.join(names) or 'one face'})")
    face = group[INDIVIDUALS][individual] if names else group
    try:
        n = len(group["frame_index"])
        extras, extra_specs = _read_extras(face)
        return Track(
            id=group.name.rsplit("/", 1)[-1],
            landmarks=face["landmarks"][()],
            valid=face["valid"][()],
            confidence=face["confidence"][()],
            frame_index=group["frame_index"][()],
            timestamp=group["timestamp"][()],
            box=face["box"][()] if "box" in face else np.full((n, 4), np.nan),
            faces_detected=group["faces_detected"][()] if "faces_detected" in group else np.full(n, -1),
            width=int(attrs["width"]),
            height=int(attrs["height"]),
            source=str(attrs.get("source", "")),
            fps=float(attrs.get("fps", math.nan)),
            backend=str(attrs.get("backend", "")),
            backend_version=str(attrs.get("backend_version", "")),
            backend_options=_json(attrs, "backend_options", {}),
            subject=str(attrs.get("subject", "")),
            label=str(attrs.get("label", "")),
            frame_names=[n.decode() if isinstance(n, bytes) else str(n) for n in group["frame_names"][()]]
            if "frame_names" in group
            else None,
            landmarkset_version=str(attrs.get("landmarkset_version", "")),
            unreadable_frames=int(attrs.get("unreadable_frames", 0)),
            selection=str(attrs.get("selection", ALL_FRAMES)),
            source_fingerprint=_json(attrs, "source_fingerprint", None),
            frames_promised=int(attrs.get("frames_promised", -1)),
            extras=extras,
            extra_specs=extra_specs,
            individual=individual or "",
        )
    except KeyError as error:
        raise StoreError(f"{where}: missing required element {error}") from None
    except ValueError as error:
        raise StoreError(f"{where}: {error}") from None


def _damage_is_one_line(method):
    """A reading method whose h5py errors on a damaged file become one StoreError naming the store."""

    @functools.wraps(method)
    def reading(self: TrackFile, *args: Any, **kwargs: Any) -> Any:
        with damage_is_one_line(self.path):
            return method(self, *args, **kwargs)

    return reading


class TrackFile:
    """Read-only view of a track store; use :func:`open_tracks`."""

    def __init__(self, path: str, smoothing: Optional[Smoothing] = None, person: Optional[PersonRule] = None) -> None:
        self.path = path
        self.smoothing = smoothing
        self.person = person
        self._names: dict[str, list[str]] = {}
        self._chosen: dict[tuple[str, str], str] = {}
        self._file = open_for_reading(path)
        try:
            check_element(self._file, STORE, path)
            if SEQUENCES not in self._file:
                raise StoreError(f"{path}: missing the /{SEQUENCES} group")
        except StoreError:
            self._file.close()
            raise

    @property
    @_damage_is_one_line
    def attrs(self) -> dict[str, Any]:
        """Root attributes (format name and version, landmarkset version)."""
        return dict(self._file.attrs)

    @_damage_is_one_line
    def ids(self) -> list[str]:
        """Sequence ids in natural order."""
        return sorted(self._file[SEQUENCES], key=natural_key)

    @_damage_is_one_line
    def __len__(self) -> int:
        return len(self._file[SEQUENCES])

    @_damage_is_one_line
    def __contains__(self, track_id: str) -> bool:
        return track_id in self._file[SEQUENCES]

    def _where(self, track_id: str) -> str:
        return f"{self.path}:/{SEQUENCES}/{track_id}"

    @_damage_is_one_line
    def __getitem__(self, track_id: str) -> Track:
        """The sequence's track; of a several-face sequence, the individual the store's ``person`` rule picks
        (StoreError in one line without a rule)."""
        return self._read(track_id, self.chosen_individual(track_id))

    @_damage_is_one_line
    def individual_names(self, track_id: str) -> list[str]:
        """The individuals of a sequence extracted with several faces; empty for a one-face track."""
        if track_id not in self._names:  # asked on every block read of a long track: read once
            group = self._group(track_id)
            self._names[track_id] = individual_names(group, _attributes(group, self._where(track_id)))
        return self._names[track_id]

    @_damage_is_one_line
    def individuals(self, track_id: str) -> list[Track]:
        """Every individual's track of a sequence (a one-face track: itself alone)."""
        return [self._read(track_id, name) for name in self.individual_names(track_id) or [None]]

    @_damage_is_one_line
    def sequence(self, track_id: str) -> Union[Track, Individuals]:
        """A stored sequence whole, as extraction gave it: its track, or every individual of a several-face
        sequence (to copy it, or export it, without choosing a person)."""
        people = self.individuals(track_id)
        return Individuals(people) if people[0].individual else people[0]

    @_damage_is_one_line
    def chosen_individual(self, track_id: str) -> Optional[str]:
        """The individual the ``person`` rule picks in a several-face sequence; None for a one-face track."""
        names = self.individual_names(track_id)
        if not names:
            return None
        if self.person is None:
            raise StoreError(f"{self._where(track_id)} holds {len(names)} individuals ({', '.join(names)}): "
                             f"{CHOOSE_PERSON}")  # fmt: skip
        key = (track_id, self.person.rule)
        if key not in self._chosen:  # the rule reads every individual's frames: once per sequence and rule
            group = self._group(track_id)[INDIVIDUALS]
            try:
                self._chosen[key] = self.person.choose(
                    names, lambda name: (group[name]["valid"][()], group[name]["box"][()])
                )
            except LandmarksetError as error:
                raise StoreError(f"{self._where(track_id)}: {error}") from None
        return self._chosen[key]

    def _group(self, track_id: str) -> h5py.Group:
        if track_id not in self._file[SEQUENCES]:
            raise MissingSequence(f"{self.path} has no sequence {track_id!r}")
        return self._file[SEQUENCES][track_id]

    def _face(self, track_id: str, any_individual: bool = False) -> h5py.Group:
        """The group holding the face datasets of a sequence's (chosen) individual; with ``any_individual``,
        without a rule, the first's (for what every individual has alike: the extras the backend gives)."""
        names = self.individual_names(track_id)
        name = names[0] if names and any_individual and self.person is None else self.chosen_individual(track_id)
        group = self._group(track_id)
        return group if name is None else group[INDIVIDUALS][name]

    def _read(self, track_id: str, individual: Optional[str]) -> Track:
        track = read_track(self._group(track_id), self._where(track_id), individual)
        return track if self.smoothing is None else smooth_track(track, self.smoothing)

    def __iter__(self) -> Iterator[Track]:
        for track_id in self.ids():
            yield self[track_id]

    @_damage_is_one_line
    def provenance(self, track_id: str) -> Provenance:
        """What made a stored track, without reading its landmarks."""
        return read_provenance(self._file[SEQUENCES][track_id], self._where(track_id))

    @_damage_is_one_line
    def provenance_and_attrs(self, track_id: str) -> tuple[Provenance, dict[str, Any]]:
        """A stored track's provenance and all its attributes (subject, label...), read once."""
        group = self._file[SEQUENCES][track_id]
        attrs = _attributes(group, self._where(track_id))
        return provenance_of(group, attrs), attrs

    def summary(self, per_sequence: bool = False) -> str:
        """What `landmarkset info` prints: format, sequences, frames and face rate, backends, sequences waiting in
        the journal of an interrupted run, cut videos; with ``per_sequence`` a line per sequence."""
        attrs = self.attrs
        people = {track_id: self.individuals(track_id) for track_id in self.ids()}
        tracks = [individuals[0] for individuals in people.values()]  # the sequence's frames and settings
        frames = sum(track.n_frames for track in tracks)
        faces = sum(
            int(np.any([person.valid for person in individuals], axis=0).sum()) for individuals in people.values()
        )
        lines = [
            f"{self.path}: {attrs.get('encoding-type')} {attrs.get('encoding-version')} "
            f"(written by landmarkset {attrs.get('landmarkset_version')})",
            f"{len(tracks)} sequences, {frames} frames, face found in "
            + (f"{100 * faces / frames:.1f} %" if frames else "n/a"),
        ]
        several = {track_id: len(individuals) for track_id, individuals in people.items() if individuals[0].individual}
        if several:
            lines.append(f"{len(several)} sequence(s) extracted with several faces: {sum(several.values())} "
                         "individuals (read one with --person largest|longest|NAME)")  # fmt: skip
        waiting = journalled_entries(self.path)
        if waiting:
            lines.append(f"{waiting} more sequence(s) of an interrupted run wait in its journal, not counted above: "
                         "the next command that writes this store (the same command again) adds them")  # fmt: skip
        backends = Counter(f"{track.backend} {track.backend_version}".strip() for track in tracks)
        lines += [f"backend {name}: {count} sequences" for name, count in sorted(backends.items())]
        short = [track.id for track in tracks if 0 < track.n_frames < track.frames_promised]
        if short:
            lines.append(f"{len(short)} video(s) decoded fewer frames than their container promises, e.g. {short[0]!r}")
        if per_sequence:
            lines.append(f"{'sequence':<32} {'frames':>7} {'face %':>7} {'size':>10} {'fps':>7}  frames used")
            for track in (person for individuals in people.values() for person in individuals):
                used = "all" if track.selection == "all" else f"{track.n_frames} listed"
                used += f", {track.frames_promised} promised" if 0 < track.n_frames < track.frames_promised else ""
                name = track.id + (f" #{track.individual}" if track.individual else "")
                lines.append(f"{name:<32} {track.n_frames:>7} {100 * track.face_rate:>7.1f} "
                             f"{f'{track.width}x{track.height}':>10} {track.fps:>7.2f}  {used}")  # fmt: skip
        return "\n".join(lines)

    def landmark_source(self, track_id: str) -> dict[str, str]:
        """The backend that made a stored track's landmarks, and its version."""
        provenance = self.provenance(track_id)
        return {"backend": provenance.backend, "backend_version": provenance.backend_version}

    @_damage_is_one_line
    def extra_specs(self, track_id: str) -> dict[str, FrameExtra]:
        """The extras a stored track has (name -> declaration), without reading their values."""
        group = self._face(track_id, any_individual=True)
        if EXTRAS not in group:
            return {}
        return {name: _stored_spec(name, dataset) for name, dataset in group[EXTRAS].items()}

    @_damage_is_one_line
    def frame_count(self, track_id: str) -> int:
        """Frames of a stored track, without reading them."""
        return len(self._file[SEQUENCES][track_id]["frame_index"])

    @_damage_is_one_line
    def frame_index(self, track_id: str) -> np.ndarray:
        """Each stored frame's position in its source, without reading the landmarks."""
        return self._file[SEQUENCES][track_id]["frame_index"][:]

    @_damage_is_one_line
    def frame_block(self, track_id: str, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(landmarks (n, 68, 2), valid (n,), timestamp (n,)) of frames start..stop-1, read from the file
        without reading the rest: long tracks are streamed in blocks (raw landmarks, never smoothed)."""
        face = self._face(track_id)
        timestamp = self._file[SEQUENCES][track_id]["timestamp"]
        return face["landmarks"][start:stop], face["valid"][start:stop], timestamp[start:stop]

    @_damage_is_one_line
    def sequence_attrs(self, track_id: str) -> dict[str, Any]:
        """A sequence's attributes without reading its arrays."""
        return dict(self._file[SEQUENCES][track_id].attrs)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TrackFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_tracks(path: str, smoothing: Optional[Smoothing] = None, person: Optional[PersonRule] = None) -> TrackFile:
    """Open a track store for reading. Raises StoreError for a missing, foreign or too-new file.

    With ``smoothing`` (a :class:`landmarkset.smoothing.Smoothing`), tracks are smoothed as they are
    read; the file keeps the raw landmarks. ``person`` picks the individual that stands for a sequence
    extracted with several faces (without it, reading one is refused in one line; a one-face track is
    read as always).
    """
    return TrackFile(path, smoothing, person)
