"""The score-curve figure of `landmarkset spot`: each type's smoothed score, its threshold, the proposals
and the ground-truth intervals, over one video."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from landmarkset.intervals import Interval
from landmarkset.plotting import pyplot, save_figure

_COLOURS = {"micro": "#d1495b", "macro": "#00798c", "any": "#30343f"}  # "any": a trained spotter's one curve


def plot_spots(
    curves: dict[str, np.ndarray],
    thresholds: dict[str, float],
    proposals: Sequence[Interval],
    truth: Sequence[Interval],
    fps: float,
    output: str,
    title: str,
) -> str:
    plt = pyplot()
    frames = len(next(iter(curves.values())))
    seconds = math.isfinite(fps) and fps > 0
    scale = 1 / fps if seconds else 1.0
    x = np.arange(1, frames + 1) * scale
    figure, axis = plt.subplots(figsize=(11, 3.4))
    top = max([float(np.nanmax(c)) for c in curves.values() if np.isfinite(c).any()] + [1e-6])
    for interval in truth:
        axis.axvspan(interval.onset * scale, interval.offset * scale, color=_COLOURS[interval.type],
                     alpha=0.15, linewidth=0)  # fmt: skip
    for kind, curve in curves.items():
        axis.plot(x, curve, color=_COLOURS[kind], linewidth=1.0, label=f"{kind} score")
        axis.axhline(thresholds[kind], color=_COLOURS[kind], linestyle=":", linewidth=0.9)
    for proposal in proposals:
        level = top * (1.04 if proposal.type == "micro" else 1.09)
        axis.plot([proposal.onset * scale, proposal.offset * scale], [level, level],
                  color=_COLOURS[proposal.type], linewidth=3, solid_capstyle="butt")  # fmt: skip
    axis.set_ylim(0, top * 1.14)
    axis.set_xlim(x[0] if frames else 0, x[-1] if frames else 1)
    axis.set_xlabel("time (s)" if seconds else "frame")
    axis.set_ylabel("motion (inter-ocular)" if "any" not in curves else "probability of an expression")
    axis.set_title(f"{title}  (shaded: annotated intervals; bars: proposals; dotted: thresholds)", fontsize=9)
    axis.legend(fontsize=7, loc="upper left")
    return save_figure(figure, output)
