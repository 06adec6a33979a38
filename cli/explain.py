"""The explain command (registered on the main group). Method names come from the library."""

from __future__ import annotations

from typing import Optional

import click

from .options import (
    LibraryChoice,
    check_device,
    lazy,
    library_option,
    method_names,
    overwrite_folder,
    with_figure_options,
)

_explain_dataset = lazy("landmarkset.models.explain:explain_dataset")


_post_processing = lazy("landmarkset.models.explain:PostProcessing")


@click.command("explain")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--samples", "ids", multiple=True, metavar="ID", help="Explain these samples (repeatable).")
@library_option("--per-class", type=click.IntRange(min=1), source=_explain_dataset, help="Else K random per class.")
@library_option(
    "--method",
    type=LibraryChoice(method_names),
    source=_explain_dataset,
    help="Attribution method of the maps and figures (the default was chosen by measurement).",
)
@click.option(
    "--compare",
    multiple=True,
    type=LibraryChoice(lambda: [*method_names(), "all"]),
    help="Also measure this method on the same samples for the report's method table (repeatable; 'all').",
)
@library_option("--scale", type=float, source=_post_processing, help="Post-processing: scale maps to [0, S].")
@click.option("--no-difference", is_flag=True, help="Post-processing: skip successive-frame differences.")
@library_option(
    "--threshold", type=float, source=_post_processing, help="Post-processing: |value| <= T set to 0 (0: off)."
)
@click.option(
    "--quantile",
    type=click.FloatRange(0, 1, max_open=True),
    help="Post-processing: keep each map's differences above this quantile instead of --threshold (e.g. 0.9).",
)
@click.option("--truth", type=click.Path(exists=True, dir_okay=False), help="Synth truth file (default: found).")
@library_option("--seed", type=int, source=_explain_dataset)
@library_option("--device", type=str, source=_explain_dataset)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@overwrite_folder
@with_figure_options
def explain_command(
    model: str,
    data: str,
    out_dir: str,
    ids: tuple[str, ...],
    per_class: int,
    method: str,
    compare: tuple[str, ...],
    scale: float,
    no_difference: bool,
    threshold: float,
    quantile: Optional[float],
    truth: Optional[str],
    seed: int,
    device: str,
    quiet: bool,
    overwrite: bool,
) -> None:
    """Explain MODEL (any model.pt) on samples of DATA: maps, figures, AU tables, faithfulness, report."""
    from landmarkset.models.explain import PostProcessing, explain_dataset

    compared = tuple(method_names()) if "all" in compare else compare
    post = PostProcessing(scale=scale, difference=not no_difference, threshold=threshold or None, quantile=quantile)
    report = explain_dataset(
        model, data, out_dir, ids=list(ids) or None, per_class=per_class, method=method, compare=compared,
        post=post, truth=truth, device=check_device(device), seed=seed, progress=False if quiet else None,
        overwrite=overwrite,
    )  # fmt: skip
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(report.summary())


COMMANDS = (explain_command,)
