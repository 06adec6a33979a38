"""Every annotation sheet is read by one reader with one policy, and scanned by one loop (the layouts and the
spotting truth use them).

:func:`read_sheet` opens a CSV (UTF-8, a byte order mark ignored) or an .xlsx workbook (the sheet named, else
the first), finds the header row (the first of the first 20 rows that holds every required column; none for
sheets read by position), and gives each data row as {field: cell}. What a spreadsheet program shows is what is
read: a merged cell's value is read in every row it covers, and a hidden row is read like the others; both
are named in ``notes``. Cells stay raw (landmarkset.datasets.cells reads them as data: formulas refused).

:func:`scan_rows` turns rows into items one at a time: a blank row is skipped, and a row whose cells cannot be
read, or whose files cannot be found, fails alone with its reason (``Scan.failed``), the others going on.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..errors import InputError
from ..extraction.report import Failure
from .cells import CellError
from .layout import Item, Scan

__all__ = ["HEADER_SEARCH", "Sheet", "SheetRow", "normalised", "read_pages", "read_rows", "read_sheet", "scan_rows"]

HEADER_SEARCH = 20  # rows searched for the header


@dataclass(frozen=True)
class SheetRow:
    """A data row: its number as a spreadsheet program shows it (the file's line for a CSV) and its cells."""

    number: int
    cells: dict[str, Any]

    def blank(self) -> bool:
        return all(value is None or (isinstance(value, str) and not value.strip()) for value in self.cells.values())


@dataclass
class Sheet:
    """A sheet read: its rows below the header, the header's row number (0: none) and notes on merged cells and
    hidden rows."""

    path: str
    header: int
    rows: list[SheetRow] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the header's names, normalised


def normalised(name: Any) -> str:
    """A header name as columns are matched: lower case, without spaces, underscores or a byte order mark."""
    return "".join(str(name or "").replace("\ufeff", "").lower().split()).replace("_", "")


def _csv_rows(path: str) -> list[list[Any]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [list(row) for row in csv.reader(handle)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(
            f"{path}: cannot read as UTF-8 CSV (an .xlsx workbook must end in .xlsx) ({type(error).__name__})"
        ) from None


def _merged_and_hidden(page: Any, rows: list[list[Any]]) -> list[tuple[int, str, str]]:
    """(row, where, note) for each merged cell and hidden row of ``page``. A merged cell's value is what a reader
    sees in each row it covers, so it is copied into them (openpyxl gives it to the first only)."""
    notes = []
    for merged in page.merged_cells.ranges:
        value = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
        for number in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
            row = rows[number - 1]
            row.extend([None] * (merged.max_col - len(row)))
            for column in range(merged.min_col - 1, merged.max_col):
                row[column] = value
        if merged.max_row > merged.min_row:
            note = f"{merged.coord} is one merged cell: its value {value!r} is read in each of these rows"
            notes.append((merged.min_row, f"rows {merged.min_row}-{merged.max_row}", note))
    for number, dimension in sorted(page.row_dimensions.items()):
        if dimension.hidden and number <= len(rows):
            notes.append((number, f"row {number}", "hidden in the sheet: read like the other rows"))
    return notes


def read_pages(path: str) -> dict[str, tuple[list[list[Any]], list[tuple[int, str, str]]]]:
    """Every sheet of the workbook ``path`` (a CSV: one, named ""), in order: its rows as lists of raw cells, merged
    cells copied into the rows they cover, and notes (row, where, note) on merged cells and hidden rows."""
    if not path.lower().endswith((".xlsx", ".xlsm")):
        return {"": (_csv_rows(path), [])}
    import openpyxl

    try:
        # Formulas are read as formulas ("=..."), never as the values a spreadsheet program last cached. Not
        # read-only: merged cells and hidden rows are only known to a full load (sheets are small).
        book = openpyxl.load_workbook(path, read_only=False, data_only=False)
    except Exception as error:  # openpyxl raises many types for files that are not .xlsx
        raise InputError(f"{path}: cannot read as an .xlsx spreadsheet ({type(error).__name__})") from None
    try:
        pages = {}
        for page in book.worksheets:
            rows = [list(row) for row in page.iter_rows(values_only=True)]
            pages[page.title] = (rows, _merged_and_hidden(page, rows))
        return pages
    finally:
        book.close()


def read_rows(path: str, sheet: Optional[Callable[[list[str]], Optional[str]]] = None) -> tuple[
    list[list[Any]], list[tuple[int, str, str]]
]:  # fmt: skip
    """The rows and notes (see :func:`read_pages`) of one sheet of ``path``: the one ``sheet`` picks from the
    sheet names, else the first."""
    pages = read_pages(path)
    name = sheet(list(pages)) if sheet is not None else None
    return pages[name] if name in pages else next(iter(pages.values()))


def read_sheet(
    path: str,
    columns: Mapping[str, str],
    *,
    required: Sequence[str] = (),
    positions: Optional[Mapping[str, int]] = None,
    sheet: Optional[Callable[[list[str]], Optional[str]]] = None,
    what: str = "the sheet",
) -> Sheet:
    """The rows of ``path`` as {field: cell}: ``columns`` maps header names (normalised) to fields, and the header
    is the first row that holds every ``required`` header name; ``positions`` ({field: column index}) reads a
    sheet without a header instead. InputError in one line when the file cannot be read or has no such header
    (``what`` names the sheet expected)."""
    rows, notes = read_rows(path, sheet)
    if positions is not None:
        header, mapping, names = 0, dict(positions), []
    else:
        wanted = {normalised(name) for name in required}
        at = next(
            (i for i, row in enumerate(rows[:HEADER_SEARCH]) if wanted <= {normalised(cell) for cell in row}), None
        )
        if at is None:
            first = next((row for row in rows if any(cell is not None and str(cell).strip() for cell in row)), [])
            seen = ", ".join(str(cell).strip() for cell in first if cell is not None and str(cell).strip())[:80]
            raise InputError(
                f"{path}: no header row with {', '.join(required)} in its first {HEADER_SEARCH} rows (the first row "
                f"holds {seen or 'nothing'}): is this {what}?"
            )
        header, names = at + 1, [normalised(cell) for cell in rows[at]]
        mapping = {field: names.index(normalised(name)) for name, field in columns.items() if normalised(name) in names}
    found = Sheet(path, header, columns=names)
    found.notes = [(where, note) for row, where, note in notes if row > header]
    for number, row in enumerate(rows[header:], start=header + 1):
        cells = {name: row[index] if index < len(row) else None for name, index in mapping.items()}
        found.rows.append(SheetRow(number, cells))
    return found


def scan_rows(sheet: Sheet, item: Callable[[SheetRow, Scan], Optional[Item]], scan: Optional[Scan] = None) -> Scan:
    """``scan`` (a new one by default) with an item made by ``item`` for every row that is not blank; a row whose
    cells cannot be read (CellError) or whose files cannot be found (InputError, OSError) fails alone, named by
    its row. ``item`` may record drops and repairs in the scan and return None."""
    scan = scan if scan is not None else Scan()
    scan.repairs += [(f"{os.path.basename(sheet.path)} {where}", note) for where, note in sheet.notes]
    for row in _rows(sheet):
        label = f"{os.path.basename(sheet.path)} row {row.number}"
        try:
            made = item(row, scan)
        except (CellError, InputError) as error:
            scan.failed.append(Failure(label, str(error)))
        except OSError as error:
            scan.failed.append(Failure(label, f"cannot list its folder ({error.strerror or error})"))
        else:
            if made is not None:
                scan.items.append(made)
    return scan


def _rows(sheet: Sheet) -> Iterator[SheetRow]:
    return (row for row in sheet.rows if not row.blank())
