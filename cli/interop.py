"""Commands that move tracks in and out of landmarkset: import-openface, import-movement, export."""

from __future__ import annotations

import sys
from typing import Optional

import click

from .options import LibraryChoice, frame_size, smoothing_from_options, with_smoothing


def _export_formats() -> list[str]:
    from landmarkset.exports import EXPORT_FORMATS

    return list(EXPORT_FORMATS)


@click.command("import-openface")
@click.argument("csv_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(), help="Track store to write.")
@click.option("--size", default=None, metavar="WxH", help="Frame size in pixels, e.g. 640x490.")
@click.option(
    "--media",
    default=None,
    type=click.Path(exists=True),
    help="The video or image folder of a single CSV (default: same name beside the CSV).",
)
@click.option("--overwrite", is_flag=True, help="Start a new store instead of adding to the existing one.")
def import_openface_command(
    csv_files: tuple[str, ...], output: str, size: Optional[str], media: Optional[str], overwrite: bool
) -> None:
    """Import OpenFace 2.x FeatureExtraction CSVs into a track store.

    Rows with success 0 become frames without a face, in place; several face_ids give one sequence each.
    A CSV whose frame count or coordinates do not fit its media is refused.
    """
    from landmarkset.openface import import_openface

    report = import_openface(list(csv_files), output, size=frame_size(size), media=media, overwrite=overwrite)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@click.command("import-movement")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(), help="Track store to write.")
@click.option("--size", default=None, metavar="WxH", help="Frame size in pixels (not needed for our own exports).")
@click.option(
    "--source-software",
    default=None,
    metavar="NAME",
    help="Read pose files through movement (e.g. DeepLabCut, SLEAP) instead of NetCDF.",
)
@click.option("--fps", default=None, type=float, help="Frame rate, with --source-software.")
@click.option("--overwrite", is_flag=True, help="Start a new store instead of adding to the existing one.")
def import_movement_command(
    files: tuple[str, ...],
    output: str,
    size: Optional[str],
    source_software: Optional[str],
    fps: Optional[float],
    overwrite: bool,
) -> None:
    """Import 68-point face tracks from movement datasets (NetCDF, or DeepLabCut / SLEAP files).

    Each individual becomes a sequence; frames with some points missing become frames without a face.
    """
    from landmarkset.labelled import import_movement

    report = import_movement(
        list(files), output, size=frame_size(size), source_software=source_software, fps=fps, overwrite=overwrite
    )
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@click.command()
@click.argument("store", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="Folder (openface format) or file: .csv or .parquet (table format), .nc (netcdf format).",
)
@click.option("-f", "--format", "fmt", type=LibraryChoice(_export_formats), default=None,
              help="[default: from OUTPUT's suffix] openface, table or netcdf (`landmarkset.exports`).")  # fmt: skip
@click.option("-s", "--sequence", "sequences", multiple=True, help="Only these sequences (repeatable).")
@with_smoothing
def export(
    store: str,
    output: str,
    fmt: Optional[str],
    sequences: tuple[str, ...],
    smooth: Optional[str],
    smooth_params: tuple[str, ...],
) -> None:
    """Export tracks for OpenFace-based scripts, pandas (CSV or Parquet) or xarray / movement (NetCDF)."""
    from landmarkset.exports import export as run_export

    settings = smoothing_from_options(smooth, smooth_params)
    click.echo(run_export(store, output, format=fmt, sequences=sequences, smoothing=settings).summary())


COMMANDS = (import_openface_command, import_movement_command, export)
