"""The generators' annotation sheets: .xlsx workbooks written as the releases ship them (openpyxl)."""

from __future__ import annotations

from typing import Any

__all__ = ["write_workbook"]


def write_workbook(path: str, pages: dict[str, list[list[Any]]]) -> str:
    """Write ``pages`` (sheet name -> rows from Excel's first row; ``[]`` is an empty row) as the workbook
    ``path``, the first page first."""
    import openpyxl

    book = openpyxl.Workbook()
    for position, (name, rows) in enumerate(pages.items()):
        page = book.active if position == 0 else book.create_sheet(name)
        page.title = name
        for row in rows:
            page.append(row)
    book.save(path)
    return path
