"""What made a track, and whether a stored track matches what a run asks for.

Every track records its provenance: the backend, its version and the options that change its output,
the frames it was made from (all of them, or the exact frame numbers), and a fingerprint of its source
files (path relative to the dataset root where there is one, count, bytes, latest modification time and
a digest of every file's name, size and time). A run reuses a stored track only when its provenance
matches the request; anything else stops the run with one line saying what differs.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

__all__ = ["ALL_FRAMES", "LISTED_FRAMES", "Provenance", "describe_selection", "fingerprint", "source_warning"]

ALL_FRAMES = "all"  # every frame of the source
LISTED_FRAMES = "listed"  # exactly the frames a track's frame_index lists
Selection = Union[str, tuple[int, ...]]


def fingerprint(files: Sequence[str], path: str) -> dict[str, Any]:
    """A fingerprint of the files a track is made from; ``path`` is how the source is named (relative to its root).

    Raises FileNotFoundError (naming the file) when one is missing.
    """
    digest = hashlib.sha1()
    total, latest = 0, 0
    for name in files:
        status = os.stat(name)
        total += status.st_size
        latest = max(latest, status.st_mtime_ns)
        digest.update(f"{os.path.basename(name)}\t{status.st_size}\t{status.st_mtime_ns}\n".encode("utf-8", "replace"))
    return {
        "path": path,
        "files": len(files),
        "bytes": total,
        "modified": _timestamp(latest),
        "digest": digest.hexdigest()[:20],
    }


def _timestamp(nanoseconds: int) -> str:
    moment = datetime.datetime.fromtimestamp(nanoseconds / 1e9, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="microseconds")


def describe_selection(selection: Selection) -> str:
    """'all frames' or '20 frames between positions 1561 and 1602'."""
    if selection == ALL_FRAMES:
        return "all frames"
    numbers = list(selection)
    if not numbers:
        return "no frames"
    return f"{len(numbers)} frames between positions {min(numbers)} and {max(numbers)}"


def _options_text(options: Mapping[str, Any]) -> str:
    return json.dumps(dict(options), sort_keys=True)


@dataclass(frozen=True)
class Provenance:
    """How a track was made. ``selection`` is "all" or the frame positions used, in order."""

    backend: str
    backend_version: str = ""
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    selection: Selection = ALL_FRAMES
    source: Optional[Mapping[str, Any]] = None

    def __post_init__(self) -> None:
        if self.selection != ALL_FRAMES:
            object.__setattr__(self, "selection", tuple(int(n) for n in self.selection))

    def setting(self) -> str:
        """The backend setting in words: name, version and options."""
        version = f" {self.backend_version}" if self.backend_version else ""
        return f"{self.backend!r}{version} with options {_options_text(self.backend_options)}"

    def setting_differences(self, stored: Provenance, ignore_options: Sequence[str] = ()) -> Optional[str]:
        """What differs between the backend settings of ``stored`` and this request (None when they match).

        ``ignore_options`` are options that do not change a backend's output (e.g. where weights are looked up).
        """
        mine = {k: v for k, v in self.backend_options.items() if k not in ignore_options}
        theirs = {k: v for k, v in stored.backend_options.items() if k not in ignore_options}
        if (self.backend, self.backend_version, mine) == (stored.backend, stored.backend_version, theirs):
            return None
        return f"made by {stored.setting()}, this run uses {self.setting()}"

    def sequence_differences(self, stored: Provenance) -> Optional[str]:
        """What differs in the frames or source files of one sequence (None when they match)."""
        if self.selection != stored.selection:
            return (
                f"was stored from {describe_selection(stored.selection)}, this run asks for "
                f"{describe_selection(self.selection)}"
            )
        if self.source is None:
            return None  # the request has no files to compare (a track made from arrays)
        if stored.source is None:
            return "was stored without a source fingerprint (by landmarkset 0.1), so it cannot be checked"
        if stored.source.get("path") != self.source.get("path"):
            return f"was stored from {stored.source.get('path')!r}, this run reads {self.source.get('path')!r}"
        if stored.source.get("digest") != self.source.get("digest"):
            return (
                f"changed on disk since it was stored (stored: {_files_text(stored.source)}; "
                f"now: {_files_text(self.source)})"
            )
        return None


def _files_text(source: Mapping[str, Any]) -> str:
    return f"{source.get('files')} file(s), {source.get('bytes')} bytes, modified {source.get('modified')}"


_hashed: dict[tuple[str, int, float], str] = {}


def sha256_of(path: str) -> str:
    """The file's SHA-256 (remembered per real path, size and modification time)."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime)
    if key not in _hashed:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _hashed[key] = digest.hexdigest()
    return _hashed[key]


def source_warning(what: str, trained: Mapping[str, Any], data: Mapping[str, Any], where: str) -> Optional[str]:
    """One line when the landmarks of ``where`` come from another backend than those ``what`` (a model or a
    spotter) was trained on (``trained`` and ``data``: {"backend": ..., "backend_version": ...}); None when they
    agree or the training source is unknown. Backends place points differently, so a model's figures do not
    carry over from one to another."""
    expected, found = trained.get("backend") or "", data.get("backend") or ""
    if not expected or not found or expected == found:
        return None
    return (
        f"{where}: landmarks from {found}, but {what} on {expected}'s: backends place points differently, so expect "
        f"worse results; extract with -b {expected}, or train on {found}'s landmarks"
    )
