"""A layout for anyone's labelled clips: a manifest (CSV or .xlsx) with one row per clip.

Columns, by name in the first row (any order, case and spaces ignored): ``clip`` (a video file or a folder
of frames, relative to the root), ``label``, ``subject``, and optionally ``onset``, ``apex``, ``offset``
(1-based frame numbers, all three or none; without them the sample covers the whole clip). Cells are
data: a clip must be a path inside the root (links out of it refused), labels and subjects one safe name,
frame numbers whole numbers; a bad row fails alone. A sample's id is its clip path with ``/`` as ``__``
(a video without its extension).
"""

from __future__ import annotations

import csv
import os
from typing import Any, Optional

import cv2

from ..errors import InputError
from ..extraction.report import Failure
from ..io.frames import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, Source, list_images
from ..provenance import Provenance
from ..track import Track
from .cells import CellError, integer_cell, name_cell, text_cell
from .layout import Item, Scan, link_out_of, outside_root

__all__ = ["MANIFEST_COLUMNS", "ManifestLayout", "build_manifest"]

MANIFEST_COLUMNS = ("clip", "label", "subject", "onset", "apex", "offset")
_REQUIRED = ("clip", "label", "subject")


class _VideoItem(Item):
    """A clip that is a video: extracted whole (every frame), its interval taken from the track."""

    def needed(self, span: str, frames: int) -> list[int]:
        return sorted(self.frames)

    def source(self, span: str, frames: int, root: str) -> Source:
        return Source(self.folder, self.id, "video", root=root)


def _read_rows(path: str) -> list[list[Any]]:
    """The manifest's rows (the header first): a CSV (UTF-8, a byte order mark allowed) or an .xlsx's first sheet."""
    if path.lower().endswith((".xlsx", ".xlsm")):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except Exception as error:  # openpyxl raises many types for non-xlsx files
            raise InputError(f"{path}: cannot read as an .xlsx spreadsheet ({type(error).__name__})") from None
        try:
            return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [row for row in csv.reader(handle)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{path}: cannot read the manifest as UTF-8 CSV ({type(error).__name__})") from None


class ManifestLayout:
    """Labelled clips under ``root`` listed by the manifest ``manifest`` (see the module doc)."""

    name = "manifest"
    provides_landmarks = False
    classes: Optional[list[str]] = None  # the labels found

    def __init__(self, root: str, manifest: str) -> None:
        if not os.path.isdir(root):
            raise InputError(f"{root}: not a folder (the root the manifest's clip paths are relative to)")
        self.root, self.manifest = root, manifest
        rows = _read_rows(manifest)
        if not rows:
            raise InputError(f"{manifest}: empty; the first row names the columns ({', '.join(_REQUIRED)}, ...)")
        header = [text_cell(cell, "header").lower().replace(" ", "_") for cell in rows[0]]
        missing = [column for column in _REQUIRED if column not in header]
        if missing:
            raise InputError(
                f"{manifest}: no {missing[0]!r} column in the first row (found {header}); the columns are "
                f"{', '.join(MANIFEST_COLUMNS)} (the last three optional)"
            )
        self._position = {column: header.index(column) for column in MANIFEST_COLUMNS if column in header}
        self._rows = rows[1:]

    def inputs(self) -> list[str]:
        return [self.root, self.manifest]

    def settings(self) -> dict[str, Any]:
        return {"dataset": "manifest", "manifest": os.path.basename(self.manifest)}

    def scan(self) -> Scan:
        scan = Scan()
        for number, row in enumerate(self._rows, start=2):
            cells = {column: row[index] if index < len(row) else None for column, index in self._position.items()}
            if all(text_cell(value, column) == "" for column, value in cells.items()):
                continue  # a blank row
            try:
                item = self._item(number, cells)
            except (CellError, InputError) as error:
                scan.failed.append(Failure(f"{self.manifest} row {number}", str(error)))
                continue
            scan.items.append(item)
        return scan

    def _item(self, number: int, cells: dict[str, Any]) -> Item:
        clip = text_cell(cells["clip"], "clip").replace("\\", "/")
        parts = [part for part in clip.split("/") if part not in ("", ".")]
        if not parts or os.path.isabs(clip) or ".." in parts:
            raise CellError(f"clip {clip[:60]!r} is not a path inside the root (relative, without '..')")
        for part in parts:
            name_cell(part, "clip")
        path = os.path.join(self.root, *parts)
        linked = outside_root(self.root, [path])
        if linked is not None:
            raise InputError(f"clip {clip!r} {link_out_of(self.root, linked)}")
        label, subject = name_cell(cells["label"], "label"), name_cell(cells["subject"], "subject")
        bounds = [integer_cell(cells.get(column), column) for column in ("onset", "apex", "offset")]
        if any(value is not None for value in bounds) and None in bounds:
            raise CellError("onset, apex and offset go together: give all three, or none for the whole clip")
        interval = tuple(bounds) if bounds[0] is not None else None
        if interval is not None and not 1 <= interval[0] <= interval[1] <= interval[2]:
            onset, apex, offset = interval
            raise CellError(f"onset {onset}, apex {apex}, offset {offset}: need 1 <= onset <= apex <= offset")
        origin = f"{self.manifest} row {number}"
        if os.path.isdir(path):
            names = list_images(path)
            if not names:
                raise InputError(f"clip {clip!r} is a folder without images")
            linked = outside_root(self.root, [os.path.join(path, name) for name in names])
            if linked is not None:
                raise InputError(f"{os.path.relpath(linked, self.root)} {link_out_of(self.root, linked)}")
            frames = {position: name for position, name in enumerate(names, start=1)}
            return Item("__".join(parts), subject, label, path, frames, origin, interval=interval)
        extension = os.path.splitext(path)[1].lower()
        if not os.path.isfile(path):
            raise InputError(f"clip {clip!r}: no such file or folder under {self.root}")
        if extension in IMAGE_EXTENSIONS:
            raise InputError(f"clip {clip!r} is one image: a clip is a video or a folder of frames")
        if extension not in VIDEO_EXTENSIONS:
            raise InputError(f"clip {clip!r}: not a video ({', '.join(sorted(VIDEO_EXTENSIONS))}) or a folder")
        capture = cv2.VideoCapture(path)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
        capture.release()
        if count <= 0:
            raise InputError(f"clip {clip!r}: OpenCV cannot read frames from this video")
        parts[-1] = os.path.splitext(parts[-1])[0]
        frames = {position: str(position) for position in range(1, count + 1)}
        return _VideoItem("__".join(parts), subject, label, path, frames, origin, interval=interval)

    def provided_provenance(self, item: Item) -> Provenance:
        raise InputError("a manifest's clips have no landmark files of their own: extract them with a backend")

    def provided_track(self, item: Item, provenance: Provenance) -> Track:
        raise InputError("a manifest's clips have no landmark files of their own: extract them with a backend")


def build_manifest(root: str, manifest: str, output: str, **settings: Any) -> Any:
    """Build the clips ``manifest`` lists under ``root`` into ``output`` (settings: those of
    :func:`landmarkset.datasets.build_dataset`)."""
    from .build import build_dataset

    return build_dataset(ManifestLayout(root, manifest), output, **settings)
