"""Figures people look at: how every figure is written (one place), and landmark overlays on frames."""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from .errors import InputError, OptionError
from .io.frames import read_track_frames
from .regions import REGIONS
from .runfolder import atomic_path
from .track import Individuals, Track

DPI = 110  # figures written as PNG
FORMATS = ("png", "pdf", "svg")  # what figures may be written as (PDF and SVG for papers)


@dataclass(frozen=True)
class FigureFormat:
    """How figures are written: raster resolution and the formats beside each figure's own file."""

    dpi: int = DPI
    also: tuple[str, ...] = ()  # more formats, each written beside the figure (x.png -> x.pdf)


_FORMAT: contextvars.ContextVar[Optional[FigureFormat]] = contextvars.ContextVar("figure_format", default=None)


@contextlib.contextmanager
def figure_format(dpi: Optional[int] = None, formats: Sequence[str] = ()) -> Iterator[FigureFormat]:
    """Write every figure saved inside the block at ``dpi`` and, besides its own file, in ``formats``."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise OptionError(f"unknown figure format {unknown[0]!r}: use {', '.join(FORMATS)}")
    if dpi is not None and not 10 <= dpi <= 2400:
        raise OptionError(f"--dpi {dpi} is out of range: use 10 to 2400 (300 for print)")
    chosen = FigureFormat(dpi=dpi or DPI, also=tuple(dict.fromkeys(formats)))
    token = _FORMAT.set(chosen)
    try:
        yield chosen
    finally:
        _FORMAT.reset(token)


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, output: str, layout: Optional[tuple[float, float, float, float]] = None) -> str:
    """Lay out (inside ``layout``, a figure-fraction rectangle), write and release ``figure``; return ``output``.

    The format follows ``output``'s extension (PNG, PDF, SVG), the resolution and the formats written
    beside it follow :func:`figure_format`.
    """
    plt = pyplot()
    chosen = _FORMAT.get() or FigureFormat()
    figure.tight_layout(rect=layout)
    stem, extension = os.path.splitext(output)
    try:
        for path in [output, *(f"{stem}.{kind}" for kind in chosen.also if kind != extension.lstrip(".").lower())]:
            with atomic_path(path) as partial:  # a full disk or a kill leaves the earlier figure or none
                figure.savefig(partial, dpi=chosen.dpi)
    finally:
        plt.close(figure)
    return output


# Colours a reader tells apart (brows and mouth were two pinks): cyan, violet, yellow, green, red.
_REGION_COLOURS = {"jaw": "#4cc9f0", "brows": "#9b5de5", "nose": "#ffd166", "eyes": "#06d6a0", "mouth": "#ef476f"}


def plot_overlay(
    track: Union[Track, Individuals],
    output: str,
    n_frames: int = 6,
    indices: Optional[list[int]] = None,
    crop: bool = False,
) -> str:
    """Write a grid of frames (``indices``: positions in the track, else ``n_frames`` evenly spaced) with their
    landmarks coloured by face region, or, for a sequence of several faces (Individuals), each individual in
    its own colour with its name; ``crop`` zooms every frame to the faces. Return the figure's path."""
    plt = pyplot()
    people = track.tracks if isinstance(track, Individuals) else [track]
    track = people[0]  # the frames, size and source, every individual's alike
    if track.n_frames == 0:
        raise InputError(f"{track.id}: the track has no frames to draw")
    if indices is None:
        indices = sorted(set(np.linspace(0, track.n_frames - 1, min(n_frames, track.n_frames)).round().astype(int)))
    outside = [index for index in indices if not 0 <= index < track.n_frames]
    if outside:
        raise InputError(f"{track.id}: no frame {outside[0]}; its frames are 0 to {track.n_frames - 1}")
    images = read_track_frames(track, indices)
    columns = min(len(indices), 3)
    rows = int(np.ceil(len(indices) / columns))
    figure, axes = plt.subplots(
        rows, columns, figsize=(4 * columns, 4 * rows * (1 if crop else track.height / track.width)), squeeze=False
    )
    pixels = [person.pixels() for person in people]
    valid = np.stack([person.valid for person in people])
    view = _face_view(np.concatenate(pixels, axis=1), valid.any(axis=0), track, indices) if crop else (
        (0, 0), (track.width, track.height))  # fmt: skip
    colours = plt.get_cmap("tab10")
    for axis, index in zip(axes.flat, indices):
        image = images[index]
        if image is not None:
            axis.imshow(image)
        else:
            axis.set_facecolor("black")
        for k, person in enumerate(people):
            if not person.valid[index]:
                continue
            if not person.individual:
                for region, points in REGIONS.items():
                    xy = pixels[k][index, list(points)]
                    axis.scatter(xy[:, 0], xy[:, 1], s=6, c=_REGION_COLOURS[region], label=region)
                continue
            xy = pixels[k][index]
            colour = colours(int(person.individual) % 10 if person.individual.isdigit() else k % 10)
            axis.scatter(xy[:, 0], xy[:, 1], s=6, color=colour, label=f"individual {person.individual}")
            axis.text(xy[:, 0].mean(), xy[:, 1].min(), person.individual, color="white", fontsize=9, ha="center",
                      va="bottom", bbox={"facecolor": "black", "alpha": 0.6, "pad": 1})  # fmt: skip
        if not valid[:, index].any():
            axis.text(0.5, 0.5, "no face", color="red", ha="center", va="center", transform=axis.transAxes)
        (x0, y0), (x1, y1) = view
        axis.set_xlim(x0, x1)
        axis.set_ylim(y1, y0)
        axis.set_title(f"frame {index}", fontsize=9)
        axis.axis("off")
    for axis in list(axes.flat)[len(indices) :]:
        axis.axis("off")
    legend: dict[str, Any] = {}
    for axis in axes.flat:  # every individual named once, whichever frame shows it
        for handle, label in zip(*axis.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    if legend:
        figure.legend(legend.values(), legend.keys(), loc="lower center", ncol=min(len(legend), 8), fontsize=8,
                      frameon=False)  # fmt: skip
    shown = f"{len(people)} individuals, a face" if track.individual else "face"
    figure.suptitle(f"{track.id} - {track.backend} - {shown} in {100 * valid.any(axis=0).mean():.0f} % of frames",
                    fontsize=10)  # fmt: skip
    return save_figure(figure, output, layout=(0, 0.04, 1, 0.96))


def _face_view(
    pixels: np.ndarray, valid: np.ndarray, track: Track, indices: list[int]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The square around every drawn face, with a quarter of its size as margin (the whole frame when no
    drawn frame has a face)."""
    faces = pixels[[index for index in indices if valid[index]]]
    if not len(faces):
        return (0, 0), (track.width, track.height)
    low, high = np.nanmin(faces.reshape(-1, 2), axis=0), np.nanmax(faces.reshape(-1, 2), axis=0)
    centre, half = (low + high) / 2, 0.625 * float((high - low).max())
    return (centre[0] - half, centre[1] - half), (centre[0] + half, centre[1] + half)
