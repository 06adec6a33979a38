"""The layouts landmarkset can build: its own, and those installed packages declare under the entry-point
group ``landmarkset.layouts`` (a name -> a Layout class, as backends and models are plugged in)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

__all__ = ["LAYOUTS", "LayoutInfo", "list_layouts"]

ENTRY_POINTS = "landmarkset.layouts"


@dataclass(frozen=True)
class LayoutInfo:
    """A layout by name: what it reads and the command that builds it."""

    name: str
    reads: str
    command: str
    source: str = "landmarkset"  # or the distribution that provides it


LAYOUTS = {
    "ckplus": LayoutInfo("ckplus", "CK+ as distributed: cohn-kanade-images, Emotion, Landmarks", "build ckplus"),
    "samm": LayoutInfo("samm", "SAMM and SAMM Long Videos with their .xlsx sheet", "build samm"),
    "casme2": LayoutInfo("casme2", "CASME II: CASME2_RAW_selected (or Cropped) and its coding sheet", "build casme2"),
    "manifest": LayoutInfo(
        "manifest", "any labelled clips (videos or frame folders) listed in a CSV or .xlsx", "build manifest"
    ),
}


def list_layouts() -> list[LayoutInfo]:
    """landmarkset's layouts, then those of installed packages (built from Python with build_dataset)."""
    found = list(LAYOUTS.values())
    for entry in metadata.entry_points(group=ENTRY_POINTS):
        if entry.name not in LAYOUTS:
            distribution = entry.dist.name if entry.dist is not None else "a plug-in"
            found.append(LayoutInfo(entry.name, f"{entry.value} (from {distribution})",
                                    "Python: build_dataset(layout, output)", distribution))  # fmt: skip
    return found
