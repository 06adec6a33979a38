"""The CAS(ME)^3 part A layout (Li et al., 2022): clips of 0-based frames and the micro-expression sheet.

Found under the root or one wrapper folder down: ``data/spNO.1/a/color/0.jpg`` (frame files numbered
from 0). The sheet (``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` or a later version) has its header in
the first rows; columns are read by name (Subject, Filename, Onset, Apex, Offset, AU, Objective class,
emotion), and its frames are those 0-based file indices. A clip holding several expressions repeats its
(Subject, Filename) pair, one row each: each row is a sample, named by its onset.

Policies, each recorded: frame files and sheet indices are 0-based and stored 1-based as every layout's
(``N.jpg`` is frame N + 1; ``settings``); a Subject given as a number is ``spNO.<number>``; an apex
outside [onset, offset] or empty becomes the midpoint (``repairs``); a row whose offset is before its
onset is dropped; a cell that is not data, a missing clip folder and frames not on disk fail their row.
Every expression is a micro-expression (``kind`` micro); the classes are the emotions found.
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar, Optional

from ..errors import InputError
from .cells import CellError, integer_cell, name_cell, text_cell
from .declaration import SUBJECTS, Generator, LayoutBase, own_default
from .layout import Item, Scan, find_tree, link_out_of, numbered_frames, outside_root
from .sheets import read_sheet, scan_rows

__all__ = ["CasmeIIILayout", "build_casme3"]

_COLUMNS = {
    "Subject": "subject",
    "Filename": "filename",
    "Onset": "onset",
    "Apex": "apex",
    "Offset": "offset",
    "AU": "aus",
    "Objective class": "objective",
    "emotion": "emotion",
}
_REQUIRED = ("Subject", "Filename", "Onset", "Offset", "emotion")
_DIGITS = re.compile(r"^\d+$")


def _file_number(stem: str) -> Optional[int]:
    """CAS(ME)^3's 0-based frame file ``N.jpg`` as a 1-based frame number."""
    return int(stem) + 1 if _DIGITS.match(stem) else None


class CasmeIIILayout(LayoutBase):
    """The CAS(ME)^3 part A tree under ``root`` and its ``annotations`` sheet (see the module doc)."""

    name = "CAS(ME)^3 part A"
    reads = "CAS(ME)^3 part A: data/spNO.N/<clip>/color frames and its ME label sheet"
    sheet_keyword = "annotations"
    sheet_help = "the part A micro-expression sheet (cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx)"
    generators: ClassVar[dict[str, Generator]] = {
        "casme3": Generator(
            "landmarkset.synth:synth_casme3",
            {"subjects": SUBJECTS,
             "clips_per_subject": own_default(int, "Clips per subject.", low=1, high=16)},
            "A CAS(ME)^3 part A tree: data/spNO.N/<clip>/color/<0-based>.jpg and its ME label sheet.",
            small={"subjects": 2, "clips_per_subject": 2},
        )
    }  # fmt: skip

    def inputs(self) -> list[str]:
        return [self.root, self.annotations]

    def settings(self) -> dict[str, Any]:
        return {
            "dataset": "CAS(ME)^3 part A",
            "fps": 30.0,
            "sheet": os.path.basename(self.annotations),
            "frame_numbers": "the release's 0-based files and sheet indices, stored 1-based (N.jpg is frame N+1)",
        }

    def scan(self) -> Scan:
        self.tree = find_tree(self.root, "data", "CAS(ME)^3 part A")
        sheet = read_sheet(self.annotations, _COLUMNS, required=_REQUIRED, what="CAS(ME)^3's part A sheet")
        listings: dict[str, dict[int, str]] = {}
        return scan_rows(sheet, lambda row, scan: self._item(row.number, row.cells, scan, listings))

    def _item(
        self, number: int, cells: dict[str, Any], scan: Scan, listings: dict[str, dict[int, str]]
    ) -> Optional[Item]:
        subject_cell = cells["subject"]
        subject = f"spNO.{subject_cell}" if isinstance(subject_cell, int) else name_cell(subject_cell, "Subject")
        clip = name_cell(cells["filename"], "Filename")
        first, last = integer_cell(cells["onset"], "Onset"), integer_cell(cells["offset"], "Offset")
        if first is None or last is None:
            raise CellError("Onset and Offset are needed")
        onset, offset = first + 1, last + 1  # 0-based file indices -> 1-based frame numbers
        emotion = name_cell(cells["emotion"], "emotion").lower()
        sample = f"{subject}__{clip}__{first}"
        if offset < onset:
            scan.dropped.append((sample, f"row {number}: offset {last} before onset {first}"))
            return None
        given = integer_cell(cells.get("apex"), "Apex")
        apex = None if given is None else given + 1
        if apex is None or not onset <= apex <= offset:
            apex = (onset + offset) // 2
            scan.repairs.append(
                (sample, f"apex {given if given is not None else 'empty'} -> midpoint {apex - 1} (0-based)")
            )
        folder = os.path.join(self.tree, subject, clip, "color")
        if not os.path.isdir(folder):
            raise InputError(f"no folder {os.path.relpath(folder, self.root)} for {subject} {clip}")
        if folder not in listings:
            listings[folder] = numbered_frames(folder, _file_number)
            linked = outside_root(self.root, [folder] + [os.path.join(folder, n) for n in listings[folder].values()])
            if linked is not None:
                listings[folder] = {}
                raise InputError(f"{os.path.relpath(linked, self.root)} {link_out_of(self.root, linked)}")
        frames = listings[folder]
        missing = [n - 1 for n in range(onset, offset + 1) if n not in frames]
        if missing:
            raise InputError(
                f"frame files {missing[0]}..{missing[-1]}.jpg of {first}..{last} are not in "
                f"{os.path.relpath(folder, self.root)} ({len(missing)} missing)"
            )
        extra = {
            "aus": text_cell(cells.get("aus"), "AU"),
            "objective_class": text_cell(cells.get("objective"), "class"),
        }
        return Item(
            sample,
            subject,
            emotion,
            folder,
            frames,
            f"{os.path.basename(self.annotations)} row {number}",
            (onset, apex, offset),
            "micro",
            extra,
        )


def build_casme3(root: str, annotations: str, output: str, **options: Any) -> Any:
    """Build a CAS(ME)^3 part A dataset: ``build("casme3", root, output, annotations=...)`` (options: those of
    :func:`landmarkset.datasets.build_dataset`)."""
    from .build import build

    return build("casme3", root, output, annotations=annotations, **options)
