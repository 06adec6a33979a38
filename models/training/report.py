"""The typed result of a training run (:class:`TrainReport`); metrics.json is written from it."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from ..runinfo import JsonReport
from .metrics import by_part_lines, headline


@dataclass
class FoldResult:
    """One cross-validation fold: its test score and how its training went."""

    fold: int
    accuracy: float
    test_samples: int
    epochs: int  # epochs run
    test_subjects: list[str]
    budget_epochs: int = 0  # epochs the budget allowed
    best_epoch: int = 0  # 1-based epoch whose weights were kept (best validation loss)
    stopped: str = ""  # "early": patience ran out; "budget": every allowed epoch ran
    still_improving: bool = False  # the budget ran out with the validation loss still falling
    loss_fell: bool = True  # the training loss fell (False: the fold measured an untrained model)
    loss_spike: int = 0  # first epoch whose validation loss jumped above 3x its lowest so far (0: none)
    budget_rule: str = ""


@dataclass
class FinalModel:
    """The delivered model.pt: how long it trained, why, and how it scores on its own training data."""

    epochs: int
    rule: str
    training_accuracy: float
    predicted_classes: dict[str, int]  # class -> training samples predicted as it
    problems: list[str] = field(default_factory=list)  # why it fails its check (empty: it passes)
    near_chance: bool = False  # its cross-validated UAR is near chance: it passes, but says so

    @property
    def check(self) -> str:
        if self.problems:
            return "failed: " + " | ".join(self.problems)
        return "passed, but its cross-validated UAR is near chance (see the warning)" if self.near_chance else "passed"


@dataclass
class TrainReport(JsonReport):
    """What `train` measured and wrote; ``to_json()`` is metrics.json (docs/training.md)."""

    model: str
    protocol: str
    folds: list[FoldResult]
    accuracy_mean: float
    accuracy_std: float
    accuracy_pooled: float
    classes: list[str]
    per_class: dict[str, dict[str, float]]
    macro_f1: float  # UF1: the unweighted mean of the classes' F1
    confusion_matrix: list[list[int]]
    chance: float
    parameters: int
    config: dict[str, Any]
    input: dict[str, Any]
    data: dict[str, Any]
    versions: dict[str, str]
    final: FinalModel
    warnings: list[str] = field(default_factory=list)
    uar: float = float("nan")  # UAR: the unweighted mean of the classes' recall (pooled predictions)
    by_dataset: dict[str, dict[str, float]] = field(default_factory=dict)  # a composite's: part -> figures
    run_dir: str = ""
    files: dict[str, str] = field(default_factory=dict)  # what the run wrote: name -> path

    def to_json(self) -> dict[str, Any]:
        """metrics.json's content (plain JSON types; run_dir and files are not part of it)."""
        content = asdict(self)
        content.pop("run_dir")
        content.pop("files")
        content["final"]["check"] = self.final.check
        return content

    def summary(self) -> str:
        """The lines the CLI prints: the headline figure and the files."""
        figures = headline(self.uar, self.macro_f1, self.accuracy_mean, self.chance, len(self.classes),
                           f" +- {self.accuracy_std:.3f}")  # fmt: skip
        lines = [
            f"{self.model.upper()} {self.protocol} protocol, {len(self.folds)} folds: {figures}, "
            f"{self.parameters:,} parameters"
        ]
        lines += by_part_lines(self.by_dataset)
        final = self.final
        lines.append(
            f"delivered model: {final.epochs} epochs on all data, training accuracy {final.training_accuracy:.3f}, "
            f"predicts {len(final.predicted_classes)} of {len(self.classes)} classes; check {final.check}"
        )
        stops = ", ".join(
            f"{fold.fold}: best {fold.best_epoch}/{fold.epochs}"
            + (" (budget ran out)" if fold.stopped == "budget" else "")
            for fold in self.folds
        )
        lines.append(f"folds (best epoch / epochs run): {stops}")
        lines += [f"Warning: {text}" for text in self.warnings]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)


def files_in(run_dir: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: os.path.join(run_dir, name) for name in names}
