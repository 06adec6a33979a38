"""Commands that build training sets (registered on the main group): `build LAYOUT` for every layout
(ckplus, samm, casme2, manifest), `build-ckplus` and `build-samm` as before, and `layouts`.

All share their options and one build path (landmarkset.datasets.build_dataset).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .options import library_option


def _build_dataset():
    from landmarkset.datasets import build_dataset

    return build_dataset


def _build_ckplus():
    from landmarkset.datasets import build_ckplus

    return build_ckplus


def _build_samm():
    from landmarkset.datasets import build_samm

    return build_samm


def _build_options(command):
    """Options shared by build-ckplus and build-samm."""
    options = [
        click.option("-o", "--output", required=True, type=click.Path(), help="File to write (tracks + /dataset)."),
        library_option("-b", "--backend", type=str, source=_build_dataset, help="Backend extracting landmarks."),
        click.option(
            "-O", "--option", "options", multiple=True, metavar="KEY=VALUE", help="Backend option, repeatable."
        ),
        library_option("--frames", type=click.IntRange(min=2), source=_build_dataset, help="Frames per sample."),
        library_option(
            "--min-frames",
            source=_build_dataset,
            type=click.IntRange(min=1),
            help="Shorter sequences (SAMM: intervals) are dropped.",
        ),
        library_option("--seed", type=int, source=_build_dataset, help="Seed for every random choice."),
        click.option(
            "--crops", is_flag=True, help="Also store aligned grayscale face crops per sample frame (for train-scn)."
        ),
        library_option(
            "--crop-size",
            source=_build_dataset,
            type=click.IntRange(min=8),
            help="Crop side in pixels (224: the paper's).",
        ),
        library_option("-w", "--workers", type=click.IntRange(min=1), source=_build_dataset),
        click.option(
            "--overwrite",
            is_flag=True,
            help="Start a new file instead of reusing the tracks of the existing one (replaced at the first write).",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bars."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _run_build(build, quiet: bool, options: tuple[str, ...], **arguments: Any) -> None:
    from landmarkset.extractors import parse_option_pairs

    report = build(options=parse_option_pairs(options), progress=False if quiet else None, **arguments)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@click.command("build-ckplus")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@_build_options
@library_option(
    "--landmarks",
    type=click.Choice(["extracted", "provided"]),
    source=_build_dataset,
    help="provided: use CK+'s own Landmarks files instead of a backend.",
)
@click.option("--keep-contempt", is_flag=True, help="Keep the contempt class (dropped by default, as in the paper).")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_ckplus,
    help="Synthetic neutral samples: random sequences' first frame repeated.",
)
@click.option(
    "--labels-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write CK+-style label files for every sample here.",
)
def build_ckplus_command(quiet: bool, options: tuple[str, ...], **arguments: Any) -> None:
    """Build the paper's CK+ training set from a CK+ folder (as distributed) into OUTPUT."""
    from landmarkset.datasets import build_ckplus

    _run_build(build_ckplus, quiet, options, **arguments)


@click.command("build-samm")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--annotations",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The release's .xlsx sheet (SAMM_Micro_FACS_Codes_v2.xlsx or SAMM_LongVideos_V1_Release.xlsx).",
)
@_build_options
@library_option("--type", "kind", type=click.Choice(["all", "macro", "micro"]), source=_build_samm)
@click.option("--apex", is_flag=True, help="Frames from onset to apex (the paper); default onset to offset.")
@click.option("--per-emotion", default=None, type=click.IntRange(min=1), help="Keep N random samples per emotion.")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
@library_option(
    "--labels",
    type=str,
    source=_build_samm,
    help="'estimated' (Estimated Emotion column), 'aus' (EMFACS prototypes) or a mapping file "
    "(JSON {filename: emotion} or CSV filename,emotion).",
)
@click.option("--keep-other", is_flag=True, help="Keep samples whose emotion is 'Other'.")
@library_option(
    "--on-defect",
    type=click.Choice(["repair", "drop"]),
    source=_build_samm,
    help="Policy for the known annotation defects (see docs/datasets.md).",
)
def build_samm_command(quiet: bool, options: tuple[str, ...], **arguments: Any) -> None:
    """Build a SAMM (micro-expression or long-video release) training set into OUTPUT."""
    from landmarkset.datasets import build_samm

    _run_build(build_samm, quiet, options, **arguments)


@click.command("manifest")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--manifest",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CSV or .xlsx: clip (relative to ROOT: a video or a folder of frames), label, subject, "
    "and optionally onset, apex, offset (1-based frames).",
)
@_build_options
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
def build_manifest_command(quiet: bool, options: tuple[str, ...], **arguments: Any) -> None:
    """Build the labelled clips a manifest lists under ROOT (anyone's data) into OUTPUT."""
    from landmarkset.datasets import build_manifest

    _run_build(build_manifest, quiet, options, **arguments)


@click.command("casme2")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--annotations",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The coding sheet (CASME2-coding-20140508.xlsx or a later version).",
)
@_build_options
@click.option("--cropped", is_flag=True, help="Frames from Cropped/ (reg_imgN.jpg) instead of CASME2_RAW_selected/.")
@click.option("--apex", is_flag=True, help="Frames from onset to apex; default onset to offset.")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
def build_casme2_command(quiet: bool, options: tuple[str, ...], apex: bool, **arguments: Any) -> None:
    """Build a CASME II training set (micro-expressions, the emotions of its coding sheet) into OUTPUT."""
    from landmarkset.datasets import build_casme2

    _run_build(build_casme2, quiet, options, span="onset-apex" if apex else "onset-offset", **arguments)


@click.group("build")
def build_group() -> None:
    """Build a training set from a dataset LAYOUT (`landmarkset layouts` lists them)."""


build_group.add_command(build_ckplus_command, "ckplus")
build_group.add_command(build_samm_command, "samm")
build_group.add_command(build_casme2_command, "casme2")
build_group.add_command(build_manifest_command, "manifest")


@click.command("layouts")
def layouts_command() -> None:
    """List the dataset layouts landmarkset can build, its own and those of installed packages."""
    from landmarkset.datasets import list_layouts

    for layout in list_layouts():
        click.echo(f"{layout.name:<10} {layout.command:<40} {layout.reads}")


COMMANDS = (build_ckplus_command, build_samm_command, build_group, layouts_command)
