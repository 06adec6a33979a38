"""Checks and option groups shared by several commands."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Iterable
from typing import Any, Callable, Optional

import click


def check_device(device: str) -> str:
    """``device`` when torch can use it here; an OptionError saying what to use instead."""
    import torch

    from landmarkset.errors import OptionError

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise OptionError(f"--device {device!r} is not a torch device: use cpu, cuda, cuda:N or mps") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise OptionError(f"--device {device}: this torch has no usable CUDA GPU; use --device cpu")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise OptionError(f"--device {device}: MPS is not available here; use --device cpu")
    return device


class LibraryChoice(click.Choice):
    """A choice whose values come from the library, read when first needed: the CLI never retypes them, and
    commands that do not use them start without importing torch."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load
        self._loaded: Optional[tuple[str, ...]] = None
        self.case_sensitive = True

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded


def model_names() -> list[str]:
    from landmarkset.models import list_models

    return list_models()


def method_names() -> list[str]:
    from landmarkset.models import METHODS

    return list(METHODS)


def preprocessing_names(kind: Optional[str] = None) -> Callable[[], list[str]]:
    """The preprocessing choices of one input kind, or of all."""

    def load() -> list[str]:
        from landmarkset.models import INPUT_KINDS

        kinds = [INPUT_KINDS[kind]] if kind else list(INPUT_KINDS.values())
        return list(dict.fromkeys(name for each in kinds for name in each.preprocessing))

    return load


def frame_size(value: Optional[str]) -> Optional[tuple[int, int]]:
    if value is None:
        return None
    width, sep, height = value.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) < 1 or int(height) < 1:
        raise click.BadParameter(f"expected WIDTHxHEIGHT in pixels, e.g. 640x490; got {value!r}")
    return int(width), int(height)


def smoothing_from_options(method: Optional[str], settings: tuple[str, ...]):
    if method is None:
        if settings:
            raise click.BadParameter("--smooth-param needs --smooth METHOD")
        return None
    from landmarkset.extractors import parse_option_pairs
    from landmarkset.smoothing import Smoothing

    values = {
        key: float(value) if key not in ("window", "order") else int(value)
        for key, value in parse_option_pairs(settings).items()
    }
    try:
        return Smoothing(method=method, **values)
    except TypeError as error:
        raise click.BadParameter(f"unknown smoothing parameter ({error})") from None


def _smoothing_methods() -> tuple[str, ...]:
    from landmarkset.smoothing import METHODS

    return METHODS


SMOOTH_OPTIONS = [
    click.option(
        "--smooth",
        type=LibraryChoice(_smoothing_methods),
        default=None,
        help="Smooth landmark jitter on the way out (the store keeps raw landmarks).",
    ),
    click.option(
        "--smooth-param",
        "smooth_params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Filter setting, repeatable: min_cutoff, beta, d_cutoff (one-euro); window, order (savgol).",
    ),
]


def with_smoothing(command):
    for option in reversed(SMOOTH_OPTIONS):
        command = option(command)
    return command


def default_of(owner: Any, name: str) -> Any:
    """The library's default for ``name``: a dataclass field's default or a function's keyword default."""
    if dataclasses.is_dataclass(owner):
        field = {f.name: f for f in dataclasses.fields(owner)}[name]
        return field.default_factory() if field.default is dataclasses.MISSING else field.default
    return inspect.signature(owner).parameters[name].default


class LibraryOption(click.Option):
    """An option whose default is the library's (``default_of(source(), library_name)``), read when the
    command runs or its help is shown: the CLI never retypes a default, and a command that does not run
    does not import what the default lives in (torch, for training)."""

    def __init__(self, *args: Any, source: Callable[[], Any], library_name: Optional[str] = None, **kwargs: Any):
        kwargs.setdefault("show_default", True)
        super().__init__(*args, **kwargs)
        self.source = source
        self.library_name = library_name or self.name

    def library_default(self) -> Any:
        return default_of(self.source(), self.library_name)

    def get_default(self, ctx: click.Context, call: bool = True) -> Any:
        return self.library_default()


def lazy(target: str) -> Callable[[], Any]:
    """A loader of ``"module:attribute"`` for ``source=``: the library is imported when the default is needed."""

    def load() -> Any:
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)

    return load


def library_option(*declarations: str, source: Callable[[], Any], **kwargs: Any):
    """click.option with the default taken from ``source()`` (a dataclass or function); see LibraryOption."""
    kwargs.setdefault("cls", LibraryOption)  # or a subclass (LazyHelpLibraryOption)
    return click.option(*declarations, source=source, **kwargs)


def _figure_formats() -> tuple[str, ...]:
    from landmarkset.plotting import FORMATS

    return FORMATS


def with_figure_options(command):
    """--dpi and --format for a command that draws figures: every figure it saves follows them."""

    @click.option("--dpi", type=click.IntRange(10, 2400), default=None, cls=LazyHelpOption, help_text=_dpi_help)
    @click.option(
        "--format",
        "figure_formats",
        multiple=True,
        type=LibraryChoice(_figure_formats),
        help="Also write every figure in this format beside its PNG (pdf, svg for papers; repeatable).",
    )
    @functools.wraps(command)
    def with_format(*args: Any, dpi: Optional[int], figure_formats: tuple[str, ...], **kwargs: Any) -> Any:
        from landmarkset.plotting import figure_format

        with figure_format(dpi, figure_formats):
            return command(*args, **kwargs)

    return with_format


class LazyHelpOption(click.Option):
    """An option whose help text comes from the library when help is shown (``help_text()``), so that it names
    what is registered without the command importing the library to start."""

    def __init__(self, *args: Any, help_text: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._help_text = help_text

    def get_help_record(self, ctx: click.Context) -> Optional[tuple[str, str]]:
        self.help = self._help_text()
        return super().get_help_record(ctx)


class LazyHelpLibraryOption(LazyHelpOption, LibraryOption):
    """A library option whose help text also comes from the library (``help_text()``, read when shown)."""


def _dpi_help() -> str:
    from landmarkset.plotting import DPI

    return f"Figure resolution. [default: {DPI}]"


def overwrite_folder(command):
    """--overwrite for a command that writes a run folder (landmarkset.runfolder)."""
    return click.option(
        "--overwrite",
        is_flag=True,
        help="Replace the output folder when another command or a run of other settings made it (its files are "
        "removed first). A folder no landmarkset run made is never emptied.",
    )(command)


class CountOrAuto(click.ParamType):
    """A whole number >= 0, or "auto" (the library decides from the data)."""

    name = "N|auto"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        if value in (None, "auto") or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        self.fail(f"expected a whole number >= 0 or 'auto'; got {value!r}", param, ctx)
