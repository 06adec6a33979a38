"""The layouts landmarkset can build: its own, and those installed packages declare under the entry-point
group ``landmarkset.layouts`` (a name -> a Layout class, as backends and models are plugged in).

A plug-in layout class is made as ``LayoutClass(root, **options)``; it declares the options it takes in
one place, a class attribute ``options: dict[str, Option]`` (the backends' :class:`Option`), which
``landmarkset build NAME ROOT -L KEY=VALUE`` validates and ``landmarkset build NAME --help`` lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module, metadata
from typing import Any

from ..errors import OptionError
from ..extractors import Option, validate_options

__all__ = [
    "LAYOUTS",
    "LayoutInfo",
    "layout_class",
    "layout_options",
    "list_layouts",
    "long_video_layouts",
    "make_plugin_layout",
    "plugin_layouts",
    "read_intervals",
]

ENTRY_POINTS = "landmarkset.layouts"


@dataclass(frozen=True)
class LayoutInfo:
    """A layout by name: what it reads and the command that builds it."""

    name: str
    reads: str
    command: str
    source: str = "landmarkset"  # or the distribution that provides it
    target: str = ""  # "module:Class" of a built-in layout


LAYOUTS = {
    info.name: info
    for info in (
        LayoutInfo("ckplus", "CK+ as distributed: cohn-kanade-images, Emotion, Landmarks", "build ckplus",
                   target="ckplus:CkplusLayout"),
        LayoutInfo("samm", "SAMM and SAMM Long Videos with their .xlsx sheet", "build samm", target="samm:SammLayout"),
        LayoutInfo("casme2", "CASME II: CASME2_RAW_selected (or Cropped) and its coding sheet", "build casme2",
                   target="casme2:CasmeIILayout"),
        LayoutInfo("casme-sq", "CAS(ME)^2: rawpic (or cropped, selectedpic) long videos and CAS(ME)^2code_final.xlsx",
                   "build casme-sq", target="casme_sq:CasmeSquaredLayout"),
        LayoutInfo("casme3", "CAS(ME)^3 part A: data/spNO.N/<clip>/color frames and its ME label sheet",
                   "build casme3", target="casme3:CasmeIIILayout"),
        LayoutInfo("smic", "SMIC (HS, VIS or NIR): SMIC_all_cropped, the class from each clip's folder", "build smic",
                   target="smic:SmicLayout"),
        LayoutInfo("smic-e", "SMIC-E: SMIC-HS's longer clips and SMIC-HS-E_annotation.xlsx", "build smic-e",
                   target="smic_e:SmicELayout"),
        LayoutInfo("manifest", "any labelled clips (videos or frame folders) listed in a CSV or .xlsx",
                   "build manifest", target="manifest:ManifestLayout"),
    )
}  # fmt: skip


def list_layouts() -> list[LayoutInfo]:
    """landmarkset's layouts, then those of installed packages."""
    found = list(LAYOUTS.values())
    for entry in plugin_layouts().values():
        distribution = entry.dist.name if entry.dist is not None else "a plug-in"
        found.append(
            LayoutInfo(entry.name, f"{entry.value} (from {distribution})", f"build {entry.name}", distribution)
        )
    return found


def plugin_layouts() -> dict[str, metadata.EntryPoint]:
    """The layouts installed packages declare (landmarkset's own names win)."""
    return {e.name: e for e in metadata.entry_points(group=ENTRY_POINTS) if e.name not in LAYOUTS}


def layout_class(name: str) -> type:
    """The layout class named ``name``: a built-in one or an installed package's; OptionError listing the names."""
    if name in LAYOUTS:
        module, _, attribute = LAYOUTS[name].target.partition(":")
        return getattr(import_module(f"{__package__}.{module}"), attribute)
    found = plugin_layouts()
    if name not in found:
        raise OptionError(f"unknown layout {name!r}; layouts: {', '.join(info.name for info in list_layouts())}")
    return found[name].load()


def long_video_layouts() -> list[str]:
    """The layouts whose sheets annotate long videos (they declare ``read_intervals``): spotting reads them."""
    return [info.name for info in list_layouts() if callable(getattr(layout_class(info.name), "read_intervals", None))]


def read_intervals(layout: str, annotations: str) -> Any:
    """The :class:`~landmarkset.datasets.layout.SheetIntervals` of ``annotations``, read by the layout ``layout``;
    OptionError when that layout has no long videos."""
    found = layout_class(layout)
    reader = getattr(found, "read_intervals", None)
    if not callable(reader):
        raise OptionError(
            f"the {layout} layout's sheets annotate clips, not long videos; layouts of long videos: "
            f"{', '.join(long_video_layouts())}"
        )
    return reader(annotations)


def layout_options(layout_class: type) -> dict[str, Option]:
    """The options a plug-in layout class declares (none: an empty dict)."""
    declared = getattr(layout_class, "options", None) or {}
    if not isinstance(declared, dict) or not all(isinstance(o, Option) for o in declared.values()):
        raise OptionError(f"{layout_class.__name__}.options must be a dict of landmarkset.extractors.Option")
    return declared


def make_plugin_layout(name: str, root: str, given: dict[str, Any]) -> Any:
    """The plug-in layout ``name`` on ``root`` with ``given`` options, validated against its declaration."""
    found = plugin_layouts()
    if name not in found:
        raise OptionError(f"no installed layout named {name!r}: `landmarkset layouts` lists them")
    layout_class = found[name].load()
    options = validate_options(f"the {name} layout", layout_options(layout_class), given)
    return layout_class(root, **options)
