"""`landmarkset predict` (a trained model over whole tracks) and `landmarkset spot` (expression intervals in
long videos), registered on the main group."""

from __future__ import annotations

import os
import sys
from typing import Optional

import click

from .options import (
    LazyHelpOption,
    LibraryChoice,
    check_device,
    lazy,
    library_option,
    overwrite_folder,
    with_figure_options,
)

_predict_tracks = lazy("landmarkset.models.prediction:predict_tracks")


@click.command("predict")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.argument("tracks", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option(
    "--window",
    default=None,
    help="Frames per window (20), or seconds (0.7s). [default: the source frames a training sample spanned]",
)
@click.option("--stride", default=None, help="Frames (5) or seconds (0.2s) between windows. [default: window / 4]")
@click.option("-s", "--sequence", "sequences", multiple=True, help="Only these sequences (repeatable).")
@library_option("--device", type=str, source=_predict_tracks, help="cpu, cuda, cuda:N or mps.")
@click.option("--no-timelines", is_flag=True, help="Skip the timeline PNGs.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@overwrite_folder
@with_figure_options
def predict_command(
    model: str,
    tracks: str,
    out_dir: str,
    window: Optional[str],
    stride: Optional[str],
    sequences: tuple[str, ...],
    device: str,
    no_timelines: bool,
    quiet: bool,
    overwrite: bool,
) -> None:
    """Slide MODEL (model.pt) over every track of TRACKS: per-window and per-frame probabilities of every class,
    a timeline PNG per sequence and the longest stretch of each class. Frames without a face are never guessed."""
    from landmarkset.models.prediction import predict_tracks

    from landmarkset.intervals import parse_span

    report = predict_tracks(
        model,
        tracks,
        out_dir,
        window=parse_span(window) if window else None,
        stride=parse_span(stride) if stride else None,
        sequences=list(sequences) or None,
        device=check_device(device),
        timelines=not no_timelines,
        progress=False if quiet else None,
        overwrite=overwrite,
    )
    click.echo(report.summary())
    click.echo(f"  {os.path.join(out_dir, 'timelines')}/")
    sys.exit(report.exit_code)


_spot_tracks = lazy("landmarkset.models.spotting:spot_tracks")


def _long_video_layouts() -> list[str]:
    from landmarkset.datasets.registry import long_video_layouts

    return long_video_layouts()


def _windows(micro: Optional[str], macro: Optional[str]) -> dict:
    from landmarkset.intervals import parse_span

    return {kind: parse_span(text) for kind, text in (("micro", micro), ("macro", macro)) if text}


def _window_help(kind: str) -> str:
    from landmarkset.models.spotting.driver import DEFAULT_WINDOWS

    example = DEFAULT_WINDOWS[kind]
    return f"{kind.capitalize()} window k: frames (e.g. 40) or seconds (e.g. {example.value:g}s). [default: {example}]"


_LAYOUT_HELP = "The layout whose sheet --annotations is (it names the videos, subjects and intervals)."


@click.command("spot")
@click.argument("tracks", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--micro", default=None, cls=LazyHelpOption, help_text=lambda: _window_help("micro"))
@click.option("--macro", default=None, cls=LazyHelpOption, help_text=lambda: _window_help("macro"))
@library_option(
    "-p",
    "p",
    type=click.FloatRange(0, 1),
    source=_spot_tracks,
    help="Threshold: mean + p (max - mean) of each smoothed score curve.",
)
@click.option("--keep-eyes", is_flag=True, help="Count the eye regions too (by default masked: blinks).")
@click.option(
    "--annotations",
    type=click.Path(exists=True, dir_okay=False),
    help="The videos' long-video sheet (read by --layout): score the proposals the MEGC way.",
)
@library_option("--layout", type=LibraryChoice(_long_video_layouts), source=_spot_tracks, help=_LAYOUT_HELP)
@click.option("-s", "--sequence", "sequences", multiple=True, help="Only these sequences (repeatable).")
@click.option("--spotter", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A trained spotter (NAME.spotter of train-spotter) instead of the training-free one.")  # fmt: skip
@click.option("--recogniser", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A recognition model (model.pt) over landmarks: each interval's class in intervals.csv; "
                   "with --annotations, spot-then-recognise scored (STRS).")  # fmt: skip
@click.option(
    "--person",
    default=None,
    metavar="largest|longest|NAME",
    help="Videos of several faces: spot only this person (needed with --annotations); default: each.",
)
@click.option("--no-curves", is_flag=True, help="Skip the score-curve PNGs.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@overwrite_folder
@with_figure_options
def spot_command(
    tracks: str,
    out_dir: str,
    micro: Optional[str],
    macro: Optional[str],
    p: float,
    keep_eyes: bool,
    annotations: Optional[str],
    layout: str,
    sequences: tuple[str, ...],
    no_curves: bool,
    spotter: Optional[str],
    recogniser: Optional[str],
    person: Optional[str],
    quiet: bool,
    overwrite: bool,
) -> None:
    """Spot micro- and macro-expressions in every track of TRACKS (whole videos): intervals.csv, a score-curve
    PNG per video and report.json; with --annotations, MEGC precision, recall and F1. Exit code 1 when some
    video or sheet row failed (each named), 2 when no video could be spotted."""
    from landmarkset.models.spotting import spot_tracks

    report = spot_tracks(
        tracks,
        out_dir,
        windows=_windows(micro, macro),
        p=p,
        masked=() if keep_eyes else None,
        annotations=annotations,
        layout=layout,
        sequences=list(sequences) or None,
        curves=not no_curves,
        spotter=spotter,
        recogniser=recogniser,
        person=person,
        progress=False if quiet else None,
        overwrite=overwrite,
    )
    click.echo(report.summary())
    sys.exit(report.exit_code)


def _spotter_names() -> str:
    from landmarkset.models.spotting import DEFAULT_SPOTTERS, list_spotters

    return (
        f"{', '.join(list_spotters())}, or model:NAME (a registered model over landmark windows, e.g. model:tcn); "
        f"repeatable [default: {', '.join(DEFAULT_SPOTTERS)}]."
    )


_train_spotters = lazy("landmarkset.models.spotting:train_spotters")


@click.command("train-spotter")
@click.argument("tracks", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--annotations",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The long-video sheet of the videos in TRACKS (read by --layout; track ids are its video names).",
)
@library_option("--layout", type=LibraryChoice(_long_video_layouts), source=_train_spotters, help=_LAYOUT_HELP)
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--spotter", "spotters", multiple=True, metavar="NAME", cls=LazyHelpOption, help_text=_spotter_names)
@click.option("--micro", default=None, cls=LazyHelpOption, help_text=lambda: _window_help("micro"))
@click.option("--macro", default=None, cls=LazyHelpOption, help_text=lambda: _window_help("macro"))
@library_option("--seed", type=int, source=_train_spotters)
@click.option("--recogniser", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A recognition model (model.pt): classify the spotted intervals and report STRS.")  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@overwrite_folder
def train_spotter_command(
    tracks: str,
    annotations: str,
    layout: str,
    out_dir: str,
    spotters: tuple[str, ...],
    micro: Optional[str],
    macro: Optional[str],
    seed: int,
    recogniser: Optional[str],
    quiet: bool,
    overwrite: bool,
) -> None:
    """Score spotters leave-one-subject-out on TRACKS (long videos) against their sheet: the training-free
    baseline and the trained ones (landmark motion, region flow, both), settings chosen on the training
    subjects only. Writes report.json, table.md and each trained spotter, fitted on every subject, as
    NAME.spotter for `spot --spotter`. Exit code 1 when a spotter, video or sheet row was left out (named)."""
    from landmarkset.models.spotting import DEFAULT_SPOTTERS, train_spotters

    study = train_spotters(
        tracks,
        annotations,
        out_dir,
        layout=layout,
        spotters=list(spotters) or list(DEFAULT_SPOTTERS),
        windows=_windows(micro, macro),
        seed=seed,
        recogniser=recogniser,
        progress=False if quiet else None,
        overwrite=overwrite,
    )
    click.echo(study.summary())
    sys.exit(study.exit_code)


COMMANDS = (predict_command, spot_command, train_spotter_command)
