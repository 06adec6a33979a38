"""One writer per store or run folder: an OS lock held for a command's whole life, with a note of who holds it,
and nothing left behind once it is released.

The lock is ``.NAME.lock`` beside the store (or inside the run folder). On POSIX it is an ``flock`` on that file,
which the holder removes before it lets go; a process that locked a file which was removed meanwhile (the
previous holder leaving) finds the path no longer names its file and tries again, so two processes never hold
the lock at once. The kernel releases it when a holder dies (kill -9 included). Elsewhere ``filelock`` is used,
and its file stays.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
from typing import Any, Optional

from ..errors import StoreBusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["StoreLock"]


class StoreLock:
    """The lock of the store (or run folder) at ``path``: ``.NAME.lock`` beside it (``inside=True``: in it) and,
    while held, ``.NAME.owner`` saying which process holds it."""

    def __init__(self, path: str, shown: str = "", *, inside: bool = False) -> None:
        folder, name = os.path.split(os.path.abspath(path))
        if inside:
            folder, name = os.path.abspath(path), "landmarkset-run"
        self.path = shown or path
        self.lock_path = os.path.join(folder, f".{name}.lock")
        self.owner_path = os.path.join(folder, f".{name}.owner")
        self._fd: Optional[int] = None
        self._portable: Any = None

    def acquire(self) -> StoreLock:
        """Take the lock at once, or raise StoreBusyError naming the process that holds it."""
        if fcntl is None:  # pragma: no cover - Windows
            from filelock import FileLock, Timeout

            self._portable = FileLock(self.lock_path, timeout=0)
            try:
                self._portable.acquire(timeout=0)
            except Timeout:
                raise self._busy() from None
        else:
            self._fd = self._flock()
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

    def _flock(self) -> int:
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self._busy() from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # the holder before us removed the file it had locked: lock the path's new file

    def _busy(self) -> StoreBusyError:
        return StoreBusyError(
            f"{self.path} is being written by another landmarkset process ({self._holder()}): wait for it to "
            "finish, or write to another output"
        )

    def _holder(self) -> str:
        try:
            with open(self.owner_path) as handle:
                owner: dict[str, Any] = json.load(handle)
            return f"pid {owner['pid']} on {owner['host']}, since {owner['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "its pid is not recorded yet"

    def release(self) -> None:
        for path in (self.owner_path, self.lock_path if self._fd is not None else None):
            if path is not None:
                try:
                    os.unlink(path)  # while the lock is held: no one else can be using it
                except FileNotFoundError:
                    pass
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._portable is not None:  # pragma: no cover - Windows
            self._portable.release()
