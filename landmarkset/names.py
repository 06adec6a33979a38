"""Names taken from data (sheet cells, folder names, label files) that become path components or HDF5 names.

They are data, never trusted: a name is one path component, so it can neither climb out of a dataset
root (``..``, an absolute path, a separator) nor break the store's group layout.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Optional

__all__ = ["MAX_NAME_BYTES", "file_stem", "name_problem", "within"]

MAX_NAME_BYTES = 255  # the longest file name common file systems allow


def name_problem(name: str) -> Optional[str]:
    """Why ``name`` cannot be one path component or store name, or None when it can."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if name in (".", ".."):
        return f"{name!r} names a folder, not an item"
    if "/" in name or "\\" in name:
        return f"{name!r} contains a path separator"
    if any(ord(character) < 32 for character in name):
        return f"{name!r} contains a control character"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    return None


def within(root: str, *parts: str) -> str:
    """``root`` joined with ``parts``, each checked by :func:`name_problem`; ValueError (the reason) if one fails.

    The result always lies under ``root`` lexically: symbolic links that the owner of the data placed
    inside the root are followed as usual, but no part taken from data can leave it.
    """
    for part in parts:
        problem = name_problem(part)
        if problem is not None:
            raise ValueError(problem)
    return os.path.join(root, *parts)


_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def file_stem(name: str) -> str:
    """A file name stem for a per-sequence output of ``name``: the name itself when it is plain and short, else
    its plain characters (at most 80) and a hash of the whole name, so that two names never share a file
    ("a b" and "a_b") and a 255-byte name still fits; the full name is kept inside the file or its report."""
    if _PLAIN.match(name) and name.upper() not in _RESERVED:
        return name
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80].strip("._") or "sequence"
    return f"{plain}-{hashlib.sha1(name.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"


_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
