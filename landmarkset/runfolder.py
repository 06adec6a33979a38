"""A run folder belongs to one run of one command (docs/cli.md, "Run folders"): the one rule every command that
writes a folder follows (train, evaluate, explain, predict, spot, train-spotter, the demo).

- The folder records what made it (``.landmarkset-run.json``: the command, its settings, its inputs' size and
  modification time, landmarkset's version, running or complete) and is locked while a run writes it: a second
  run into it at the same time stops at once, naming the first.
- A run into a folder made by another command, or by the same command with other settings or inputs, is refused
  in one line saying what differs; ``overwrite`` replaces it whole (the earlier run's files are removed first,
  so none of them can pass for this run's). A re-run with the same settings and inputs (after an interruption,
  say) writes its files again. A folder that no run made is never emptied (one holding only the command's own
  outputs is taken for its run by a landmarkset that kept no record), and an input inside the folder cannot be
  overwritten away.
- Files are written through a temporary name and renamed (:func:`atomic_path`, :func:`atomic_file`): a full disk
  or a kill leaves the earlier complete file or none, never a truncated one.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, Optional

from ._version import __version__
from .errors import OptionError
from .io.lock import StoreLock

__all__ = ["RUN_RECORD", "RunFolder", "atomic_file", "atomic_path"]

RUN_RECORD = ".landmarkset-run.json"
_OWN = (RUN_RECORD, ".landmarkset-run.lock", ".landmarkset-run.owner")
_PARTIAL = ".part"


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path beside ``path`` (same extension, so writers that read it keep their format) to write;
    renamed to ``path`` when the block ends without an error, removed otherwise."""
    folder, name = os.path.split(path)
    stem, extension = os.path.splitext(name)
    temporary = os.path.join(folder, f".{stem}.{os.getpid()}{_PARTIAL}{extension}")
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.filename in (temporary, None) and error.errno is not None:
            raise OSError(error.errno, error.strerror, path) from None  # name the file meant, not its draft
        raise


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """``open(path, mode)`` through a temporary file (see :func:`atomic_path`)."""
    with atomic_path(path) as temporary, open(temporary, mode, **options) as handle:
        yield handle


def _fingerprint(path: str) -> dict[str, Any]:
    try:
        status = os.stat(path)
    except OSError:
        return {"path": os.path.abspath(path), "missing": True}
    return {"path": os.path.abspath(path), "bytes": status.st_size, "modified_ns": status.st_mtime_ns}


def _plain(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists, anything else as text): settings compare as stored."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _inside(folder: str, path: str) -> bool:
    real_folder, real = os.path.realpath(folder), os.path.realpath(path)
    return real == real_folder or real.startswith(real_folder + os.sep)


class RunFolder:
    """The run folder ``path`` of one run of ``command`` (see the module doc); use it as a context manager."""

    def __init__(
        self,
        path: str,
        command: str,
        settings: Mapping[str, Any],
        inputs: Sequence[Optional[str]] = (),
        *,
        overwrite: bool = False,
        writes: Sequence[str] = (),
    ) -> None:
        self.path, self.command, self.overwrite = path, command, overwrite
        self.writes = {name.rstrip("/") for name in writes}  # its outputs' names: a folder of only these, without a
        # record, is a run of this command by a landmarkset that recorded none
        self.settings = _plain(dict(settings))
        self.inputs = [_fingerprint(p) for p in inputs if p]
        self._lock: Optional[StoreLock] = None

    def __enter__(self) -> RunFolder:
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise OptionError(f"{self.path} is a file, not a folder: give -o a folder")
        inside = [i["path"] for i in self.inputs if _inside(self.path, i["path"])]
        self._created = not os.path.exists(self.path)
        os.makedirs(self.path, exist_ok=True)
        self._lock = StoreLock(self.path, shown=self.path, inside=True).acquire()
        try:
            self._claim(inside)
        except BaseException:
            self._release()
            raise
        return self

    def _claim(self, inside: list[str]) -> None:
        earlier = self._record()
        self._fresh = earlier is None  # a run that fails before writing anything leaves no trace here
        entries = [name for name in os.listdir(self.path) if name not in _OWN]
        for name in entries:  # what a killed run was writing: never a complete file
            if _PARTIAL in name and name.startswith("."):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.path, name))
        entries = [name for name in entries if not (_PARTIAL in name and name.startswith("."))]
        if earlier is None and entries and set(entries) <= self.writes:
            earlier = {"command": self.command, "legacy": True}
        if earlier is None and entries:
            raise OptionError(
                f"{self.path} holds files that no landmarkset run wrote (e.g. {sorted(entries)[0]!r}): give -o a new "
                "or empty folder (it is never emptied for you)"
            )
        difference = self._difference(earlier) if earlier is not None else None
        if difference and not self.overwrite:
            raise OptionError(
                f"{self.path} holds {difference}: give -o another folder, or --overwrite to replace it whole"
            )
        if difference and inside:
            raise OptionError(f"{self.path} cannot be replaced: it holds an input of this run ({inside[0]})")
        if difference:
            for name in entries:
                where = os.path.join(self.path, name)
                shutil.rmtree(where) if os.path.isdir(where) and not os.path.islink(where) else os.unlink(where)
        self._write("running")

    def _difference(self, earlier: dict[str, Any]) -> Optional[str]:
        """What makes the folder's run another one than this (None: the same command, settings and inputs)."""
        command = earlier.get("command")
        if command != self.command:
            return f"a `{command}` run"
        if earlier.get("legacy"):
            return f"a `{command}` run of a landmarkset that kept no run record"
        before, now = earlier.get("settings", {}), self.settings
        changed = sorted(key for key in set(before) | set(now) if before.get(key) != now.get(key))
        if changed:
            shown = ", ".join(f"{key} {before.get(key)!r} -> {now.get(key)!r}" for key in changed[:3])
            return f"a `{command}` run of other settings ({shown})"
        if earlier.get("inputs") != self.inputs:
            paths = {i["path"] for i in self.inputs} ^ {i.get("path") for i in earlier.get("inputs", [])}
            changed_input = sorted(paths) or [i["path"] for i in self.inputs if i not in earlier.get("inputs", [])]
            return f"a `{command}` run of other inputs ({changed_input[0] if changed_input else 'changed'})"
        return None

    def _record(self) -> Optional[dict[str, Any]]:
        try:
            with open(os.path.join(self.path, RUN_RECORD)) as handle:
                record = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"command": "(unreadable record)"}
        return record if isinstance(record, dict) else {"command": "(unreadable record)"}

    def _write(self, status: str) -> None:
        record = {
            "command": self.command,
            "settings": self.settings,
            "inputs": self.inputs,
            "landmarkset": __version__,
            "status": status,
            "at": datetime.datetime.now().isoformat(timespec="seconds"),
        }
        with atomic_file(os.path.join(self.path, RUN_RECORD)) as handle:
            json.dump(record, handle, indent=1)

    def file(self, *parts: str) -> str:
        """The path of ``parts`` inside the folder (its sub-folders made)."""
        path = os.path.join(self.path, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __exit__(self, kind: Optional[type], *_: object) -> None:
        try:
            if kind is None:
                self._write("complete")
            elif self._fresh and not [name for name in os.listdir(self.path) if name not in _OWN]:
                with contextlib.suppress(OSError):  # failed before it wrote a file: the folder is as it was
                    os.unlink(os.path.join(self.path, RUN_RECORD))
        finally:
            self._release()
        if kind is not None and self._created:
            with contextlib.suppress(OSError):
                os.rmdir(self.path)  # only when empty
