"""Backend registry fed by the ``landmarkset.extractors`` entry-point group.

Built-in backends register through the same group as third-party plug-ins (see docs/plugins.md),
so there is exactly one way in.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any, Callable

from ..errors import LandmarksetError, MissingDependencyError, OptionError
from ._base import Extractor

ENTRY_POINT_GROUP = "landmarkset.extractors"


def _entry_points() -> dict[str, metadata.EntryPoint]:
    if sys.version_info >= (3, 10):
        found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    else:  # pragma: no cover - Python 3.9
        found = metadata.entry_points().get(ENTRY_POINT_GROUP, [])
    by_name: dict[str, metadata.EntryPoint] = {}
    for entry in found:
        earlier = by_name.get(entry.name)
        if earlier is not None and earlier.value != entry.value:
            raise LandmarksetError(
                f"Two installed packages register the landmark backend {entry.name!r} "
                f"({earlier.value} and {entry.value}); uninstall one of them."
            )
        by_name[entry.name] = entry
    return by_name


def list_extractors() -> list[str]:
    """Names of every installed backend, built-in or plug-in, sorted."""
    return sorted(_entry_points())


def get_extractor_class(name: str) -> Callable[..., Extractor]:
    """The factory (usually a class) registered under ``name``."""
    entries = _entry_points()
    if name not in entries:
        valid = ", ".join(sorted(entries)) or "(none: is landmarkset installed with pip?)"
        raise OptionError(f"Unknown landmark backend {name!r}. Valid backends: {valid}.")
    try:
        return entries[name].load()
    except ImportError as error:
        raise MissingDependencyError(
            f"The {name} backend could not be imported ({error}); install its package or extra, "
            f"e.g. pip install 'landmarkset[{name}]'"
        ) from error


def get_extractor(name: str, **options: Any) -> Extractor:
    """Build the backend ``name`` with validated ``options``.

    Raises OptionError for an unknown name (listing valid names) or a bad option (naming it),
    and MissingDependencyError naming the extra to install when the backend's library is absent.
    Models are loaded on the first frame, not here. The generic option ``region_flow`` (a lag: ``0.2s`` or
    frames) adds region optical flow to any backend (landmarkset.flow); ``faces`` ("all" or N; 1 is the
    default) keeps every face a backend finds, as individuals (landmarkset.individuals).
    """
    from ..individuals import faces_setting
    from ._region_flow import FLOW_OPTION, RegionFlowExtractor
    from ._several_faces import FACES_OPTION, SeveralFacesExtractor

    lag = options.pop(FLOW_OPTION, None)
    faces = faces_setting(options.pop(FACES_OPTION, 1))
    if faces != 1 and lag is not None:
        raise OptionError("region_flow measures one face's motion: it cannot be combined with --faces yet")
    extractor = get_extractor_class(name)(**options)
    if faces != 1:
        return SeveralFacesExtractor(extractor, faces)
    return extractor if lag is None else RegionFlowExtractor(extractor, lag)


def describe_extractors() -> list[dict[str, Any]]:
    """One row per backend: name, whether it can run here, and why not, and its ``note`` (a class attribute: what a
    listing should say of it, e.g. that it is a teaching example)."""
    rows = []
    for name in list_extractors():
        try:
            factory = get_extractor_class(name)
            check = getattr(factory, "check_dependencies", None)
            if check is not None:
                check()
            rows.append({"name": name, "available": True, "problem": "", "note": getattr(factory, "note", "")})
        except LandmarksetError as error:
            rows.append({"name": name, "available": False, "problem": str(error), "note": ""})
    return rows
