"""The SMIC-E layout (Li et al., 2013): SMIC-HS's longer clips, each holding its micro-expression, and the
sheet of their intervals.

The sheet (``SMIC-HS-E_annotation.xlsx``) has its header in the first rows, columns by name: Subject,
Filename, OnsetF, OffsetF, Emotion, FirstF (frame numbers absolute; FirstF the clip's first; no apex).
The release's folder tree is not documented, so a clip's frames are the one folder named as its Filename
anywhere under the root (links out of the root refused), its frames the images whose names end in a number.

Policies, each recorded: when the file numbers hold OnsetF..OffsetF they are used as they are; otherwise
the frames are numbered 1..N in file order and OnsetF - FirstF + 1 .. OffsetF - FirstF + 1 taken
(``repairs`` names the clips read this way); the apex is the middle frame (``settings``); a Subject given
as a number is ``s<number>``; a row whose offset is before its onset is dropped; a cell that is not data,
no folder or two folders of that name, and frames not on disk fail their row alone. Every expression is a
micro-expression; the classes are the emotions of the sheet (positive, negative, surprise).
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar, Optional

from ..errors import InputError
from ..extraction.report import Failure
from ..intervals import Interval
from .cells import CellError, integer_cell, name_cell
from .declaration import SUBJECTS, Generator, LayoutBase, own_default
from .layout import Item, Scan, SheetIntervals, link_out_of, numbered_frames, outside_root
from .sheets import Sheet, read_sheet, scan_rows

__all__ = ["SMIC_E_FPS", "SmicELayout", "build_smic_e", "read_long_video_intervals", "read_sheet_rows"]

_COLUMNS = {
    "Subject": "subject",
    "Filename": "filename",
    "OnsetF": "onset",
    "OffsetF": "offset",
    "Emotion": "emotion",
    "FirstF": "first",
}
_NUMBER_AT_END = re.compile(r"(\d+)$")
SMIC_E_FPS = 100.0  # SMIC-HS's high-speed camera


def _number_at_end(stem: str) -> Optional[int]:
    match = _NUMBER_AT_END.search(stem)
    return int(match.group(1)) if match else None


def read_sheet_rows(path: str) -> Sheet:
    """SMIC-E's sheet: its rows below the header as {field: cell}; InputError when it has no such header."""
    return read_sheet(path, _COLUMNS, required=tuple(_COLUMNS), what="SMIC-E's sheet (SMIC-HS-E_annotation.xlsx)")


def _subject(cell: Any) -> str:
    return f"s{cell}" if isinstance(cell, int) else name_cell(cell, "Subject")


