"""Long videos resume where they stopped: a track in progress is saved every CHUNK frames.

A killed run would otherwise start a long video again from frame 0 (a 4,720-frame video re-ran whole).
Every ``CHUNK`` frames the frames done so far are saved to ``.NAME.partial/<id>.npz`` beside the store
(written under a temporary name, then renamed: a file there is always complete), with the provenance
the run asks for. A re-run with the same provenance (backend, version, options, frames, source files)
continues after the last chunk; one with any other is started from frame 0 and the stale file replaced.
The file goes once the track is in the store.

The backend is reset at every chunk boundary, in a run that was never interrupted too: tracking state
(mediapipe's video mode, a tracked face box) then never crosses a boundary, so a resumed track is
exactly the track an uninterrupted run makes.
"""

from __future__ import annotations

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
    """The saved frames of tracks in progress in ``folder`` (see the module doc)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _path(self, track_id: str) -> str:
        return os.path.join(self.folder, hashlib.sha1(track_id.encode("utf-8", "surrogateescape")).hexdigest() + ".npz")

    def load(self, track_id: str, provenance: Provenance) -> Optional[dict[str, np.ndarray]]:
        """The arrays saved for ``track_id`` when they were made as ``provenance`` asks, else None."""
        path = self._path(track_id)
        try:
            with np.load(path, allow_pickle=False) as saved:
                arrays = {name: saved[name] for name in saved.files}
        except (OSError, ValueError, KeyError):  # none, or not ours to trust: start from frame 0
            return None
        if str(arrays.pop("track_id", "")) != track_id or str(arrays.pop("provenance", "")) != _key(provenance):
            return None
        return arrays

    def save(self, track_id: str, provenance: Provenance, arrays: dict[str, Any]) -> None:
        os.makedirs(self.folder, exist_ok=True)
        path = self._path(track_id)
        temporary = f"{path}.{os.getpid()}.part"
        with open(temporary, "wb") as handle:
            np.savez(handle, track_id=np.array(track_id), provenance=np.array(_key(provenance)), **arrays)
        os.replace(temporary, path)

    def clear(self, track_id: str) -> None:
        """Forget ``track_id``'s saved frames (it is in the store); the folder goes with its last file."""
        try:
            os.remove(self._path(track_id))
            os.rmdir(self.folder)
        except OSError:
            pass
