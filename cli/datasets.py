"""Commands that build training sets: `build NAME` for every layout, made from its declaration (landmarkset's
and installed packages' alike), `build-ckplus` and `build-samm` (the same commands under the design card's
names), `layouts` and `merge`. They parse; landmarkset.datasets.build does the work."""

from __future__ import annotations

import sys
from typing import Any

import click

from .options import CountOrAuto, lazy, library_option

_build_dataset = lazy("landmarkset.datasets:build_dataset")
_ALIASES = {"kind": ("--type",)}  # a layout option's second name on the command line
_SHARED = [
    click.option("-o", "--output", required=True, type=click.Path(), help="File to write (tracks + /dataset)."),
    library_option("-b", "--backend", type=str, source=_build_dataset, help="Backend extracting landmarks."),
    click.option("-O", "--option", "options", multiple=True, metavar="KEY=VALUE", help="Backend option, repeatable."),
    library_option("--frames", type=click.IntRange(min=2), source=_build_dataset, help="Frames per sample."),
    library_option("--min-frames", type=click.IntRange(min=1), source=_build_dataset,
                   help="Shorter sequences (intervals) are dropped."),
    library_option("--span", type=click.Choice(["onset-offset", "onset-apex"]), source=_build_dataset,
                   help="Which frames of each interval make a sample."),
    click.option("--apex", is_flag=True, help="Frames from onset to apex (the paper's SAMM): --span onset-apex."),
    click.option("--per-class", "--per-emotion", "per_class", type=click.IntRange(min=1),
                 help="Keep N random samples per class."),
    library_option("--seed", type=int, source=_build_dataset, help="Seed for every random choice."),
    click.option("--person", default=None, metavar="largest|longest|NAME",
                 help="Clips with several people: extract every face and label this one (recorded in the settings)."),
    click.option("--crops", is_flag=True, help="Also store aligned grayscale face crops per sample frame (train-scn)."),
    library_option("--crop-size", type=click.IntRange(min=8), source=_build_dataset,
                   help="Crop side in pixels (224: the paper's)."),
    library_option("-w", "--workers", type=click.IntRange(min=1), source=_build_dataset),
    click.option("--overwrite", is_flag=True, help="Start a new file instead of reusing the existing one's tracks."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bars."),
    click.option("-L", "--layout-option", "layout_options", multiple=True, metavar="KEY=VALUE",
                 help="A layout option as text, repeatable (the options below, or a plug-in's)."),
]  # fmt: skip


def _layout_option(key: str, option: Any) -> Any:
    """A declared layout option as a typed click option."""
    names = ["--" + key.replace("_", "-"), *_ALIASES.get(key, ())]
    if option.kind is bool:
        return click.option(*names, key, is_flag=True, default=option.default, help=option.doc)
    if option.choices:
        kind = click.Choice([str(choice) for choice in option.choices])
    else:
        ranges = {int: click.IntRange, float: click.FloatRange}
        kind = ranges[option.kind](option.low, option.high) if option.kind in ranges else click.STRING
    return click.option(*names, key, type=kind, default=option.default, show_default=True, help=option.doc)


def _declared_options(declared: Any) -> list[Any]:
    """The options a layout's declaration adds: its sheet, neutral default, provided landmarks, whole videos."""
    found = []
    if declared.sheet_keyword:
        found.append(click.option("--" + declared.sheet_keyword.replace("_", "-"), declared.sheet_keyword,
                                  required=True, type=click.Path(exists=True, dir_okay=False),
                                  help=declared.sheet_help[:1].upper() + declared.sheet_help[1:] + "."))  # fmt: skip
    found += [click.option("--neutral", type=CountOrAuto(), default=declared.neutral, show_default=True,
                          help="Synthetic neutral samples from random samples' first frame ('auto': as many as an "
                          "average class).")]  # fmt: skip
    if declared.provides_landmarks:
        found.append(library_option("--landmarks", type=click.Choice(["extracted", "provided"]), source=_build_dataset,
                                    help="provided: the dataset's own landmark files."))  # fmt: skip
    if declared.long_videos:
        found.append(click.option("--whole-videos", is_flag=True, help="Store every frame of each video the sheet "
                                  "names (for spot / train-spotter --layout), no samples."))  # fmt: skip
    return found


def build_command(name: str, command_name: str = "") -> click.Command:
    """`build NAME ROOT -o OUT ...` for the layout ``name``, from its declaration (named ``command_name``)."""
    from landmarkset.datasets import declaration

    declared = declaration(name)

    def run(quiet: bool, options: tuple[str, ...], layout_options: tuple[str, ...], **arguments: Any) -> None:
        from landmarkset.datasets import build
        from landmarkset.extractors import parse_option_pairs

        context = click.get_current_context()  # a layout option left at its default yields to -L KEY=VALUE
        for key in declared.options:
            if context.get_parameter_source(key) == click.core.ParameterSource.DEFAULT:
                arguments.pop(key)
        report = build(name, layout_options=parse_option_pairs(layout_options), options=parse_option_pairs(options),
                       progress=False if quiet else None, **arguments)  # fmt: skip
        click.echo(report.summary())
        sys.exit(0 if report.ok else 1)

    params = [click.argument("root", type=click.Path(exists=True, file_okay=False)), *_SHARED]
    params += _declared_options(declared)
    params += [_layout_option(key, option) for key, option in declared.options.items()]
    for param in reversed(params):
        run = param(run)
    origin = "" if declared.source == "landmarkset" else f", from {declared.source}"
    summary = f"Build the {name} layout ({declared.reads}{origin}) under ROOT into OUTPUT."
    return click.command(command_name or name, help=summary)(run)


class _LayoutGroup(click.Group):
    """A `build NAME` command per declared layout, made when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from landmarkset.datasets.registry import layout_names

        return layout_names()

    def get_command(self, ctx: click.Context, name: str) -> Any:
        return build_command(name) if name in self.list_commands(ctx) else None


@click.group("build", cls=_LayoutGroup)
def build_group() -> None:
    """Build a training set from a dataset LAYOUT (`landmarkset layouts` lists them, with installed packages')."""


@click.command("merge")
@click.argument("parts", nargs=-1, required=True, metavar="NAME=DATASET...")
@click.option("-o", "--output", required=True, type=click.Path(), help="File to write (tracks + /dataset).")
@library_option(
    "--classes",
    "mapping",
    source=lazy("landmarkset.datasets:merge_datasets"),
    help="'megc2019' (positive, negative, surprise; others out) or 'keep' (the parts' labels).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing OUTPUT.")
def merge_command(parts: tuple[str, ...], output: str, mapping: str, overwrite: bool) -> None:
    """Merge built datasets into one composite, subjects kept apart per dataset (the MEGC 2019 protocol:
    train it with --protocol loso; UF1 and UAR are reported per dataset and pooled)."""
    from landmarkset.datasets.composite import merge_datasets, parse_parts

    click.echo(merge_datasets(parse_parts(list(parts)), output, mapping=mapping, overwrite=overwrite).summary())


@click.command("layouts")
def layouts_command() -> None:
    """List the dataset layouts landmarkset can build, its own and those of installed packages."""
    from landmarkset.datasets import list_layouts

    for layout in list_layouts():
        click.echo(f"{layout.name:<14} {layout.command:<22} {layout.reads}")


COMMANDS = (build_group, layouts_command, merge_command)
LAZY_COMMANDS = {alias: lambda alias=alias: build_command(alias[len("build-"):], alias)
                 for alias in ("build-ckplus", "build-samm")}  # fmt: skip
