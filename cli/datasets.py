"""Commands that build training sets (registered on the main group): `build LAYOUT` for every layout
(ckplus, samm, casme2, casme-sq, casme3,
smic, smic-e, manifest), `build-ckplus` and `build-samm` as before, `layouts`, and `merge`
(a composite of built datasets).

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
@click.option(
    "--whole-videos",
    is_flag=True,
    help="Long-video sheet: store every frame of each video it names (for spot / train-spotter), no samples.",
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


@click.command("casme-sq")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--annotations",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The code workbook (CAS(ME)^2code_final.xlsx, with its naming rule sheets).",
)
@_build_options
@click.option("--type", "kind", default="all", show_default=True, type=click.Choice(["all", "macro", "micro"]))
@click.option(
    "--frames-from",
    default="rawpic",
    show_default=True,
    type=click.Choice(["rawpic", "cropped", "selectedpic"]),
    help="Which frame tree of the release.",
)
@click.option("--apex", is_flag=True, help="Frames from onset to apex; default onset to offset.")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
@click.option(
    "--whole-videos",
    is_flag=True,
    help="Store every frame of each video the sheet names (for spot / train-spotter --layout), no samples.",
)
def build_casme_sq_command(quiet: bool, options: tuple[str, ...], apex: bool, **arguments: Any) -> None:
    """Build a CAS(ME)^2 training set (macro- and micro-expression intervals of its long videos) into OUTPUT."""
    from landmarkset.datasets import build_casme_sq

    span = {"span": "onset-apex"} if apex else {}
    _run_build(build_casme_sq, quiet, options, **span, **arguments)


@click.command("casme3")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--annotations",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The part A micro-expression sheet (cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx).",
)
@_build_options
@click.option("--apex", is_flag=True, help="Frames from onset to apex; default onset to offset.")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
def build_casme3_command(quiet: bool, options: tuple[str, ...], apex: bool, **arguments: Any) -> None:
    """Build a CAS(ME)^3 part A training set (micro-expressions, the emotions of its sheet) into OUTPUT."""
    from landmarkset.datasets import build_casme3

    _run_build(build_casme3, quiet, options, span="onset-apex" if apex else "onset-offset", **arguments)


@click.command("smic")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@_build_options
@click.option("--camera", default="HS", show_default=True, type=click.Choice(["HS", "VIS", "NIR"]),
              help="Which of SMIC's cameras (HS: 100 fps; VIS, NIR: 25 fps).")  # fmt: skip
@click.option("--apex", is_flag=True, help="Frames from the first to the middle frame; default the whole clip.")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
def build_smic_command(quiet: bool, options: tuple[str, ...], apex: bool, **arguments: Any) -> None:
    """Build a SMIC training set (micro-expressions: positive, negative, surprise) into OUTPUT."""
    from landmarkset.datasets import build_smic

    _run_build(build_smic, quiet, options, span="onset-apex" if apex else "onset-offset", **arguments)


def _plugin_build_command(name: str, entry: Any) -> click.Command:
    """`build NAME ROOT -o OUT [-L KEY=VALUE]...` for a layout an installed package declares."""

    def run(root: str, layout_options: tuple[str, ...], quiet: bool, options: tuple[str, ...], **arguments: Any):
        from landmarkset.datasets import build_dataset
        from landmarkset.datasets.registry import make_plugin_layout
        from landmarkset.extractors import parse_option_pairs

        layout = make_plugin_layout(name, root, parse_option_pairs(layout_options))
        _run_build(lambda **given: build_dataset(layout, **given), quiet, options, **arguments)

    def declared() -> str:
        from landmarkset.datasets.registry import layout_options

        try:
            spec = layout_options(entry.load())
        except Exception as error:  # a broken plug-in must not break `build --help`
            return f"(its options could not be read: {error})"
        lines = [
            f"{key}: {option.doc} ({option.describe()}, default {option.default!r})" for key, option in spec.items()
        ]
        return "Layout options (-L KEY=VALUE):\n\n" + ("\n\n".join(lines) if lines else "none")

    run = _build_options(run)
    run = click.option("-L", "--layout-option", "layout_options", multiple=True, metavar="KEY=VALUE",
                       help="An option the layout declares, repeatable (listed below).")(run)  # fmt: skip
    run = click.argument("root", type=click.Path(exists=True, file_okay=False))(run)
    help_text = f"Build the {name} layout ({entry.value}, from an installed package) under ROOT into OUTPUT."
    command = click.command(name, help=help_text, epilog=declared())(run)
    return command


class _LayoutGroup(click.Group):
    """landmarkset's layouts, then a command per layout installed packages declare."""

    def _plugins(self) -> dict[str, Any]:
        from landmarkset.datasets.registry import plugin_layouts

        return plugin_layouts()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *sorted(set(self._plugins()) - set(self.commands))]

    def get_command(self, ctx: click.Context, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = _plugin_build_command(name, self._plugins()[name])
        return command


@click.command("smic-e")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--annotations",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The interval sheet (SMIC-HS-E_annotation.xlsx).",
)
@_build_options
@click.option("--apex", is_flag=True, help="Frames from onset to the middle frame; default onset to offset.")
@library_option(
    "--neutral",
    type=click.IntRange(min=0),
    source=_build_dataset,
    help="Synthetic neutral samples from random samples' first frame.",
)
@click.option(
    "--whole-videos",
    is_flag=True,
    help="Store every frame of each video the sheet names (for spot / train-spotter --layout), no samples.",
)
def build_smic_e_command(quiet: bool, options: tuple[str, ...], apex: bool, **arguments: Any) -> None:
    """Build a SMIC-E training set (the micro-expression intervals of SMIC-HS's longer clips) into OUTPUT."""
    from landmarkset.datasets import build_smic_e

    span = {"span": "onset-apex"} if apex else {}
    _run_build(build_smic_e, quiet, options, **span, **arguments)


