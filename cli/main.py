"""The ``landmarkset`` command: click commands that turn library errors into one clear line."""

from __future__ import annotations

import sys
import warnings
from typing import Any, ClassVar

import click

from landmarkset import __version__
from landmarkset.errors import LandmarksetError


def _os_error(error: OSError) -> str:
    """An operating-system error (missing folder, no permission, disk full...) as one line with its file."""
    where = next((name for name in (error.filename, error.filename2) if name), None)
    reason = error.strerror or str(error)
    return f"{where}: {reason}" if where else reason


class _Group(click.Group):
    """Print a LandmarksetError or an OS error as one line (exit 2), any bug as one line (exit 1), a warning
    as one line;
    --debug shows tracebacks."""

    lazy: ClassVar[dict[str, Any]] = {}  # name -> a function making the command, when it is asked for

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> Any:
        if name not in self.commands and name in self.lazy:
            self.add_command(self.lazy[name](), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                if not ctx.params.get("debug"):
                    warnings.showwarning = _one_line_warning
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except (LandmarksetError, OSError) as error:
            if ctx.params.get("debug"):
                raise
            text = _os_error(error) if isinstance(error, OSError) else str(error)
            click.echo(f"Error: {' '.join(text.split())}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted: completed sequences are saved; run the same command again to resume.", err=True)
            sys.exit(130)
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            click.echo(
                f"Error: unexpected {type(error).__name__}: {' '.join(str(error).split())} "
                "(this is a bug in landmarkset: please report it with the output of --debug)",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="landmarkset")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Facial landmark tracks, training sets and interpretable temporal CNNs."""


def _one_line_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """A library warning as one line on stderr (Python's own adds the file, line and source of the call)."""
    click.echo(f"Warning: {' '.join(str(message).split())}", err=True)


def _register() -> None:
    from . import datasets, demo, explain, interop, prediction, synth, tracks, training

    for module in (tracks, interop, datasets, training, prediction, explain, synth, demo):
        for command in module.COMMANDS:
            main.add_command(command)
        main.lazy.update(getattr(module, "LAZY_COMMANDS", {}))


_register()


if __name__ == "__main__":  # pragma: no cover
    main()
