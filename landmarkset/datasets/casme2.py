"""The CASME II layout (Yan et al., 2014): clips of frames and the coding sheet.

Found under the root or one wrapper folder down: ``CASME2_RAW_selected/sub01/EP02_01f/img46.jpg`` (or,
with ``cropped``, ``Cropped/sub01/EP02_01f/reg_img46.jpg``); frame numbers are the integers at the end of
the file names, absolute as the sheet's. The sheet (``CASME2-coding-20140508.xlsx`` or a later version)
has its header on the first row; columns are read by name (Subject, Filename, OnsetFrame, ApexFrame,
OffsetFrame, Action Units, Estimated Emotion; two have no name). Subject is an integer: 1 is ``sub01``.

Policies, each recorded: an ApexFrame that is "/", empty or outside [onset, offset] becomes the midpoint
(``repairs``); a row whose offset is before its onset is dropped; a cell that is not data fails its row.
Every expression is a micro-expression (``kind`` micro); the classes are the emotions found (happiness,
disgust, repression, surprise, others, sadness, fear in the release).
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar, Optional

from ..errors import InputError
from ..extractors import Option
from .cells import CellError, integer_cell, name_cell, text_cell
from .declaration import SUBJECTS, Generator, LayoutBase, own_default
from .layout import Item, Scan, find_tree, link_out_of, numbered_frames, outside_root
from .sheets import read_sheet, scan_rows

__all__ = ["CasmeIILayout", "build_casme2"]

_TREES = {False: "CASME2_RAW_selected", True: "Cropped"}
_COLUMNS = {
    "Subject": "subject",
    "Filename": "filename",
    "OnsetFrame": "onset",
    "ApexFrame": "apex",
    "OffsetFrame": "offset",
    "Action Units": "aus",
    "Estimated Emotion": "emotion",
}
_REQUIRED = ("Subject", "Filename", "OnsetFrame", "OffsetFrame", "Estimated Emotion")
_NUMBER_AT_END = re.compile(r"(\d+)$")


def _number_at_end(stem: str) -> Optional[int]:
    """CASME II's frame number: the integer ending the file name (img46, reg_img46)."""
    match = _NUMBER_AT_END.search(stem)
    return int(match.group(1)) if match else None


class CasmeIILayout(LayoutBase):
    """The CASME II tree under ``root`` and its coding ``annotations`` sheet (see the module doc)."""

    name = "CASME II"
    reads = "CASME II: CASME2_RAW_selected (or Cropped) and its coding sheet"
    sheet_keyword = "annotations"
    sheet_help = "the coding sheet (CASME2-coding-20140508.xlsx or a later version)"
    options: ClassVar[dict[str, Option]] = {
        "cropped": Option(bool, False, "Frames from Cropped/ (reg_imgN.jpg) instead of CASME2_RAW_selected/."),
    }
    generators: ClassVar[dict[str, Generator]] = {
        "casme2": Generator(
            "landmarkset.synth:synth_casme2",
            {"subjects": SUBJECTS,
             "clips_per_subject": own_default(int, "Clips per subject.", low=1)},
            "A CASME II tree: CASME2_RAW_selected/subNN/<clip>/imgN.jpg and CASME2-coding-20140508.xlsx.",
            small={"subjects": 2, "clips_per_subject": 3},
        )
    }  # fmt: skip

    def inputs(self) -> list[str]:
        return [self.root, self.annotations]

    def settings(self) -> dict[str, Any]:
        return {"dataset": "CASME II", "frames_from": _TREES[self.cropped], "sheet": os.path.basename(self.annotations)}

    def scan(self) -> Scan:
        self.tree = find_tree(self.root, _TREES[self.cropped], "CASME II")
        sheet = read_sheet(self.annotations, _COLUMNS, required=_REQUIRED, what="CASME II's coding sheet")
        return scan_rows(sheet, lambda row, scan: self._item(row.number, row.cells, scan))

    def _item(self, number: int, cells: dict[str, Any], scan: Scan) -> Optional[Item]:
        try:
            subject_number = integer_cell(cells["subject"], "Subject")
        except CellError:
            subject_number = None
        if subject_number is None or subject_number < 1:
            raise CellError(f"Subject {cells['subject']!r} is not a subject number (1 is sub01)")
        subject = f"sub{subject_number:02d}"
        clip = name_cell(cells["filename"], "Filename")
        onset, offset = integer_cell(cells["onset"], "OnsetFrame"), integer_cell(cells["offset"], "OffsetFrame")
        if onset is None or offset is None:
            raise CellError("OnsetFrame and OffsetFrame are needed")
        emotion = name_cell(cells["emotion"], "Estimated Emotion").lower()
        sample = f"{subject}__{clip}"
        if offset < onset:
            scan.dropped.append((sample, f"row {number}: offset {offset} before onset {onset}"))
            return None
        apex_cell = cells.get("apex")
        apex = None if text_cell(apex_cell, "ApexFrame") in ("", "/") else integer_cell(apex_cell, "ApexFrame")
        if apex is None or not onset <= apex <= offset:
            given = text_cell(apex_cell, "ApexFrame") or "empty"
            apex = (onset + offset) // 2
            scan.repairs.append((sample, f"apex {given} -> midpoint {apex}"))
        folder = os.path.join(self.tree, subject, clip)
        if not os.path.isdir(folder):
            raise InputError(f"no folder {os.path.relpath(folder, self.root)} for {clip}")
        frames = numbered_frames(folder, _number_at_end)
        linked = outside_root(self.root, [folder] + [os.path.join(folder, name) for name in frames.values()])
        if linked is not None:
            raise InputError(f"{os.path.relpath(linked, self.root)} {link_out_of(self.root, linked)}")
        origin = f"{os.path.basename(self.annotations)} row {number}"
        aus = text_cell(cells.get("aus"), "Action Units")
        return Item(sample, subject, emotion, folder, frames, origin, (onset, apex, offset), "micro", {"aus": aus})


def build_casme2(root: str, annotations: str, output: str, **options: Any) -> Any:
    """Build a CASME II dataset: ``build("casme2", root, output, annotations=...)`` (``cropped``; the other
    options: those of :func:`landmarkset.datasets.build_dataset`)."""
    from .build import build

    return build("casme2", root, output, annotations=annotations, **options)
