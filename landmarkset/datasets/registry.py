"""The layouts landmarkset can build: every layout an installed package declares under the entry-point group
``landmarkset.layouts`` (a name -> a layout class), landmarkset's own included: built-ins take the plug-ins'
path. A layout class declares what it needs in one place (:class:`~landmarkset.datasets.declaration.LayoutBase`:
its sheet, options, defaults and generators), which `build NAME`, `synth NAME` and `layouts` read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any

from ..errors import OptionError
from .declaration import Declaration

__all__ = [
    "ENTRY_POINTS",
    "LayoutInfo",
    "declaration",
    "layout_class",
    "layout_names",
    "list_layouts",
    "long_video_layouts",
    "read_intervals",
]

ENTRY_POINTS = "landmarkset.layouts"
OWN = "landmarkset"


@dataclass(frozen=True)
class LayoutInfo:
    """A layout by name: what it reads, the command that builds it and the package it comes from."""

    name: str
    reads: str
    command: str
    source: str = OWN


@lru_cache(maxsize=1)
def _entries() -> dict[str, metadata.EntryPoint]:
    """Every declared layout, landmarkset's own first (its names win over a plug-in's)."""
    found = metadata.entry_points(group=ENTRY_POINTS)
    ours = [e for e in found if e.dist is not None and e.dist.name == OWN]
    if not ours:
        raise OptionError(f"landmarkset's own layouts are not registered: reinstall it (pip install -e .) ({OWN})")
    others = sorted((e for e in found if e not in ours and e.name not in {o.name for o in ours}), key=lambda e: e.name)
    return {e.name: e for e in [*ours, *others]}


def layout_names() -> list[str]:
    return list(_entries())


def declaration(name: str) -> Declaration:
    """The layout named ``name`` as declared; OptionError listing the names."""
    entries = _entries()
    if name not in entries:
        raise OptionError(f"unknown layout {name!r}; layouts: {', '.join(entries)}")
    entry = entries[name]
    return Declaration(name, entry.load(), entry.dist.name if entry.dist is not None else "a plug-in")


def layout_class(name: str) -> type:
    """The layout class named ``name``."""
    return declaration(name).layout


def list_layouts() -> list[LayoutInfo]:
    """landmarkset's layouts, then those of installed packages (a plug-in that cannot load is named, not fatal)."""
    found = []
    for name, entry in _entries().items():
        source = entry.dist.name if entry.dist is not None else "a plug-in"
        try:
            layout = declaration(name)
            reads = layout.reads + (f" (from {source}; {getattr(layout.layout, 'note', '')})".replace("; )", ")")
                                    if source != OWN else "")  # fmt: skip
        except Exception as error:  # a broken plug-in must not break the listing
            reads = f"{entry.value} (from {source}; cannot be loaded: {error})"
        found.append(LayoutInfo(name, reads, f"build {name}", source))
    return found


def long_video_layouts() -> list[str]:
    """The layouts whose sheets annotate long videos (they declare ``read_intervals``): spotting reads them."""
    return [name for name in layout_names() if declaration(name).long_videos]


def read_intervals(layout: str, annotations: str) -> Any:
    """The :class:`~landmarkset.datasets.layout.SheetIntervals` of ``annotations``, read by the layout ``layout``;
    OptionError when that layout has no long videos."""
    declared = declaration(layout)
    if not declared.long_videos:
        raise OptionError(
            f"the {layout} layout's sheets annotate clips, not long videos; layouts of long videos: "
            f"{', '.join(long_video_layouts())}"
        )
    return declared.layout.read_intervals(annotations)
