"""A layout for anyone's labelled clips: a manifest (CSV or .xlsx) with one row per clip.

Columns, by name in the first row (any order, case and spaces ignored): ``clip`` (a video file or a folder
of frames, relative to the root), ``label``, ``subject``, and optionally ``onset``, ``apex``, ``offset``
(1-based frame numbers, all three or none; without them the sample covers the whole clip). Cells are
data: a clip must be a path inside the root (links out of it refused), labels and subjects one safe name,
frame numbers whole numbers; a bad row fails alone. A sample's id is its clip path with ``/`` as ``__``
(a video without its extension).
"""

from __future__ import annotations

import os
from typing import Any

import cv2

from ..errors import InputError
from ..io.frames import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, Source, list_images
from .cells import CellError, integer_cell, name_cell, text_cell
from .declaration import LayoutBase
from .layout import Item, Scan, link_out_of, outside_root
from .sheets import read_sheet, scan_rows

__all__ = ["MANIFEST_COLUMNS", "ManifestLayout", "build_manifest"]

MANIFEST_COLUMNS = ("clip", "label", "subject", "onset", "apex", "offset")
_REQUIRED = ("clip", "label", "subject")


class _VideoItem(Item):
    """A clip that is a video: extracted whole (every frame), its interval taken from the track."""

    def needed(self, span: str, frames: int) -> list[int]:
        return sorted(self.frames)

    def source(self, span: str, frames: int, root: str) -> Source:
        return Source(self.folder, self.id, "video", root=root)


class ManifestLayout(LayoutBase):
    """Labelled clips under ``root`` listed by the manifest ``manifest`` (see the module doc)."""

    name = "manifest"
    reads = "any labelled clips (videos or frame folders) listed in a CSV or .xlsx"
    sheet_keyword = "manifest"
    sheet_help = ("a CSV or .xlsx: clip (relative to ROOT: a video or a folder of frames), label, subject, and "
                  "optionally onset, apex, offset (1-based frames)")  # fmt: skip

    def inputs(self) -> list[str]:
        return [self.root, self.manifest]

    def settings(self) -> dict[str, Any]:
        return {"dataset": "manifest", "manifest": os.path.basename(self.manifest)}

    def scan(self) -> Scan:
        if not os.path.isdir(self.root):
            raise InputError(f"{self.root}: not a folder (the root the manifest's clip paths are relative to)")
        columns = {name: name for name in MANIFEST_COLUMNS}
        what = f"a manifest (columns {', '.join(MANIFEST_COLUMNS)}, the last three optional)"
        sheet = read_sheet(self.manifest, columns, required=_REQUIRED, what=what)
        return scan_rows(sheet, lambda row, _: self._item(row.number, row.cells))

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


def build_manifest(root: str, manifest: str, output: str, **options: Any) -> Any:
    """Build the clips ``manifest`` lists under ``root`` into ``output``: ``build("manifest", root, output,
    manifest=...)`` (options: those of :func:`landmarkset.datasets.build_dataset`)."""
    from .build import build

    return build("manifest", root, output, manifest=manifest, **options)
