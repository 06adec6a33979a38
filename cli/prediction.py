"""`landmarkset predict`: a trained model over whole tracks (registered on the main group)."""

from __future__ import annotations

import os
from typing import Optional

import click

from .options import check_device, library_option


def _predict_tracks():
    from landmarkset.models.prediction import predict_tracks

    return predict_tracks


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
) -> None:
    """Slide MODEL (model.pt) over every track of TRACKS: per-window and per-frame probabilities of every class,
    a timeline PNG per sequence and the longest stretch of each class. Frames without a face are never guessed."""
    from landmarkset.models.prediction import parse_span, predict_tracks

    report = predict_tracks(
        model, tracks, out_dir, window=parse_span(window) if window else None,
        stride=parse_span(stride) if stride else None, sequences=list(sequences) or None,
        device=check_device(device), timelines=not no_timelines, progress=False if quiet else None,
    )  # fmt: skip
    click.echo(report.summary())
    click.echo(f"  {os.path.join(out_dir, 'timelines')}/")


COMMANDS = (predict_command,)
