"""Figures of a training run: confusion matrix and training curves (PNG)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from landmarkset.plotting import pyplot, save_figure


def plot_confusion(matrix: np.ndarray, classes: list[str], output: str, title: str) -> str:
    """Row-normalised confusion matrix with counts in each cell."""
    plt = pyplot()
    matrix = np.asarray(matrix)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axis = plt.subplots(figsize=(1.0 + 0.75 * len(classes), 0.8 + 0.7 * len(classes)))
    image = axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            axis.text(
                j,
                i,
                f"{matrix[i, j]}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if rates[i, j] > 0.5 else "black",
            )
    axis.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(len(classes)), classes, fontsize=8)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axis, fraction=0.046, label="share of the true class")
    return save_figure(figure, output)


def plot_curves(histories: list[dict[str, list[float]]], output: str, folds: Optional[list[Any]] = None) -> str:
    """Training and validation loss, and validation accuracy, per fold. With ``folds`` (FoldResult), each
    fold's kept epoch is a dot, and a fold whose budget ran out while its validation loss was still falling
    ends in a triangle and is named in the title: it was under-trained."""
    plt = pyplot()
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 3.8))
    improving = []
    for number, history in enumerate(histories, start=1):
        line = loss.plot(range(1, len(history["train_loss"]) + 1), history["train_loss"], label=f"fold {number} train")[
            0
        ]
        epochs = range(1, len(history["val_loss"]) + 1)
        loss.plot(epochs, history["val_loss"], linestyle="--", color=line.get_color())
        accuracy.plot(epochs, history["val_accuracy"], color=line.get_color(), label=f"fold {number}")
        if folds is not None:
            fold = folds[number - 1]
            if 0 < fold.best_epoch <= len(history["val_loss"]):
                loss.plot(fold.best_epoch, history["val_loss"][fold.best_epoch - 1], "o", color=line.get_color())
            if fold.still_improving:
                improving.append(str(number))
                loss.plot(len(history["val_loss"]), history["val_loss"][-1], "v", color=line.get_color(), markersize=9)
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy (solid: train, dashed: validation)")
    accuracy.set_xlabel("epoch")
    accuracy.set_ylabel("validation accuracy")
    accuracy.set_ylim(0, 1)
    accuracy.legend(fontsize=7, ncol=2)
    title = "dot: epoch kept (best validation loss)"
    if improving:
        title += f"; triangle: budget ran out while improving (fold {', '.join(improving)}): train longer"
    figure.suptitle(title, fontsize=9, color="#b00000" if improving else "black")
    return save_figure(figure, output)
