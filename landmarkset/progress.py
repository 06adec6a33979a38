"""Progress that shows wherever the output goes: tqdm's bars on a terminal, and a plain line every few percent
when the output is a log, a pipe or CI (where a bar would print nothing until the end, or carriage returns)."""

from __future__ import annotations

import sys
import time
from typing import Any, Optional, TextIO

from tqdm.auto import tqdm

__all__ = ["LogLines", "progress_bar"]


class LogLines:
    """The part of tqdm's interface the stages use (update, set_postfix, close, a context manager), writing one
    line each time another ``step`` of the total is done: "train: 3/7 models (43 %, 52 s)"."""

    def __init__(self, total: int, desc: str, unit: str, step: float = 0.1, stream: Optional[TextIO] = None) -> None:
        self.total, self.desc, self.unit, self.step = max(int(total or 0), 0), desc, unit, step
        self.stream = stream or sys.stderr
        self.n, self._shown, self._started, self._postfix = 0, 0.0, time.monotonic(), ""

    def update(self, n: int = 1) -> None:
        self.n += n
        if not self.total:
            return
        done = min(self.n / self.total, 1.0)
        if done >= self._shown + self.step - 1e-9 or (done >= 1.0 > self._shown):
            self._shown = done
            seconds = time.monotonic() - self._started
            extra = f", {self._postfix}" if self._postfix else ""
            print(f"{self.desc}: {self.n}/{self.total} {self.unit} ({done:.0%}, {seconds:.0f} s{extra})",
                  file=self.stream, flush=True)  # fmt: skip

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        self._postfix = ", ".join(f"{key} {value}" for key, value in values.items())

    def close(self) -> None:
        pass

    def __enter__(self) -> LogLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def progress_bar(total: int, desc: str, unit: str, progress: Optional[bool], *, step: float = 0.1, **options: Any):
    """A tqdm bar on a terminal; with ``progress`` None and the output not a terminal, :class:`LogLines` (a line
    every ``step`` of the work); nothing with ``progress`` False."""
    if progress is None and not sys.stderr.isatty():
        return LogLines(total, desc, unit, step)
    return tqdm(total=total, desc=desc, unit=unit, disable=not progress if progress is not None else None, **options)
