"""What a dataset layout declares, in one place: its sheet, its options, its defaults and its sample-tree
generators. The one build path (:func:`landmarkset.datasets.build`), the generated `build NAME` and `synth NAME`
commands, `layouts`, spotting and the layout checks read it; built-in layouts and plug-ins declare it alike
(subclassing :class:`LayoutBase`, or with the same class attributes).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from importlib import import_module
from typing import Any, Callable, ClassVar, Optional, Union

from ..errors import InputError, OptionError
from ..extractors import Option, validate_options
from ..provenance import Provenance
from ..track import Track
from .layout import Item, Scan

__all__ = ["SUBJECTS", "Declaration", "Generator", "LayoutBase", "own_default", "resolve_options"]


class _OwnDefault:
    def __repr__(self) -> str:
        return "(the function's default)"


_OWN_DEFAULT = _OwnDefault()


def own_default(kind: type, doc: str, **limits: Any) -> Option:
    """An option whose default is its function's own keyword default (one place for each fact): resolved by
    :func:`resolve_options` against the function that takes it."""
    return Option(kind, _OWN_DEFAULT, doc, **limits)


def resolve_options(function: Callable[..., Any], options: dict[str, Option]) -> dict[str, Option]:
    """``options`` with every :func:`own_default` replaced by ``function``'s keyword default of that name (as
    text for a text option: the function parses it, e.g. nuisances)."""
    parameters = inspect.signature(function).parameters
    resolved = {}
    for name, option in options.items():
        default = parameters[name].default if option.default is _OWN_DEFAULT else option.default
        as_text = option.kind is str and default is not None
        resolved[name] = replace(option, default=str(default) if as_text else default)
    return resolved


SUBJECTS = own_default(int, "Generated subjects.", low=1)  # every generator's first option


@dataclass(frozen=True)
class Generator:
    """A sample tree of a layout (`landmarkset synth NAME`): the function that writes it (imported when used:
    rendering needs more than reading), its options besides those every generator takes (out, seed,
    identities, progress; workers where ``workers``), one line on what it writes, ``small``: options for a
    quick tree (the layout checks), and ``packaged_faces``: its default faces are all those packages ship.
    The function returns a :class:`landmarkset.synth.SynthTree`."""

    function: str  # "module:function"
    options: dict[str, Option]
    summary: str
    workers: bool = False
    small: dict[str, Any] = field(default_factory=dict)
    packaged_faces: bool = False  # every face the packages ship, not only the astronaut, when none is given

    def load(self) -> Callable[..., Any]:
        module, _, attribute = self.function.partition(":")
        return getattr(import_module(module), attribute)

    def declared(self) -> dict[str, Option]:
        """Its options, with their defaults read from the function."""
        return resolve_options(self.load(), self.options)

    def default(self, name: str) -> Any:
        """The function's default for ``name`` (the seed...)."""
        return inspect.signature(self.load()).parameters[name].default


