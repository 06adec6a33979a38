"""The typed result of `evaluate` (:class:`EvaluationReport`); its metrics.json is written from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from ..runinfo import JsonReport
from ..training.metrics import by_part_lines, headline


@dataclass
class EvaluationReport(JsonReport):
    """A trained model scored on a built dataset (docs/training.md, "Evaluating on another set")."""

    model: str
    model_file: str
    trained_on: dict[str, Any]
    accuracy: float
    classes: list[str]
    per_class: dict[str, dict[str, float]]
    macro_f1: float  # UF1: the unweighted mean of the classes' F1
    confusion_matrix: list[list[int]]
    samples_scored: int
    left_out_classes: dict[str, int]
    data: dict[str, Any]
    versions: dict[str, str]
    predicted_classes: dict[str, int] = field(default_factory=dict)  # predicted class -> samples
    megc: Optional[dict[str, Any]] = None
    warnings: list[str] = field(default_factory=list)
    uar: float = float("nan")  # UAR: the unweighted mean of the classes' recall
    by_dataset: dict[str, dict[str, float]] = field(default_factory=dict)  # a composite's: part -> figures
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        if content["megc"] is None:
            content.pop("megc")
        return content

    @property
    def classes_present(self) -> int:
        """Classes of the data the model knows (those with samples)."""
        return sum(1 for figures in self.per_class.values() if figures.get("support")) or len(self.classes)

    def headline(self) -> str:
        """UAR and UF1 beside accuracy and chance (landmarkset.models.training.metrics.headline)."""
        largest = max((figures.get("support", 0) for figures in self.per_class.values()), default=0)
        return headline(self.uar, self.macro_f1, self.accuracy, largest / max(self.samples_scored, 1),
                        self.classes_present)  # fmt: skip

    def summary(self) -> str:
        line = f"{self.headline()} on {self.samples_scored} samples"
        if self.left_out_classes:
            line += f" (left out, unknown to the model: {self.left_out_classes})"
        lines = [line, *by_part_lines(self.by_dataset), *(f"Warning: {text}" for text in self.warnings)]
        if self.megc is not None:
            for kind in ("macro", "micro", "overall"):
                s = self.megc[kind]
                lines.append(
                    f"  MEGC {kind:<7} GT {s['ground_truth']:>4}  predicted {s['predictions']:>4}  TP {s['tp']:>4}  "
                    f"P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}"
                )
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)
