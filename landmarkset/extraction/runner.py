"""The interface every way of running extraction implements (this machine, a Dask cluster).

A runner computes tracks; the driver alone writes them, through the store's one writer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Callable, Optional, Protocol

from ..io.frames import Source
from ..provenance import Provenance
from ..track import Track
from .progress import Progress

__all__ = ["Done", "Runner"]

# Called once per source: (source, its track, None) or (source, None, the error).
Done = Callable[[Source, Optional[Track], Optional[BaseException]], None]


class Runner(Protocol):
    def recover(self, requests: Mapping[str, Provenance]) -> Iterator[Track]:
        """Tracks that an interrupted earlier run finished but did not store, made exactly as ``requests`` ask."""

    def run(self, todo: list[Source], requests: Mapping[str, Provenance], done: Done, bars: Progress) -> None:
        """Extract every source of ``todo`` (recording ``requests[source.id]``), calling ``done`` for each."""

    def finish(self) -> None:
        """After a run that completed: remove what was kept for resuming an interrupted one."""