class LayoutBase:
    """A dataset layout, declared (subclass it; a plug-in may instead declare the same attributes itself):

    - ``name``: recorded in /dataset; ``reads``: a line for `landmarkset layouts`;
    - ``sheet_keyword``: the name of its annotation sheet's argument (``annotations``, ``manifest``; None:
      no sheet), given as the second argument; ``sheet_help`` says which file of the release it is;
    - ``options``: its own settings with types, defaults and help (the constructor takes them as keywords and
      stores them as attributes, validated: a constructor stores settings, ``scan()`` reads files);
    - ``neutral``: the synthetic neutral samples a build adds by default (0, or "auto");
    - ``provides_landmarks``: it can make tracks from the dataset's own landmark files;
    - ``fps`` and ``read_intervals(sheet)``: a layout of long videos (whole-video builds record the frame
      rate, spotting reads the intervals); it is then made with ``whole_videos``;
    - ``generators``: the sample trees `landmarkset synth` writes for it, by name.
    """

    name: str = ""
    reads: str = ""
    sheet_keyword: Optional[str] = None
    sheet_help: str = ""
    options: ClassVar[dict[str, Option]] = {}
    neutral: Union[int, str] = 0
    provides_landmarks: bool = False
    classes: Optional[list[str]] = None
    fps: Optional[float] = None
    generators: ClassVar[dict[str, Generator]] = {}

    def __init__(self, root: str, sheet: Optional[str] = None, *, whole_videos: bool = False, **options: Any):
        self.root = root
        if self.sheet_keyword is not None:
            if sheet is None:
                raise OptionError(f"{type(self).__name__} reads a sheet: give {self.sheet_keyword} ({self.sheet_help})")
            setattr(self, self.sheet_keyword, sheet)
        if whole_videos and self.fps is None:
            raise OptionError(f"{type(self).__name__} holds clips, not long videos: build it without whole videos")
        self.whole_videos = whole_videos
        for key, value in validate_options(type(self).__name__, self.options, options).items():
            setattr(self, key, value)

    @property
    def sheet_path(self) -> Optional[str]:
        return getattr(self, self.sheet_keyword) if self.sheet_keyword else None

    def inputs(self) -> list[str]:
        """Files and folders the build reads (the output may not be one of them)."""
        return [self.root, *([self.sheet_path] if self.sheet_path else [])]

    def settings(self) -> dict[str, Any]:
        """The layout's own settings, recorded in ``/dataset``."""
        return {"dataset": self.name}

    def scan(self) -> Scan:
        raise NotImplementedError

    def provided_provenance(self, item: Item) -> Provenance:
        raise InputError(f"{self.name} has no landmark files of its own: extract them with a backend")

    def provided_track(self, item: Item, provenance: Provenance) -> Track:
        raise InputError(f"{self.name} has no landmark files of its own: extract them with a backend")

    def finish(self, report: Any) -> None:
        """After a build (given its report): what the layout writes besides the dataset (CK+'s label files)."""


@dataclass(frozen=True)
class Declaration:
    """A registered layout as everything else reads it: its name, class and the package it comes from."""

    name: str
    layout: type
    source: str = "landmarkset"

    def _get(self, attribute: str, default: Any) -> Any:
        return getattr(self.layout, attribute, default)

    @property
    def reads(self) -> str:
        return self._get("reads", "") or (self.layout.__doc__ or "").strip().split("\n")[0]

    @property
    def sheet_keyword(self) -> Optional[str]:
        return self._get("sheet_keyword", None)

    @property
    def sheet_help(self) -> str:
        return self._get("sheet_help", "") or "its annotation sheet"

    @property
    def options(self) -> dict[str, Option]:
        declared = self._get("options", None) or {}
        if not isinstance(declared, dict) or not all(isinstance(o, Option) for o in declared.values()):
            raise OptionError(f"{self.layout.__name__}.options must be a dict of landmarkset.extractors.Option")
        return declared

    @property
    def neutral(self) -> Union[int, str]:
        return self._get("neutral", 0)

    @property
    def provides_landmarks(self) -> bool:
        return bool(self._get("provides_landmarks", False))

    @property
    def long_videos(self) -> bool:
        """Its sheets annotate long videos: whole-video builds and spotting apply."""
        return callable(self._get("read_intervals", None))

    @property
    def generators(self) -> dict[str, Generator]:
        return dict(self._get("generators", None) or {})

    def make(self, root: str, sheet: Optional[str] = None, *, whole_videos: bool = False, **given: Any) -> Any:
        """The layout on ``root`` (and its ``sheet``) with ``given`` options, validated against the declaration."""
        if whole_videos and not self.long_videos:
            raise OptionError(f"the {self.name} layout holds clips, not long videos: build it without whole videos")
        if self.sheet_keyword is not None and sheet is None:
            flag = "--" + self.sheet_keyword.replace("_", "-")
            raise OptionError(f"the {self.name} layout reads {self.sheet_help}: give it ({flag} in the CLI)")
        options = validate_options(f"the {self.name} layout", self.options, given)
        arguments = [sheet] if self.sheet_keyword is not None else []
        extra = {"whole_videos": True} if whole_videos else {}
        return self.layout(root, *arguments, **extra, **options)
