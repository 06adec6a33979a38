"""One writer per store: an OS lock (filelock) held for a command's whole life, with a note of who holds it."""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from typing import Any

from filelock import FileLock, Timeout

from ..errors import StoreBusyError

__all__ = ["StoreLock"]


class StoreLock:
    """The lock of the store at ``path``: ``.NAME.lock`` beside it (left in place, as OS locks need) and,
    while held, ``.NAME.owner`` saying which process holds it."""

    def __init__(self, path: str, shown: str = "") -> None:
        folder, name = os.path.split(os.path.abspath(path))
        self.path = shown or path
        self.lock_path = os.path.join(folder, f".{name}.lock")
        self.owner_path = os.path.join(folder, f".{name}.owner")
        self._lock = FileLock(self.lock_path, timeout=0)

    def acquire(self) -> StoreLock:
        """Take the lock at once, or raise StoreBusyError naming the process that holds it."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreBusyError(
                f"{self.path} is being written by another landmarkset process ({self._holder()}): wait for it to "
                "finish, or write to another output"
            ) from None
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:300],
        }
        temporary = f"{self.owner_path}.{os.getpid()}"
        with open(temporary, "w") as handle:
            json.dump(owner, handle)
        os.replace(temporary, self.owner_path)
        return self

    def _holder(self) -> str:
        try:
            with open(self.owner_path) as handle:
                owner: dict[str, Any] = json.load(handle)
            return f"pid {owner['pid']} on {owner['host']}, since {owner['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "its pid is not recorded yet"

    def release(self) -> None:
        try:
            os.unlink(self.owner_path)
        except FileNotFoundError:
            pass
        self._lock.release()
