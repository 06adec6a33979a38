"""The explain command (registered on the main group)."""

from __future__ import annotations

import os
from typing import Optional

import click

from .options import check_device


@click.command("explain")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--samples", "ids", multiple=True, metavar="ID", help="Explain these samples (repeatable).")
@click.option("--per-class", default=3, show_default=True, type=click.IntRange(min=1), help="Else K random per class.")
@click.option("--method", type=click.Choice(["gradcam", "gradient-input"]), default="gradcam", show_default=True)
@click.option("--scale", default=255.0, show_default=True, type=float, help="Post-processing: scale maps to [0, S].")
@click.option("--no-difference", is_flag=True, help="Post-processing: skip successive-frame differences.")
@click.option(
    "--threshold", default=75.0, show_default=True, type=float, help="Post-processing: |value| <= T set to 0 (0: off)."
)
@click.option("--truth", type=click.Path(exists=True, dir_okay=False), help="Synth truth file (default: found).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--device", default="cpu", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def explain_command(
    model: str,
    data: str,
    out_dir: str,
    ids: tuple[str, ...],
    per_class: int,
    method: str,
    scale: float,
    no_difference: bool,
    threshold: float,
    truth: Optional[str],
    seed: int,
    device: str,
    quiet: bool,
) -> None:
    """Class activation maps of MODEL (a TCN model.pt) on samples of DATA: maps, figures, AU tables, report."""
    from landmarkset.models.report import PostProcessing, explain_dataset

    post = PostProcessing(scale=scale, difference=not no_difference, threshold=threshold or None)
    summary = explain_dataset(
        model, data, out_dir, list(ids) or None, per_class, method, post, truth, check_device(device), seed,
        progress=False if quiet else None,
    )  # fmt: skip
    overall = summary["overall"]
    click.echo(
        f"{summary['samples']} samples explained ({method}); deletion AUC {overall['deletion_auc']:.3f} "
        f"(random {overall['random_deletion_auc']:.3f}), insertion AUC {overall['insertion_auc']:.3f} "
        f"(random {overall['random_insertion_auc']:.3f})"
    )
    if "precision@moved" in overall:
        click.echo(
            f"precision@moved {overall['precision@moved']:.3f} vs random {overall['random precision']:.3f} "
            "(synth truth)"
        )
    if summary["drawn_as_outlines"]:
        outlines = summary["drawn_as_outlines"]
        click.echo(f"{len(outlines)} face figure(s) drawn as outlines, without the frame (e.g. {outlines[0]})")
    click.echo(f"report: {os.path.join(out_dir, 'report.md')}")
