"""Long videos resume where they stopped: a track in progress is saved every CHUNK frames.

A killed run would otherwise start a long video again from frame 0 (a 4,720-frame video re-ran whole).
Every ``CHUNK`` frames the frames of that chunk are saved to ``.NAME.partial/<sha1 of id>.<chunk>.npz``
beside the store (written under a temporary name, then renamed: a file there is always complete; one
file per chunk, so an hour of video writes each frame once), with the provenance the run asks for. A
re-run with the same provenance (backend, version, options, frames, source files) continues after the
last chunk that follows on; chunks made otherwise, or after a gap, are stale: removed, and made again.
The files go once the track is in the store.

The backend is reset at every chunk boundary, in a run that was never interrupted too: tracking state
(mediapipe's video mode, a tracked face box) then never crosses a boundary, so a resumed track is
exactly the track an uninterrupted run makes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict
from typing import Any, Optional

import numpy as np

from ..provenance import Provenance

__all__ = ["CHUNK", "Checkpoints", "checkpoint_dir"]

CHUNK = 2048  # frames between checkpoints (68 s of 30 fps video; a few seconds of work lost at most a minute)


def checkpoint_dir(store: str) -> str:
    """The folder of the checkpoints of tracks in progress for the store ``store``."""
    folder, name = os.path.split(os.path.realpath(store))
    return os.path.join(folder, f".{name}.partial")


def _key(provenance: Provenance) -> str:
    return json.dumps(asdict(provenance), sort_keys=True, default=list)


class Checkpoints:
    """The saved chunks of tracks in progress in ``folder`` (see the module doc)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _stem(self, track_id: str) -> str:
        return hashlib.sha1(track_id.encode("utf-8", "surrogateescape")).hexdigest()

    def _chunks(self, track_id: str) -> list[str]:
        stem = self._stem(track_id)
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        return sorted(os.path.join(self.folder, n) for n in names if n.startswith(stem + ".") and n.endswith(".npz"))

    def load(self, track_id: str, provenance: Provenance) -> Optional[dict[str, np.ndarray]]:
        """The frames saved for ``track_id``, chunks joined, when they were made as ``provenance`` asks and
        follow each other; None otherwise (the run starts from frame 0)."""
        key, parts, done = _key(provenance), [], 0
        chunks = self._chunks(track_id)
        for number, path in enumerate(chunks):
            try:
                with np.load(path, allow_pickle=False) as saved:
                    arrays = {name: saved[name] for name in saved.files}
                usable = (
                    str(arrays.pop("track_id", "")) == track_id
                    and str(arrays.pop("provenance", "")) == key
                    and int(arrays.pop("start", -1)) == done  # never stitch frames that do not follow on
                    and "valid" in arrays
                    and "unreadable" in arrays
                )
            except (OSError, ValueError, KeyError):  # not ours to trust
                usable = False
            if not usable:  # stale from here on: made again by this run
                for stale in chunks[number:]:
                    with contextlib.suppress(OSError):
                        os.remove(stale)
                break
            done += len(arrays["valid"])
            parts.append(arrays)
        if not parts:
            return None
        joined = {name: np.concatenate([part[name] for part in parts]) for name in parts[0] if name != "unreadable"}
        joined["unreadable"] = parts[-1]["unreadable"]
        return joined

    def save(self, track_id: str, provenance: Provenance, start: int, arrays: dict[str, Any]) -> None:
        """Save frames ``start`` onwards (``arrays``, with the run's ``unreadable`` count so far)."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{self._stem(track_id)}.{start:010d}.npz")
        temporary = f"{path}.{os.getpid()}.part"
        with open(temporary, "wb") as handle:
            np.savez(handle, track_id=np.array(track_id), provenance=np.array(_key(provenance)),
                     start=np.array(start), **arrays)  # fmt: skip
        os.replace(temporary, path)

    def clear(self, track_id: str) -> None:
        """Forget ``track_id``'s saved frames (it is in the store); the folder goes with its last file."""
        for path in self._chunks(track_id):
            try:
                os.remove(path)
            except OSError:
                pass
        try:
            os.rmdir(self.folder)
        except OSError:
            pass