@click.group("build", cls=_LayoutGroup)
def build_group() -> None:
    """Build a training set from a dataset LAYOUT (`landmarkset layouts` lists them, with installed packages')."""


build_group.add_command(build_ckplus_command, "ckplus")
build_group.add_command(build_samm_command, "samm")
build_group.add_command(build_casme2_command, "casme2")
build_group.add_command(build_casme_sq_command, "casme-sq")
build_group.add_command(build_casme3_command, "casme3")
build_group.add_command(build_smic_command, "smic")
build_group.add_command(build_smic_e_command, "smic-e")
build_group.add_command(build_manifest_command, "manifest")


@click.command("merge")
@click.argument("parts", nargs=-1, required=True, metavar="NAME=DATASET...")
@click.option("-o", "--output", required=True, type=click.Path(), help="File to write (tracks + /dataset).")
@click.option(
    "--classes",
    "mapping",
    default="megc2019",
    show_default=True,
    help="Class mapping: 'megc2019' (positive, negative, surprise; others left out) or 'keep' (the parts' labels).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing OUTPUT.")
def merge_command(parts: tuple[str, ...], output: str, mapping: str, overwrite: bool) -> None:
    """Merge built datasets into one composite, subjects kept apart per dataset (the MEGC 2019 protocol:
    train it with --protocol loso; UF1 and UAR are reported per dataset and pooled)."""
    from landmarkset.datasets import merge_datasets
    from landmarkset.datasets.composite import parse_parts

    named = parse_parts(list(parts))
    click.echo(merge_datasets(named, output, mapping=mapping, overwrite=overwrite).summary())


@click.command("layouts")
def layouts_command() -> None:
    """List the dataset layouts landmarkset can build, its own and those of installed packages."""
    from landmarkset.datasets import list_layouts

    for layout in list_layouts():
        click.echo(f"{layout.name:<14} {layout.command:<22} {layout.reads}")


COMMANDS = (build_ckplus_command, build_samm_command, build_group, layouts_command, merge_command)
