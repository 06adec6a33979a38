"""Names taken from data (sheet cells, folder names, label files) that become path components or HDF5 names.

They are data, never trusted: a name is one path component, so it can neither climb out of a dataset
root (``..``, an absolute path, a separator) nor break the store's group layout.
"""

from __future__ import annotations

import os
from typing import Optional

__all__ = ["MAX_NAME_BYTES", "name_problem", "within"]

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
