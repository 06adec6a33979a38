"""Element types and versions of the store format (docs/format.md): every element says what it is.

A reader is chosen by an element's ``encoding-type`` and accepts any version of the MAJOR it implements;
a newer MAJOR is refused with "update landmarkset", a foreign element with its path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import h5py

from .._version import __version__
from ..errors import StoreError

__all__ = [
    "DATASET",
    "STORE",
    "TRACK",
    "TRACK_INDIVIDUALS",
    "Element",
    "MissingSequence",
    "check_attributes",
    "check_element",
    "damage_is_one_line",
    "open_for_reading",
    "raise_version",
    "stamp",
]


class MissingSequence(KeyError):
    """The store has no sequence of that id (a KeyError, as a mapping's)."""


@contextlib.contextmanager
def damage_is_one_line(path: str) -> Iterator[None]:
    """h5py's errors on a file damaged inside (flipped bytes, a truncated copy) as one StoreError naming it."""
    try:
        yield
    except (StoreError, MissingSequence):
        raise
    except (RuntimeError, OSError, KeyError, ValueError, TypeError) as error:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise StoreError(f"{path}: damaged inside ({reason}): restore it from a copy, or make it again") from None


def open_for_reading(path: str) -> h5py.File:
    """``path`` opened read-only; StoreError in one line for a missing, locked, foreign or damaged file."""
    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise StoreError(f"{path}: no such file") from None
    except BlockingIOError:  # HDF5's file lock: another program has it open for writing
        raise StoreError(
            f"{path}: another program holds this file open for writing (e.g. h5py.File(..., 'a') in a notebook): "
            "close it there and run again"
        ) from None
    except OSError as error:
        raise StoreError(f"{path}: not an HDF5 file, or damaged ({error})") from None


class Element:
    """One kind of element: its ``encoding-type`` and the version this landmarkset writes."""

    def __init__(self, kind: str, version: str) -> None:
        self.kind, self.version = kind, version

    @property
    def major(self) -> int:
        return _major(self.version)


STORE = Element("landmarkset-tracks", "1.1.0")  # the file (root group)
TRACK = Element("landmark-track", "1.2.0")  # /sequences/<id>: one face
# /sequences/<id> of a sequence extracted with several faces: a major step (older readers refuse it in one line);
# readers of 2.x read 1.x tracks as one individual.
TRACK_INDIVIDUALS = Element("landmark-track", "2.0.0")
DATASET = Element("landmarkset-dataset", "1.2.0")  # /dataset (crops are its optional member)


def _major(version: object) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return -1


def check_element(node: h5py.HLObject, element: Element, where: str) -> str:
    """The version of ``node``; StoreError naming ``where`` when it is foreign or too new."""
    return check_attributes(node.attrs, element, where)


def check_attributes(attrs: Mapping[str, Any], element: Element, where: str) -> str:
    """:func:`check_element` on attributes already read."""
    kind = attrs.get("encoding-type")
    version = attrs.get("encoding-version")
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


def _version_key(version: object) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        return (-1,)


def raise_version(node: h5py.HLObject, element: Element) -> None:
    """Mark an existing ``node`` with this landmarkset's version of ``element`` when its own is older
    (a store of 1.0.0 that receives 1.1.0 tracks becomes 1.1.0); a newer minor version is kept."""
    if _version_key(node.attrs.get("encoding-version")) < _version_key(element.version):
        node.attrs["encoding-version"] = element.version
