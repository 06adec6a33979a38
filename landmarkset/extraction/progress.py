"""Progress bars of an extraction: one over sequences, one per sequence being extracted (tqdm)."""

from __future__ import annotations

from typing import Any, Optional

from tqdm.auto import tqdm

__all__ = ["Progress"]


class Progress:
    """An overall bar over sequences and one bar per sequence being extracted."""

    def __init__(self, total: int, enabled: Optional[bool], slots: int) -> None:
        disable = None if enabled is None else not enabled  # None: only on a terminal
        self.overall = tqdm(total=total, desc="sequences", unit="seq", position=0, disable=disable, dynamic_ncols=True)
        self._disable = disable
        self._bars: dict[str, Any] = {}
        self._free = list(range(1, slots + 1))

    def update(self, sequence_id: str, done: int, total: int) -> None:
        bar = self._bars.get(sequence_id)
        if bar is None:
            position = self._free.pop(0) if self._free else len(self._bars) + 1
            bar = tqdm(
                total=total or None,
                desc=sequence_id[-30:],
                unit="frame",
                position=position,
                leave=False,
                disable=self._disable,
                dynamic_ncols=True,
            )
            bar.slot = position
            self._bars[sequence_id] = bar
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def finish(self, sequence_id: str, frames: int) -> None:
        bar = self._bars.pop(sequence_id, None)
        if bar is not None:
            self._free.append(bar.slot)
            self._free.sort()
            bar.close()
        self.overall.update(1)
        self.overall.set_postfix(frames=frames, refresh=False)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self.overall.close()