def read_long_video_intervals(annotations: str) -> SheetIntervals:
    """The interval of every clip of SMIC-E's sheet, for spotting the clips whole (the clip is the video; frame
    numbers from its first frame, FirstF: OnsetF - FirstF + 1 .. OffsetF - FirstF + 1)."""
    sheet = read_sheet_rows(annotations)
    found = SheetIntervals(annotations, "smic-e", repairs=[(os.path.basename(annotations), n) for _, n in sheet.notes])
    for row in sheet.rows:
        if row.blank():
            continue
        cells, label = row.cells, f"{os.path.basename(annotations)} row {row.number}"
        try:
            subject, clip = _subject(cells["subject"]), name_cell(cells["filename"], "Filename")
            onset, offset = integer_cell(cells["onset"], "OnsetF"), integer_cell(cells["offset"], "OffsetF")
            first = integer_cell(cells["first"], "FirstF")
            emotion = name_cell(cells["emotion"], "Emotion").lower()
        except CellError as error:
            found.failed.append(Failure(label, str(error)))
            continue
        if onset is None or offset is None or first is None:
            found.failed.append(Failure(label, "OnsetF, OffsetF and FirstF are needed"))
        elif offset < onset:
            found.dropped.append((clip, f"{label}: OffsetF {offset} before OnsetF {onset}"))
        else:
            start, end = onset - first + 1, offset - first + 1
            found.add(Interval(clip, start, end, "micro", (start + end) // 2, emotion, subject), label)
    return found


class SmicELayout(LayoutBase):
    """SMIC-E's clips under ``root`` and its ``annotations`` sheet (see the module doc)."""

    name = "SMIC-E"
    reads = "SMIC-E: SMIC-HS's longer clips and SMIC-HS-E_annotation.xlsx"
    sheet_keyword = "annotations"
    sheet_help = "the interval sheet (SMIC-HS-E_annotation.xlsx)"
    fps = SMIC_E_FPS
    read_intervals = staticmethod(read_long_video_intervals)
    generators: ClassVar[dict[str, Generator]] = {
        "smic-e": Generator(
            "landmarkset.synth:synth_smic_e",
            {"subjects": SUBJECTS,
             "clips_per_subject": own_default(int, "Clips per subject.", low=1)},
            "A SMIC-E tree: SMIC-E/HS_long/sN/<clip>/imageN.jpg and SMIC-HS-E_annotation.xlsx.",
            small={"subjects": 2, "clips_per_subject": 2},
        )
    }  # fmt: skip

    def inputs(self) -> list[str]:
        return [self.root, self.annotations]

    def settings(self) -> dict[str, Any]:
        return {
            "dataset": "SMIC-E",
            "fps": SMIC_E_FPS,
            "sheet": os.path.basename(self.annotations),
            "interval_policy": "no apex in the sheet: the middle frame of onset..offset",
        }

    def scan(self) -> Scan:
        sheet = read_sheet_rows(self.annotations)
        self._folders: dict[str, list[str]] = {}
        for folder, subfolders, _ in os.walk(self.root):  # links to folders are not followed: a tree of its own
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in subfolders:
                self._folders.setdefault(name, []).append(os.path.join(folder, name))
        return scan_rows(sheet, lambda row, scan: self._item(row.number, row.cells, scan))

    def _item(self, number: int, cells: dict[str, Any], scan: Scan) -> Optional[Item]:
        subject = _subject(cells["subject"])
        clip = name_cell(cells["filename"], "Filename")
        onset, offset = integer_cell(cells["onset"], "OnsetF"), integer_cell(cells["offset"], "OffsetF")
        first = integer_cell(cells["first"], "FirstF")
        if onset is None or offset is None or first is None:
            raise CellError("OnsetF, OffsetF and FirstF are needed")
        sample = f"{subject}__{clip}__{onset}"
        if offset < onset:
            scan.dropped.append((sample, f"row {number}: OffsetF {offset} before OnsetF {onset}"))
            return None
        found = self._folders.get(clip, [])
        if len(found) != 1:
            raise InputError(f"{len(found) or 'no'} folder(s) named {clip} under the root: one is needed")
        folder = found[0]
        frames = numbered_frames(folder, _number_at_end)
        linked = outside_root(self.root, [folder] + [os.path.join(folder, name) for name in frames.values()])
        if linked is not None:
            raise InputError(f"{os.path.relpath(linked, self.root)} {link_out_of(self.root, linked)}")
        if not all(n in frames for n in range(onset, offset + 1)):
            frames = {position: name for position, name in enumerate(frames.values(), start=1)}
            onset, offset = onset - first + 1, offset - first + 1
            scan.repairs.append((sample, f"frames numbered from FirstF {first}: OnsetF..OffsetF -> {onset}..{offset}"))
            if onset < 1 or offset > len(frames):
                raise InputError(
                    f"frames {onset}..{offset} (from FirstF {first}) are not in "
                    f"{os.path.relpath(folder, self.root)} ({len(frames)} frames)"
                )
        emotion = name_cell(cells["emotion"], "Emotion").lower()
        interval = (onset, (onset + offset) // 2, offset)
        origin = f"{os.path.basename(self.annotations)} row {number}"
        return Item(sample, subject, emotion, folder, frames, origin, interval, "micro", video=clip)


def build_smic_e(root: str, annotations: str, output: str, **options: Any) -> Any:
    """Build a SMIC-E dataset: ``build("smic-e", root, output, annotations=...)`` (options: those of
    :func:`landmarkset.datasets.build_dataset`).

    ``whole_videos``: every frame of each clip, one track per clip (its id the clip's folder; its subject and 100
    fps recorded), for ``landmarkset spot --layout smic-e``; no samples are cut and no ``/dataset`` is written.
    """
    from .build import build

    return build("smic-e", root, output, annotations=annotations, **options)
