"""The timeline figure of `landmarkset predict`: each class's probability over a sequence."""

from __future__ import annotations

import math

import numpy as np

from landmarkset.plotting import pyplot, save_figure


def plot_timeline(
    per_frame: np.ndarray, valid: np.ndarray, classes: list[str], fps: float, output: str, title: str
) -> str:
    """Per-frame class probabilities (lines), frames without a face shaded grey, over time (s or frames)."""
    plt = pyplot()
    frames = len(per_frame)
    seconds = math.isfinite(fps) and fps > 0
    x = np.arange(frames) / fps if seconds else np.arange(frames)
    figure, axis = plt.subplots(figsize=(10, 3.2))
    colours = plt.get_cmap("tab10")
    for number, name in enumerate(classes):
        axis.plot(x, per_frame[:, number], linewidth=1.1, color=colours(number % 10), label=name)
    faceless = ~np.asarray(valid, bool)
    if faceless.any():
        axis.fill_between(x, 0, 1, where=faceless, color="#bbbbbb", alpha=0.5, step="mid", label="no face")
    axis.set_ylim(0, 1)
    axis.set_xlim(x[0] if frames else 0, x[-1] if frames else 1)
    axis.set_xlabel("time (s)" if seconds else "frame")
    axis.set_ylabel("probability")
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7, ncol=min(len(classes) + 1, 8), loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return save_figure(figure, output)
