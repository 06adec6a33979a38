"""Figures people look at: landmark overlays on frames."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .io.frames import read_track_frames
from .regions import REGIONS
from .track import Track

DPI = 110  # figures written as PNG


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, output: str, dpi: int = DPI) -> str:
    """Lay out, write and release ``figure``; the format follows ``output``'s extension (PNG, PDF, SVG)."""
    plt = pyplot()
    figure.tight_layout()
    figure.savefig(output, dpi=dpi)
    plt.close(figure)
    return output


_REGION_COLOURS = {"jaw": "#4cc9f0", "brows": "#f72585", "nose": "#ffd166", "eyes": "#06d6a0", "mouth": "#ef476f"}


def plot_overlay(track: Track, output: str, n_frames: int = 6, indices: Optional[list[int]] = None) -> str:
    """Write a PNG grid of frames with their landmarks coloured by face region; return its path."""
    plt = pyplot()
    if indices is None:
        indices = sorted(set(np.linspace(0, track.n_frames - 1, min(n_frames, track.n_frames)).round().astype(int)))
    images = read_track_frames(track, indices)
    columns = min(len(indices), 3)
    rows = int(np.ceil(len(indices) / columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(4 * columns, 4 * rows * track.height / track.width), squeeze=False
    )
    pixels = track.pixels()
    for axis, index in zip(axes.flat, indices):
        image = images[index]
        if image is not None:
            axis.imshow(image)
        else:
            axis.set_facecolor("black")
        if track.valid[index]:
            for region, points in REGIONS.items():
                xy = pixels[index, list(points)]
                axis.scatter(xy[:, 0], xy[:, 1], s=6, c=_REGION_COLOURS[region], label=region)
        else:
            axis.text(0.5, 0.5, "no face", color="red", ha="center", va="center", transform=axis.transAxes)
        axis.set_xlim(0, track.width)
        axis.set_ylim(track.height, 0)
        axis.set_title(f"frame {index}", fontsize=9)
        axis.axis("off")
    for axis in list(axes.flat)[len(indices) :]:
        axis.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    figure.suptitle(f"{track.id} - {track.backend} - face in {100 * track.face_rate:.0f} % of frames", fontsize=10)
    figure.tight_layout(rect=(0, 0.04, 1, 0.96))
    figure.savefig(output, dpi=110)
    plt.close(figure)
    return output
