"""Spreadsheet cells are data: numbers, names and text are checked, never trusted.

A bad cell raises :class:`CellError` with the reason; the caller fails that row alone.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional

from ..names import name_problem

__all__ = ["MAX_FRAME", "CellError", "integer_cell", "name_cell", "text_cell"]

MAX_FRAME = 10_000_000  # 13.9 hours at SAMM's 200 fps: any larger frame number is a typo


class CellError(ValueError):
    """A cell that cannot be read as what its column holds; the message is the reason."""


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _refuse_formula(value: Any, column: str) -> None:
    if isinstance(value, str) and value.strip().startswith("="):
        raise CellError(f"{column} is a formula ({value.strip()[:30]!r}), not a value: save the sheet with values")


def integer_cell(value: Any, column: str) -> Optional[int]:
    """A whole number within +-MAX_FRAME, None for an empty cell; CellError for anything else."""
    if _empty(value):
        return None
    _refuse_formula(value, column)
    if isinstance(value, bool):
        raise CellError(f"{column} {value!r} is not a frame number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise CellError(f"{column} {value.strip()[:30]!r} is not a frame number") from None
    if not isinstance(value, numbers.Real):
        raise CellError(f"{column} {str(value)[:30]!r} is not a frame number")
    if not math.isfinite(value):
        raise CellError(f"{column} {value!r} is not a finite number")
    if not float(value).is_integer():
        raise CellError(f"{column} {value!r} is not a whole frame number")
    if abs(value) > MAX_FRAME:
        raise CellError(f"{column} {value:.6g} is out of range (frame numbers up to {MAX_FRAME})")
    return int(value)


def text_cell(value: Any, column: str) -> str:
    """The cell as text ("" when empty; whole floats as integers); CellError for a formula."""
    if _empty(value):
        return ""
    _refuse_formula(value, column)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def name_cell(value: Any, column: str) -> str:
    """Text that will name a folder or a sequence: one safe path component; CellError otherwise."""
    text = text_cell(value, column)
    problem = name_problem(text)
    if problem is not None:
        raise CellError(f"{column} {text[:40]!r} cannot name a folder: {problem}")
    return text
