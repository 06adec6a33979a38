"""What a generator wrote: a typed tree (its root, its annotation sheet, its truth), for tests, explain and
the demo to read instead of file names and dict keys."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["TRUTH_FILE", "SynthTree", "write_truth"]

TRUTH_FILE = "landmarkset_truth.json"


@dataclass(frozen=True)
class SynthTree(Mapping):
    """A generated tree: ``root``, the ``layout`` that reads it, its annotation ``sheet`` (None: the layout has
    none) and ``truth`` (the truth file's content: ``generator`` and ``sequences``). It reads like its truth
    (``tree["sequences"]``), as generators' results did before they were typed."""

    root: str
    layout: str
    sheet: Optional[str]
    truth: dict[str, Any] = field(repr=False)

    @property
    def sequences(self) -> dict[str, Any]:
        """Every sequence (clip, video) the tree holds and its truth, by name."""
        return self.truth["sequences"]

    @property
    def truth_file(self) -> str:
        return os.path.join(self.root, TRUTH_FILE)

    def summary(self) -> str:
        """One line on what was written: sequences, labels, intervals by type, subjects, frames, where."""
        sequences = list(self.sequences.values())
        details = []
        if sequences and all("emotion" in s for s in sequences):
            details.append(f"{sum(bool(s['emotion']) for s in sequences)} labelled")
        intervals = Counter(str(i.get("type", "micro")) for s in sequences for i in s.get("intervals", ()))
        if intervals:
            details.append(" and ".join(f"{n} {kind}" for kind, n in sorted(intervals.items())) + " intervals")
        frames = [s["frames"] for s in sequences if isinstance(s.get("frames"), int)]
        details += [f"{sum(frames)} frames"] if len(frames) == len(sequences) else []
        subjects = len({s.get("subject") for s in sequences})
        shown = f" ({', '.join(details)})" if details else ""
        return (
            f"wrote {len(sequences)} sequences{shown} of {subjects} subjects to {self.root}; truth: {self.truth_file}"
        )

    def __getitem__(self, key: str) -> Any:
        return self.truth[key]

    def __iter__(self):
        return iter(self.truth)

    def __len__(self) -> int:
        return len(self.truth)


def write_truth(out: str, layout: str, sheet: Optional[str], record: dict[str, Any]) -> SynthTree:
    """Write ``record`` as ``out``'s truth file; the tree it belongs to (``sheet``: a file name in ``out``)."""
    with open(os.path.join(out, TRUTH_FILE), "w") as handle:
        json.dump(record, handle, sort_keys=True)
    return SynthTree(out, layout, os.path.join(out, sheet) if sheet else None, record)
