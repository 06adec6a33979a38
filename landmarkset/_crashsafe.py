"""Crash-safe updates of one HDF5 file.

HDF5 files can be left unreadable when a process dies while writing them, so the published
file is never written in place. Each update is applied to a private shadow copy, which then
replaces the published name atomically; a second shadow (the previous published inode, kept
alive by a hard link) catches up with the same update and becomes the next working copy.
Whatever moment the process is killed, ``path`` names a complete, closed file. Each update is
written twice; where hard links are unsupported, the shadow is copied instead (slower, as safe).
"""

from __future__ import annotations

import os
import shutil
from typing import Callable

import h5py

Change = Callable[[h5py.File], None]


class CrashSafeFile:
    """Apply changes to the HDF5 file at ``path`` so that it is always readable.

    ``initialise`` fills a new, empty file (root attributes); it runs only when ``path`` does not
    exist yet. The published file exists from the moment this object is created.
    """

    def __init__(self, path: str, initialise: Change) -> None:
        self.path = os.path.abspath(path)
        folder, name = os.path.split(self.path)
        self._work, self._old, self._temp = (os.path.join(folder, f".{name}.{tag}") for tag in ("work", "old", "tmp"))
        self._remove_shadows()
        if os.path.exists(self.path):
            shutil.copyfile(self.path, self._work)
        else:
            with h5py.File(self._work, "w") as file:
                initialise(file)
            shutil.copyfile(self._work, self._temp)
            os.replace(self._temp, self.path)

    def _remove_shadows(self) -> None:
        # Unlink, never truncate: after a crash a shadow may be a hard link to the published file.
        for shadow in (self._work, self._old, self._temp):
            if os.path.lexists(shadow):
                os.unlink(shadow)

    def update(self, change: Change) -> None:
        """Apply ``change`` and publish the result atomically."""
        with h5py.File(self._work, "a") as file:
            change(file)
        try:
            os.link(self.path, self._old)
            os.link(self._work, self._temp)
        except OSError:  # no hard links on this file system: publish a full copy
            if os.path.lexists(self._old):
                os.unlink(self._old)
            shutil.copyfile(self._work, self._temp)
            os.replace(self._temp, self.path)
            return
        os.replace(self._temp, self.path)  # the published name now points at the work copy
        with h5py.File(self._old, "a") as file:  # the previous version catches up...
            change(file)
        os.replace(self._old, self._work)  # ...and becomes the next work copy

    def close(self) -> None:
        """Remove the shadow copies; the published file stays."""
        self._remove_shadows()

    def __enter__(self) -> CrashSafeFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
