"""Figures of class activation maps, drawn like the paper's Figure 7: a landmark x frame heatmap with the
face groups labelled, beside the face with each landmark coloured white -> yellow -> red by its activation."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from landmarkset.plotting import pyplot, save_figure
from landmarkset.regions import REGIONS

# The outline drawn when the frame image is not available: point runs of the 68-point scheme.
_OUTLINE = [
    range(0, 17), range(17, 22), range(22, 27), range(27, 31), range(31, 36),
    [*range(36, 42), 36], [*range(42, 48), 42], [*range(48, 60), 48], [*range(60, 68), 60],
]  # fmt: skip


def _activation_colormap():
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("white-yellow-red", ["#ffffff", "#ffe100", "#d40000"])


def _label_groups(axis) -> None:
    for name, points in REGIONS.items():
        axis.axhline(points[0] - 0.5, color="black", linewidth=0.4, alpha=0.5)
        axis.text(-0.9, (points[0] + points[-1]) / 2, name, ha="right", va="center", fontsize=7)


def plot_map(raw: np.ndarray, processed: np.ndarray, output: str, title: str) -> str:
    """Two panels: the map scaled to [0, 255], and the post-processed frame differences."""
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(8.6, 4.4))
    span = raw.max() - raw.min()
    scaled = (raw - raw.min()) / span * 255 if span > 0 else np.zeros_like(raw)
    image = left.imshow(scaled, aspect="auto", cmap="inferno", vmin=0, vmax=255)
    left.set_title("activation (0-255)", fontsize=8)
    figure.colorbar(image, ax=left, fraction=0.05)
    limit = max(float(np.abs(processed).max()), 1.0)
    image = right.imshow(processed, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
    right.set_title("successive-frame differences, post-processed", fontsize=8)
    figure.colorbar(image, ax=right, fraction=0.05)
    for axis in (left, right):
        axis.set_xlabel("frame")
        axis.set_yticks([])
        _label_groups(axis)
    figure.suptitle(title, fontsize=9)
    return save_figure(figure, output)


def plot_face(
    points: np.ndarray, scores: np.ndarray, output: str, title: str, image: Optional[np.ndarray] = None
) -> str:
    """Landmarks (68, 2) in pixels coloured by ``scores``, on the frame ``image`` (RGB) or on the face outline."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(4.2, 4.6))
    low, high = points.min(0), points.max(0)
    margin = 0.25 * (high - low).max()
    if image is not None:
        axis.imshow(image, cmap="gray")
    else:
        axis.set_facecolor("#202020")
        for run in _OUTLINE:
            axis.plot(points[list(run), 0], points[list(run), 1], color="#888888", linewidth=1)
    span = scores.max() - scores.min()
    values = (scores - scores.min()) / span if span > 0 else np.zeros_like(scores)
    order = np.argsort(values)  # strongest drawn last, on top
    dots = axis.scatter(
        points[order, 0], points[order, 1], c=values[order], cmap=_activation_colormap(), vmin=0, vmax=1,
        s=14 + 40 * values[order], edgecolors="black", linewidths=0.3,
    )  # fmt: skip
    axis.set_xlim(low[0] - margin, high[0] + margin)
    axis.set_ylim(high[1] + margin, low[1] - margin)
    axis.set_xticks([])
    axis.set_yticks([])
    axis.set_title(title, fontsize=8)
    figure.colorbar(dots, ax=axis, fraction=0.046, label="activation (scaled)")
    return save_figure(figure, output)


def plot_crop(crop: np.ndarray, heat: np.ndarray, points: Optional[np.ndarray], output: str, title: str) -> str:
    """A face crop (grayscale, uint8) with the map over it (transparent where low) and, when known, its
    landmarks at the last frame."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(4.2, 4.6))
    axis.imshow(crop, cmap="gray", vmin=0, vmax=255)
    span = float(heat.max() - heat.min())
    values = (heat - heat.min()) / span if span > 0 else np.zeros_like(heat)
    overlay = axis.imshow(values, cmap=_activation_colormap(), vmin=0, vmax=1, alpha=np.clip(values * 0.85, 0, 0.85))
    if points is not None:
        axis.scatter(points[-1, :, 0], points[-1, :, 1], s=4, c="#00c0ff", linewidths=0)
    axis.set_xticks([])
    axis.set_yticks([])
    axis.set_title(title, fontsize=8)
    figure.colorbar(overlay, ax=axis, fraction=0.046, label="activation (scaled)")
    return save_figure(figure, output)


@dataclass
class Drawing:
    """What the figures of one sample (or one class's mean) are drawn from."""

    stem: str  # file names start with it
    title: str
    map: np.ndarray  # (*map axes of the input kind)
    processed: Optional[np.ndarray]  # post-processed (landmarks, frames) map, for the "map" figure
    landmark_scores: Optional[np.ndarray]  # (68,)
    face_points: np.ndarray  # last-frame landmarks in the frame's pixels (68, 2)
    image: Optional[np.ndarray]  # the last frame (RGB), None: drawn on the landmarks' outline
    sample: np.ndarray  # the raw sample (frames, ...)
    map_points: Optional[np.ndarray]  # landmarks in the map's coordinates (frames, 68, 2), when placeable


def _map_figure(drawing: Drawing, folder: str) -> str:
    return plot_map(drawing.map, drawing.processed, os.path.join(folder, f"{drawing.stem}_map.png"), drawing.title)


def _face_figure(drawing: Drawing, folder: str) -> str:
    output = os.path.join(folder, f"{drawing.stem}_face.png")
    return plot_face(drawing.face_points, drawing.landmark_scores, output, drawing.title, drawing.image)


def _crop_figure(drawing: Drawing, folder: str) -> str:
    output = os.path.join(folder, f"{drawing.stem}_face.png")
    return plot_crop(drawing.sample[-1], drawing.map.mean(axis=0), drawing.map_points, output, drawing.title)


# The figures an input kind can declare (InputKind.figures): name -> drawer writing one file.
FIGURES: dict[str, Callable[[Drawing, str], str]] = {"map": _map_figure, "face": _face_figure, "crop": _crop_figure}


def draw(names: tuple[str, ...], drawing: Drawing, folder: str) -> dict[str, str]:
    """Each named figure of ``drawing`` in ``folder``: name -> file name."""
    return {name: os.path.basename(FIGURES[name](drawing, folder)) for name in names}
