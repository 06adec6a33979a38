"""Commands that build training sets: build-ckplus and build-samm (registered on the main group).

Both share their options and one build path (landmarkset.datasets.build_dataset).
"""

from __future__ import annotations

import sys
from typing import Any

import click


def _build_options(command):
    """Options shared by build-ckplus and build-samm."""
    options = [
        click.option("-o", "--output", required=True, type=click.Path(), help="File to write (tracks + /dataset)."),
        click.option("-b", "--backend", default="mediapipe", show_default=True, help="Backend extracting landmarks."),
        click.option(
            "-O", "--option", "options", multiple=True, metavar="KEY=VALUE", help="Backend option, repeatable."
        ),
        click.option("--frames", default=20, show_default=True, type=click.IntRange(min=2), help="Frames per sample."),
        click.option(
            "--min-frames",
            default=10,
            show_default=True,
            type=click.IntRange(min=1),
            help="Shorter sequences (SAMM: intervals) are dropped.",
        ),
        click.option("--seed", default=0, show_default=True, type=int, help="Seed for every random choice."),
        click.option(
            "--crops", is_flag=True, help="Also store aligned grayscale face crops per sample frame (for train-scn)."
        ),
        click.option(
            "--crop-size",
            default=112,
            show_default=True,
            type=click.IntRange(min=8),
            help="Crop side in pixels (224: the paper's).",
        ),
        click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(min=1)),
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
@click.option(
    "--landmarks",
    type=click.Choice(["extracted", "provided"]),
    default="extracted",
    show_default=True,
    help="provided: use CK+'s own Landmarks files instead of a backend.",
)
@click.option("--keep-contempt", is_flag=True, help="Keep the contempt class (dropped by default, as in the paper).")
@click.option(
    "--neutral",
    default=50,
    show_default=True,
    type=click.IntRange(min=0),
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
@click.option("--type", "kind", type=click.Choice(["all", "macro", "micro"]), default="all", show_default=True)
@click.option("--apex", is_flag=True, help="Frames from onset to apex (the paper); default onset to offset.")
@click.option("--per-emotion", default=None, type=click.IntRange(min=1), help="Keep N random samples per emotion.")
@click.option(
    "--neutral",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Synthetic neutral samples from random samples' first frame.",
)
@click.option(
    "--labels",
    default="estimated",
    show_default=True,
    help="'estimated' (Estimated Emotion column), 'aus' (EMFACS prototypes) or a mapping file "
    "(JSON {filename: emotion} or CSV filename,emotion).",
)
@click.option("--keep-other", is_flag=True, help="Keep samples whose emotion is 'Other'.")
@click.option(
    "--on-defect",
    type=click.Choice(["repair", "drop"]),
    default="repair",
    show_default=True,
    help="Policy for the known annotation defects (see docs/datasets.md).",
)
def build_samm_command(quiet: bool, options: tuple[str, ...], **arguments: Any) -> None:
    """Build a SAMM (micro-expression or long-video release) training set into OUTPUT."""
    from landmarkset.datasets import build_samm

    _run_build(build_samm, quiet, options, **arguments)


COMMANDS = (build_ckplus_command, build_samm_command)
