"""The typed result of a training run (:class:`TrainReport`); metrics.json is written from it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FoldResult:
    """One cross-validation fold: its test score and how its training went."""

    fold: int
    accuracy: float
    test_samples: int
    epochs: int  # epochs run
    test_subjects: list[str]


@dataclass
class TrainReport:
    """What `train` measured and wrote; ``to_json()`` is metrics.json (docs/training.md)."""

    model: str
    protocol: str
    folds: list[FoldResult]
    accuracy_mean: float
    accuracy_std: float
    accuracy_pooled: float
    classes: list[str]
    per_class: dict[str, dict[str, float]]
    macro_f1: float
    confusion_matrix: list[list[int]]
    chance: float
    parameters: int
    config: dict[str, Any]
    input: dict[str, Any]
    data: dict[str, Any]
    versions: dict[str, str]
    run_dir: str = ""
    files: dict[str, str] = field(default_factory=dict)  # what the run wrote: name -> path

    def to_json(self) -> dict[str, Any]:
        """metrics.json's content (plain JSON types; run_dir and files are not part of it)."""
        content = asdict(self)
        content.pop("run_dir")
        content.pop("files")
        return content

    def write(self, path: str) -> str:
        with open(path, "w") as handle:
            json.dump(self.to_json(), handle, indent=2)
        return path

    def summary(self) -> str:
        """The lines the CLI prints: the headline figure and the files."""
        lines = [
            f"{self.model.upper()} {self.protocol} protocol, {len(self.folds)} folds: accuracy "
            f"{self.accuracy_mean:.3f} +- {self.accuracy_std:.3f} (chance {self.chance:.3f}), "
            f"{self.parameters:,} parameters"
        ]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)


def files_in(run_dir: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: os.path.join(run_dir, name) for name in names}
