"""Classification scores (scikit-learn) and the figures every run and evaluation writes."""

from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from .figures import plot_confusion, plot_curves


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """Accuracy, per-class precision / recall / F1 / support (the paper's Table II) and the confusion matrix."""
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else float("nan"),
        "classes": list(classes),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(classes)
        },
        # UF1 and UAR (the micro-expression field's figures, MEGC): the unweighted means of F1 and of recall over
        # the classes in the truth or the predictions, as scikit-learn's average="macro" and the MEGC 2019 code
        # take them (a class predicted but never true scores 0 in both); on the pooled predictions
        **_unweighted(f1, recall, support, np.bincount(np.asarray(y_pred, np.int64), minlength=len(classes))),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def _unweighted(f1: np.ndarray, recall: np.ndarray, support: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    seen = (support > 0) | (predicted[: len(support)] > 0)
    if not seen.any():
        return {"macro_f1": float("nan"), "uar": float("nan")}
    return {"macro_f1": float(np.mean(f1[seen])), "uar": float(np.mean(recall[seen]))}


NEAR_CHANCE = 0.25  # a UAR less than this share of the way from chance (1 / classes) to 1 is near chance


def chance_uar(classes: int) -> float:
    """The UAR of a model that guesses (or always says one class) among ``classes`` classes."""
    return 1.0 / max(classes, 1)


def near_chance(uar: float, classes: int) -> bool:
    """Whether a UAR is less than NEAR_CHANCE of the way from chance to perfect (a model that learnt little,
    whatever its accuracy on imbalanced classes)."""
    chance = chance_uar(classes)
    return bool(np.isfinite(uar)) and classes > 1 and uar < chance + NEAR_CHANCE * (1 - chance)


def headline(uar: float, uf1: float, accuracy: float, majority: float, classes: int, spread: str = "") -> str:
    """The figures every summary leads with: UAR beside its chance, UF1, then accuracy beside the share of the
    most frequent class (what always saying that class scores)."""
    return (
        f"UAR {uar:.3f} (chance {chance_uar(classes):.3f}), UF1 {uf1:.3f}, accuracy {accuracy:.3f}{spread} "
        f"(majority class {majority:.3f})"
    )


def near_chance_warning(uar: float, classes: int, what: str) -> str:
    """One line when ``what``'s UAR is near chance (see :func:`near_chance`), else ""."""
    if not near_chance(uar, classes):
        return ""
    return (
        f"{what}: UAR {uar:.3f} is near chance ({chance_uar(classes):.3f} for {classes} classes): the model has learnt "
        "little, whatever its accuracy says (the classes are imbalanced); more data per class, fewer neutral samples "
        "or longer training may help"
    )


def scores_by_part(
    y_true: np.ndarray, y_pred: np.ndarray, parts: Optional[list[str]], classes: list[str]
) -> dict[str, dict[str, float]]:
    """A composite's figures per part (landmarkset merge): accuracy, UF1 and UAR over each part's pooled
    predictions, as the MEGC reports them per dataset beside the composite; empty when there are no parts."""
    if parts is None:
        return {}
    named = np.asarray(parts)
    found = {}
    for part in dict.fromkeys(parts):
        mine = named == part
        scores = classification_scores(y_true[mine], y_pred[mine], classes)
        found[part] = {
            "samples": int(mine.sum()),
            "accuracy": scores["accuracy"],
            "uf1": scores["macro_f1"],
            "uar": scores["uar"],
        }
    return found


def by_part_lines(by_part: dict[str, dict[str, float]]) -> list[str]:
    """The summary lines of :func:`scores_by_part`'s figures."""
    return [
        f"  {part}: UAR {s['uar']:.3f}, UF1 {s['uf1']:.3f}, accuracy {s['accuracy']:.3f} ({s['samples']} samples)"
        for part, s in by_part.items()
    ]


def write_classification_figures(
    matrix: list[list[int]],
    classes: list[str],
    out_dir: str,
    title: str,
    curves: Optional[list[dict[str, list[float]]]] = None,
    folds: Optional[list[Any]] = None,
) -> list[str]:
    """confusion_matrix.png (and training_curves.png when ``curves`` are given) in ``out_dir``."""
    written = [plot_confusion(np.array(matrix), classes, os.path.join(out_dir, "confusion_matrix.png"), title)]
    if curves:
        written.append(plot_curves(curves, os.path.join(out_dir, "training_curves.png"), folds))
    return written
