"""Element types and versions of the store format (docs/format.md): every element says what it is.

A reader is chosen by an element's ``encoding-type`` and accepts any version of the MAJOR it implements;
a newer MAJOR is refused with "update landmarkset", a foreign element with its path.
"""

from __future__ import annotations

import h5py

from .._version import __version__
from ..errors import StoreError

__all__ = ["DATASET", "STORE", "TRACK", "Element", "check_element", "stamp"]


class Element:
    """One kind of element: its ``encoding-type`` and the version this landmarkset writes."""

    def __init__(self, kind: str, version: str) -> None:
        self.kind, self.version = kind, version

    @property
    def major(self) -> int:
        return _major(self.version)


STORE = Element("landmarkset-tracks", "1.1.0")  # the file (root group)
TRACK = Element("landmark-track", "1.1.0")  # /sequences/<id>
DATASET = Element("landmarkset-dataset", "1.1.0")  # /dataset (crops are its optional member)


def _major(version: object) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return -1


def check_element(node: h5py.HLObject, element: Element, where: str) -> str:
    """The version of ``node``; StoreError naming ``where`` when it is foreign or too new."""
    kind = node.attrs.get("encoding-type")
    version = node.attrs.get("encoding-version")
    if kind != element.kind:
        raise StoreError(f"{where}: not a landmarkset element of type {element.kind!r} (encoding-type={kind!r})")
    if _major(version) > element.major:
        raise StoreError(
            f"{where} uses {element.kind} format {version}, newer than this landmarkset {__version__} reads "
            f"({element.major}.x): update landmarkset (pip install -U landmarkset)"
        )
    if _major(version) < 1:
        raise StoreError(f"{where}: unreadable {element.kind} version {version!r}")
    return str(version)


def stamp(node: h5py.HLObject, element: Element) -> None:
    """Mark ``node`` as ``element`` at the version this landmarkset writes."""
    node.attrs["encoding-type"] = element.kind
    node.attrs["encoding-version"] = element.version
