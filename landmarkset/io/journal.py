"""Where an interrupted run's tracks wait: the journal folder beside a store, and its complete entries.

Read by the writer (which folds entries in) and by ``TrackFile.summary`` (which counts them), so it
lives apart from both.
"""

from __future__ import annotations

import os
import re

__all__ = ["ENTRY", "journal_folder", "journalled_entries"]

ENTRY = re.compile(r"^\d{8}\.h5$")  # a complete journal entry; with ".part": one whose writing was interrupted


def journal_folder(path: str) -> str:
    """The journal folder of the store ``path`` (``.NAME.journal`` beside it)."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.journal")


def journalled_entries(path: str) -> int:
    """How many tracks of an interrupted run wait in the journal of the store ``path`` (the next writer
    of the store folds them in)."""
    try:
        return sum(bool(ENTRY.match(entry)) for entry in os.listdir(journal_folder(os.path.realpath(path))))
    except OSError:
        return 0
