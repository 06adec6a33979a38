"""The one writer of a store: a session that holds the store's lock for a command's whole life.

HDF5 files can be left unreadable when a process dies while writing them, so the published file is
never written in place. Changes go to a private working copy (``.NAME.work``) that only this writer
opens; a copy of it then atomically replaces the published name. Whatever moment the process is
killed, ``path`` names a complete, closed file, and a published file is never modified afterwards, so
readers that hold it open (another process, a notebook) are never disturbed and never block the writer.
The store is created by its first change: a run that writes nothing leaves no file.

Publishing copies the whole store, so tracks are not published one by one: each track is written to
its own small file in a journal (``.NAME.journal/``, complete files only: written under a temporary
name, then renamed) and into the working copy, which stays open between publications. The working copy
is published at most every ``PUBLISH_EVERY`` seconds (and spaced so that publishing takes at most
``PUBLISH_SHARE`` of the time), before anything is read back, and at the end; the published tracks'
journal files are then deleted. The cost per track stays flat as the store grows. A run killed at any
moment leaves the published store readable and its journal complete; the next writer of the store
rebuilds its working copy from them, so nothing finished is lost.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional

import h5py
import numpy as np

from ..errors import StoreError
from ..individuals import PersonRule
from ..names import MAX_NAME_BYTES
from ..provenance import Provenance
from ..track import Track
from .datasets import Dataset, write_crops_group, write_dataset_group
from .encoding import STORE, check_element, raise_version
from .journal import ENTRY, journal_folder
from .lock import StoreLock
from .tracks import SEQUENCES, TrackFile, initialise_store, open_tracks, write_track

__all__ = ["TrackWriter", "check_output", "refuse_input_as_output"]

Change = Callable[[h5py.File], None]
# kept beside NAME as .NAME<suffix>
_SHADOWS = (".work", ".tmp", ".owner", ".lock", ".journal", ".rejected", ".partial")
PUBLISH_EVERY = 2.0  # seconds between publications of journalled tracks (the first is published at once)...
PUBLISH_SHARE = 0.1  # ...and more when a publication (a copy of the whole store) would take more of the time
# In the journal while an --overwrite run has not yet published: its entries belong to a new store, not this one.
_REPLACING = "REPLACING"


def check_output(path: str, inputs: Sequence[str] = ()) -> None:
    """StoreError (one line, with the fix) when ``path`` cannot be a store written by this run."""
    folder, name = os.path.split(os.path.abspath(path))
    if os.path.isdir(path):
        raise StoreError(f"{path} is a folder: give the store a file name, e.g. {os.path.join(path, 'tracks.h5')}")
    if not os.path.isdir(folder):
        raise StoreError(f"the folder {folder} does not exist: create it first (mkdir -p), or choose another output")
    if not _may_write(folder):
        raise _unwritable(folder, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
    longest = len(os.fsencode(name)) + 1 + max(len(suffix) for suffix in _SHADOWS)
    limit = _name_limit(folder)
    if longest > limit:
        raise StoreError(
            f"the output name {name[:40]}... is too long: with the working files landmarkset keeps beside it "
            f"(.NAME.owner) it would pass this file system's limit of {limit} bytes; choose a shorter name"
        )
    refuse_input_as_output(path, inputs)


def refuse_input_as_output(path: str, inputs: Sequence[str]) -> None:
    """StoreError when ``path`` is (by real path, links followed, or as the same file) one of ``inputs``:
    called before anything is opened for writing, so an output never destroys what it is made from."""
    real = os.path.realpath(path)
    for given in inputs:
        if os.path.realpath(given) == real or (os.path.exists(path) and _same_file(given, path)):
            raise StoreError(f"{path} is one of the inputs: choose another output (nothing was changed)")


def _may_write(folder: str) -> bool:
    """Whether this process may create files in ``folder`` (by its effective ids, as opening would)."""
    if os.access in os.supports_effective_ids:
        return os.access(folder, os.W_OK | os.X_OK, effective_ids=True)
    return os.access(folder, os.W_OK | os.X_OK)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _name_limit(folder: str) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return MAX_NAME_BYTES


def _unwritable(folder: str, error: OSError) -> StoreError:
    reason = {errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device"}.get(
        error.errno, error.strerror or str(error)
    )
    return StoreError(f"cannot write in {folder} ({reason}): choose another output folder")


def _fold(entry: str, store: h5py.File) -> None:
    """Copy the track of one journal file into the working copy of the store."""
    with h5py.File(entry, "r") as journal:
        for track_id in journal[SEQUENCES]:
            if track_id not in store[SEQUENCES]:
                journal.copy(journal[SEQUENCES][track_id], store[SEQUENCES], name=track_id)


def _entry_tracks(entry: str) -> dict[str, Provenance]:
    """The tracks of one journal entry with their provenance; StoreError saying what is wrong with it
    (not HDF5, truncated, not a store, a newer format, no tracks)."""
    from .tracks import read_provenance

    try:
        with h5py.File(entry, "r") as file:
            check_element(file, STORE, entry)
            if SEQUENCES not in file or not len(file[SEQUENCES]):
                raise StoreError(f"{entry}: holds no track")
            return {
                track_id: read_provenance(group, f"{entry}: /{SEQUENCES}/{track_id}")
                for track_id, group in file[SEQUENCES].items()
            }
    except (OSError, KeyError, ValueError, TypeError) as error:  # h5py's words for a damaged file
        raise StoreError(f"{entry}: damaged: {' '.join(str(error).split()) or type(error).__name__}") from None


class TrackWriter:
    """Writes a store: tracks, ``/dataset`` and crops, each an atomic, crash-safe commit (docs/format.md).

    Holds the store's lock until :meth:`close`: a second writer of the same store stops at once with
    StoreBusyError. An existing store is checked (foreign, damaged and too-new files are refused) and
    appended to, or with ``overwrite`` replaced by a new store at the first commit; a file that is not a
    landmarkset store is never replaced. ``inputs`` are the run's inputs: the output may not be one of them.
    """

    def __init__(self, path: str, *, overwrite: bool = False, inputs: Sequence[str] = ()) -> None:
        # A link to a store is the store it points to: the lock, the working files and the publication
        # are those of the real file, so writers through the link and through the real name exclude each other.
        self.path = os.path.realpath(path)
        self.given = path
        check_output(path, inputs)
        folder, name = os.path.split(self.path)
        self._work = os.path.join(folder, f".{name}.work")
        self._temp = os.path.join(folder, f".{name}.tmp")
        self._journal = journal_folder(self.path)
        self._rejected = os.path.join(folder, f".{name}.rejected")
        self._overwrite = overwrite
        self._pending: list[str] = []  # journal files of tracks not yet in the published store
        self._entries = 0  # journal files written by this writer
        self._changed = False  # a change other than tracks waits to be published
        self._work_file: Optional[h5py.File] = None
        self._published_at: Optional[float] = None
        self._publish_seconds = 0.0  # how long the last publication took
        try:
            self._lock = StoreLock(self.path, shown=path).acquire()
        except OSError as error:
            raise _unwritable(folder, error) from None
        try:
            self._remove_shadows()  # left by a run that was killed
            self._ids: set[str] = set()
            self._appending = False
            if os.path.exists(self.path):
                with open_tracks(path) as existing:  # refuses foreign, damaged and too-new files
                    if not overwrite:
                        self._ids = set(existing.ids())
                        self._appending = True
            self._started = False  # is there a working copy yet?
            self._reader: Optional[TrackFile] = None
            self._recover_journal(overwrite)
        except BaseException:
            self._lock.release()
            raise

    # ---- what the store holds -------------------------------------------------------------------

    def ids(self) -> set[str]:
        """Sequences the store holds (in this run's view: none yet after ``overwrite``)."""
        return set(self._ids)

    def __contains__(self, track_id: str) -> bool:
        return track_id in self._ids

    def _view(self) -> TrackFile:
        self.publish()  # what is read back is what the store holds
        if self._reader is None:
            self._reader = open_tracks(self.path)
        return self._reader

    def read(self, track_id: str, person: Optional[PersonRule] = None) -> Track:
        """A stored track (as this run sees the store); of a several-face sequence, the individual ``person``
        picks."""
        if track_id not in self._ids:
            raise KeyError(f"{self.given} has no sequence {track_id!r}")
        view = self._view()
        view.person = person
        try:
            return view[track_id]
        finally:
            view.person = None

    def provenance(self, track_id: str) -> Provenance:
        """What made a stored track, without reading its landmarks."""
        if track_id not in self._ids:
            raise KeyError(f"{self.given} has no sequence {track_id!r}")
        return self._view().provenance(track_id)

    def provenance_and_attrs(self, track_id: str) -> tuple[Provenance, dict[str, Any]]:
        """A stored track's provenance and its attributes (subject, label...), without reading its arrays."""
        if track_id not in self._ids:
            raise KeyError(f"{self.given} has no sequence {track_id!r}")
        return self._view().provenance_and_attrs(track_id)

    def dataset_attrs(self) -> dict[str, Any]:
        """Attributes of the stored ``/dataset`` (KeyError when there is none)."""
        if not self._ids and not self._appending:
            raise KeyError("dataset")
        self.publish()
        with h5py.File(self.path, "r") as file:
            return dict(file["dataset"].attrs)

    # ---- changes ----------------------------------------------------------------------------------

    def write(self, track: Track) -> None:
        """Add one track: journalled whole at once (it survives a kill from then on), published with the
        next publication."""
        if track.id in self._ids:
            raise StoreError(f"{self.given} already holds sequence {track.id!r}")
        try:
            os.makedirs(self._journal, exist_ok=True)
            if self._overwrite and not self._appending and not self._entries:
                open(os.path.join(self._journal, _REPLACING), "w").close()
            entry = os.path.join(self._journal, f"{self._entries:08d}.h5")
            self._entries += 1
            with h5py.File(entry + ".part", "w") as file:
                initialise_store(file)
                write_track(file, track)
            os.replace(entry + ".part", entry)
            write_track(self._working_copy(), track)
        except OSError as error:
            raise _unwritable(os.path.dirname(self.path), error) from None
        self._pending.append(entry)
        self._ids.add(track.id)
        # A publication copies the whole store: spacing them by their own duration keeps their share
        # of the time, and so the cost per track, flat as the store grows.
        interval = max(PUBLISH_EVERY, self._publish_seconds / PUBLISH_SHARE)
        if self._published_at is None or time.monotonic() - self._published_at >= interval:
            self.publish()

    def write_dataset(self, dataset: Dataset) -> None:
        """Write (or replace) ``/dataset`` (and drop its earlier crops), published at once. Its tracks are
        written separately: see :func:`landmarkset.datasets.write_dataset`, which checks them."""
        self.change(lambda file: write_dataset_group(file, dataset))

    def write_crops(self, crops: np.ndarray, attrs: dict[str, Any]) -> None:
        """Write (or replace) ``/dataset/crops``, published at once."""
        self.change(lambda file: write_crops_group(file, crops, attrs))

    def change(self, change: Change) -> None:
        """Apply ``change`` to the working copy and publish the result atomically."""
        change(self._working_copy())
        self._changed = True
        self.publish()

    def _working_copy(self) -> h5py.File:
        """The private working copy, open between publications (made from the published store at first)."""
        if self._work_file is None:
            if not self._started:
                if self._appending:
                    shutil.copyfile(self.path, self._work)
                else:
                    with h5py.File(self._work, "w") as file:
                        initialise_store(file)
                self._started = True
            self._work_file = h5py.File(self._work, "a")
            if SEQUENCES not in self._work_file:
                raise StoreError(f"{self.given}: missing the /{SEQUENCES} group")
        return self._work_file

    def publish(self) -> None:
        """Publish the working copy now, if anything changed since the last publication."""
        if not self._pending and not self._changed:
            return
        if self._reader is not None:  # it shows the published file, which is about to be replaced
            self._reader.close()
            self._reader = None
        started = time.monotonic()
        work = self._working_copy()
        raise_version(work, STORE)
        work.close()  # complete on disk before it is copied
        self._work_file = None
        shutil.copyfile(self._work, self._temp)
        if os.path.exists(self.path):  # a private (0600) or read-only (0444) store stays so
            shutil.copymode(self.path, self._temp)
        os.replace(self._temp, self.path)  # atomic on POSIX and Windows
        replacing = os.path.join(self._journal, _REPLACING)
        if os.path.exists(replacing):  # the store is now the new one: its entries are this store's
            os.remove(replacing)
        self._appending, self._changed = True, False
        self._published_at = time.monotonic()
        self._publish_seconds = self._published_at - started
        for entry in self._pending:  # published: the journal entries are no longer needed
            os.remove(entry)
        self._pending = []

    def _recover_journal(self, overwrite: bool) -> None:
        """Fold in the journal of a run that was killed (or, with ``overwrite``, drop it).

        What cannot be folded in is never deleted and never blocks the store: a damaged entry, one of
        another backend setting and anything that is not a journal entry are moved to ``.NAME.rejected/``
        with a warning naming each. The journal of an interrupted ``--overwrite`` belongs to the store it
        was replacing it with, so a plain run refuses it in one line.
        """
        if not os.path.isdir(self._journal):
            return
        names = sorted(os.listdir(self._journal))
        replacing = _REPLACING in names
        entries = []
        for name in names:
            path = os.path.join(self._journal, name)
            if name.endswith(".h5.part") and ENTRY.match(name[: -len(".part")]) and os.path.isfile(path):
                os.remove(path)  # our own entry whose writing was interrupted: never complete
            elif ENTRY.match(name) and os.path.isfile(path):
                entries.append(path)
            elif name != _REPLACING:
                self._reject(path, "not a journal entry of landmarkset")
        if overwrite:
            for entry in entries:
                os.remove(entry)
            if replacing:
                os.remove(os.path.join(self._journal, _REPLACING))
            return
        checked: list[tuple[str, dict[str, Provenance]]] = []
        for entry in entries:
            try:
                checked.append((entry, _entry_tracks(entry)))
            except StoreError as error:
                self._reject(entry, str(error).removeprefix(f"{entry}: "))
        unpublished = [(entry, tracks) for entry, tracks in checked if not set(tracks) & self._ids]
        if replacing and unpublished:
            raise StoreError(
                f"{self.given}: an interrupted --overwrite run left {len(unpublished)} track(s) of the store meant "
                f"to replace this one in {self._journal}: run it again with --overwrite to finish replacing the "
                "store, or delete that folder to keep the store as it is (nothing was changed)"
            )
        if replacing:
            os.remove(os.path.join(self._journal, _REPLACING))
        setting = self._stored_setting()
        for entry, tracks in checked:
            if set(tracks) & self._ids:  # published before the run died
                os.remove(entry)
                continue
            other = next((p for p in tracks.values() if setting and p.setting_differences(setting) is not None), None)
            if other is not None:
                self._reject(entry, f"its track was made by {other.setting()}, the store's by {setting.setting()}")
                continue
            setting = setting or next(iter(tracks.values()))
            _fold(entry, self._working_copy())
            self._pending.append(entry)
            self._ids |= set(tracks)
        self.publish()

    def _stored_setting(self) -> Optional[Provenance]:
        """The provenance of one stored track (all share their backend setting), None for an empty store."""
        if not self._ids:
            return None
        with open_tracks(self.path) as existing:
            return existing.provenance(sorted(self._ids)[0])

    def _reject(self, path: str, problem: str) -> None:
        """Move ``path`` out of the journal into ``.NAME.rejected/`` and say so: kept, never folded in."""
        os.makedirs(self._rejected, exist_ok=True)
        target = os.path.join(self._rejected, os.path.basename(path))
        while os.path.lexists(target):
            target += "~"
        os.replace(path, target)
        warnings.warn(
            f"{self.given}: {os.path.basename(path)} in its journal was not folded in ({problem}); moved to "
            f"{target}: inspect or delete it",
            UserWarning,
            stacklevel=3,
        )

    # ---- end of the session -----------------------------------------------------------------------

    def _remove_shadows(self) -> None:
        for shadow in (self._work, self._temp):
            if os.path.lexists(shadow):
                os.unlink(shadow)
        if os.path.isdir(self._journal) and not os.listdir(self._journal):
            os.rmdir(self._journal)

    def close(self) -> None:
        """Publish what the journal holds, remove the working files and release the lock; the published
        file stays."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        try:
            self.publish()
            if self._work_file is not None:
                self._work_file.close()
                self._work_file = None
            self._remove_shadows()
        finally:
            self._lock.release()

    def __enter__(self) -> TrackWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
