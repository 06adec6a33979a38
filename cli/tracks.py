"""Commands on track stores: extract, info, overlay, backends."""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from .options import lazy, library_option, smoothing_from_options, with_figure_options, with_smoothing

_extract = lazy("landmarkset.extraction:extract")


_plot_overlay = lazy("landmarkset.plotting:plot_overlay")


def _backend_choice_help() -> str:
    return "Landmark backend (see `landmarkset backends`)."


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(), help="Track store to write (HDF5).")
@library_option("-b", "--backend", source=_extract, help=_backend_choice_help())
@click.option(
    "-O",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Backend option, repeatable (e.g. -O upsample=0). See docs/backends.md.",
)
@click.option("--device", default=None, help="Torch device for backends that have one: cpu, cuda, cuda:N, mps.")
@click.option(
    "--weights-dir", default=None, type=click.Path(file_okay=False), help="Folder searched first for model weights."
)
@library_option(
    "-w",
    "--workers",
    source=_extract,
    type=click.IntRange(min=1),
    help="Files extracted in parallel processes (with --cluster local: Dask workers).",
)
@click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT", help="Run on an existing Dask distributed cluster."
)
@click.option(
    "--cluster",
    type=click.Choice(["local"]),
    default=None,
    help="local: start a Dask LocalCluster of --workers processes for the run.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Start a new store instead of resuming the existing one (replaced at the first write).",
)
@click.option(
    "--fps",
    default=None,
    type=click.FloatRange(min=0, min_open=True),
    help="Frame rate of frame folders, which have none of their own (SAMM and CASME II 200, CAS(ME)^2 30, "
    "SMIC-HS 100): recorded with the tracks, for windows and lags in seconds. Videos keep their own.",
)
@library_option(
    "--faces",
    source=_extract,
    metavar="1|all|N",
    help="Faces kept per frame: 1 (the followed face), all, or at most N individuals (those seen longest), each "
    "followed as one person across the video (docs/individuals.md). dlib, face-alignment and mediapipe.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def extract(
    inputs: tuple[str, ...],
    output: str,
    backend: str,
    options: tuple[str, ...],
    device: Optional[str],
    weights_dir: Optional[str],
    workers: int,
    scheduler: Optional[str],
    cluster: Optional[str],
    overwrite: bool,
    fps: Optional[float],
    faces: str,
    quiet: bool,
) -> None:
    """Extract 68-point landmark tracks from videos, image folders, images or globs into OUTPUT.

    Folders are searched: each video is a sequence, and each folder of images (with no video in it) is
    one. Sequences already in OUTPUT, made by the same backend from the same files, are kept, so
    re-running an interrupted command resumes it; one made otherwise stops the run before it writes.
    """
    from landmarkset.extraction import extract as run_extract
    from landmarkset.extractors import parse_option_pairs

    if scheduler and cluster:
        raise click.UsageError("--scheduler and --cluster are alternatives: give one")
    backend_options: dict[str, Any] = parse_option_pairs(options)
    # Shortcuts for common backend options; a backend without them rejects them by name.
    if device is not None:
        backend_options["device"] = device
    if weights_dir is not None:
        backend_options["weights_dir"] = weights_dir
    report = run_extract(
        list(inputs),
        output,
        backend=backend,
        options=backend_options,
        workers=workers,
        progress=False if quiet else None,
        overwrite=overwrite,
        scheduler=scheduler or cluster,
        fps=fps,
        faces=faces,
    )
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@click.command("info")
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("-s", "--sequences", "show_sequences", is_flag=True, help="One line per sequence.")
def info(store: str, show_sequences: bool) -> None:
    """Summarise a track store: format, backends, sequences, frames and face rate."""
    from landmarkset.io import open_tracks

    with open_tracks(store) as tracks:
        click.echo(tracks.summary(per_sequence=show_sequences))


@click.command("backends")
def backends() -> None:
    """List the installed landmark backends and whether each can run here."""
    from landmarkset.extractors import describe_extractors

    for row in describe_extractors():
        status = "ok" if row["available"] else f"unavailable: {row['problem']}"
        click.echo(f"{row['name']:<16} {status}" + (f" ({row['note']})" if row.get("note") else ""))


@click.command("overlay")
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("sequence", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="PNG to write [default: SEQUENCE.png].")
@library_option("-n", "--frames", "n_frames", source=_plot_overlay, type=click.IntRange(min=1),
              help="How many frames, evenly spaced.")  # fmt: skip
@click.option("--at", "at", default=None, metavar="LIST",
              help="These frames instead (positions in the track, from 0): e.g. 0,10,40-45.")  # fmt: skip
@click.option("--crop", is_flag=True, help="Zoom to the face.")
@with_smoothing
@with_figure_options
def overlay(
    store: str,
    sequence: Optional[str],
    output: Optional[str],
    n_frames: int,
    at: Optional[str],
    crop: bool,
    smooth: Optional[str],
    smooth_params: tuple[str, ...],
) -> None:
    """Draw a sequence's landmarks on its frames (PNG; PDF or SVG by -o's extension). Defaults to the first
    sequence."""
    from landmarkset.io import open_tracks
    from landmarkset.plotting import plot_overlay

    with open_tracks(store, smoothing=smoothing_from_options(smooth, smooth_params)) as tracks:
        if sequence is None:
            if not len(tracks):
                raise click.ClickException(f"{store} holds no sequences")
            sequence = tracks.ids()[0]
        if sequence not in tracks:
            raise click.ClickException(f"{store} has no sequence {sequence!r}; see `landmarkset info -s {store}`")
        track = tracks.sequence(sequence)  # several faces: every individual, each in its colour
    path = plot_overlay(track, output or f"{sequence}.png", n_frames=n_frames, indices=_positions(at), crop=crop)
    click.echo(f"wrote {path}")


def _positions(text: Optional[str]) -> Optional[list[int]]:
    """'0,10,40-45' -> [0, 10, 40, 41, ..., 45]."""
    if text is None:
        return None
    positions: list[int] = []
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        first, _, last = part.partition("-")
        if not (first.isdigit() and (not last or last.isdigit())) or (last and int(last) < int(first)):
            raise click.BadParameter(f"{part!r} is not a frame or a range like 40-45", param_hint="--at")
        positions += list(range(int(first), int(last or first) + 1))
    if not positions:
        raise click.BadParameter("no frame given", param_hint="--at")
    return sorted(set(positions))


COMMANDS = (extract, info, overlay, backends)
