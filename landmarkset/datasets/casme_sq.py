"""The CAS(ME)^2 layout (Qu et al., 2017): long videos of frames with macro- and micro-expression intervals.

Found under the root or one wrapper folder down: ``rawpic/s15/15_0101disgustingteeth/img1.jpg`` (or the
``cropped`` or ``selectedpic`` trees), frames numbered by the integer ending their names. The sheet
(``CAS(ME)^2code_final.xlsx``) has three sheets, read by name: the code sheet (``CASMEcode_final``, or the
first; no header row, columns by position: subject number, video name and expression number, onset,
apex, offset, AUs, emotion, expression type, self-report), ``naming rule1`` (a subject's folder number and
its sheet number: the first and last numbers of each row) and ``naming rule2`` (a video's code and name).
A row's frames are in the folder of its subject whose name starts ``<folder number>_<video code>``.

Policies, each recorded: an offset of 0 (the release's) becomes the apex, and an apex of 0 or outside
[onset, offset] the midpoint (``repairs``); a video code written as a number (its leading zero lost) is
read padded to four digits (``repairs``); a row whose offset is before its onset is dropped; a row of a
type not selected is dropped; a cell that is not data, a subject or video the naming rules do not know,
a missing folder and frames not on disk fail their row alone. 30 fps; emotions positive, negative,
surprise, others.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

from ..errors import InputError
from ..extraction.report import Failure
from ..extractors import Option
from ..intervals import Interval
from .cells import CellError, integer_cell, name_cell, text_cell
from .declaration import Generator, LayoutBase, own_default
from .layout import Item, Scan, SheetIntervals, find_tree, link_out_of, numbered_frames, outside_root
from .sheets import Sheet, SheetRow, read_pages, scan_rows

__all__ = ["CASME_SQ_FPS", "CasmeSquaredLayout", "build_casme_sq", "read_code_workbook", "read_long_video_intervals"]

TREES = ("rawpic", "cropped", "selectedpic")
CODE_SHEET = "casmecode_final"
_NUMBER = re.compile(r"^s?(\d+)$", re.IGNORECASE)
_NUMBER_AT_END = re.compile(r"(\d+)$")
CASME_SQ_FPS = 30.0


def _number_at_end(stem: str) -> Optional[int]:
    match = _NUMBER_AT_END.search(stem)
    return int(match.group(1)) if match else None


def _number(cell: Any) -> Optional[int]:
    """A cell as a number (15, "15", "s15"), or None."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)) and float(cell).is_integer():
        return int(cell)
    match = _NUMBER.match(str(cell).strip())
    return int(match.group(1)) if match else None


def _sheet_key(title: str) -> str:
    return re.sub(r"[\s_]+", "", title.lower())


@dataclass
class CodeWorkbook:
    """CAS(ME)^2's code workbook read: the code sheet's rows, naming rule1 (sheet subject number -> folder number),
    naming rule2 (video name -> four-digit code) and the repairs reading them needed."""

    path: str
    rows: list[tuple[int, list[Any]]]
    subjects: dict[int, int]
    videos: dict[str, str]
    repairs: list[tuple[str, str]] = field(default_factory=list)


def read_code_workbook(path: str) -> CodeWorkbook:
    """Read ``path`` (see the module doc); InputError when it is not CAS(ME)^2's code workbook."""
    pages = {_sheet_key(title): content for title, content in read_pages(path).items()}
    rule1 = next((rows for key, (rows, _) in pages.items() if "rule1" in key), None)
    rule2 = next((rows for key, (rows, _) in pages.items() if "rule2" in key), None)
    if rule1 is None or rule2 is None:
        raise InputError(f"{path}: no 'naming rule1' or 'naming rule2' sheet: is this CAS(ME)^2's code_final workbook?")
    subjects = {}
    for row in rule1:
        numbers = [n for n in map(_number, row) if n is not None]
        if len(numbers) >= 2:
            subjects[numbers[-1]] = numbers[0]  # sheet number -> folder number
    videos, repairs = {}, []
    for row in rule2:
        cells = [cell for cell in row if cell is not None and str(cell).strip() and not str(cell).startswith("=")]
        codes = [cell for cell in cells if _number(cell) is not None and not str(cell).lower().startswith("s")]
        names = [str(cell).strip() for cell in cells if _number(cell) is None]
        if codes and names:
            code = str(codes[0]).strip()
            padded = code.zfill(4)
            if padded != code:
                repairs.append((names[0], f"video code {code} in naming rule2 read as {padded}"))
            videos[names[0].lower()] = padded
    rows, notes = pages.get(CODE_SHEET, next(iter(pages.values())))
    repairs += [(f"{os.path.basename(path)} {where}", note) for _, where, note in notes]
    start = 1 if rows and text_cell(rows[0][0] if rows[0] else None, "header").lower() == "subject" else 0
    numbered = [(number, (list(row) + [None] * 9)[:9]) for number, row in enumerate(rows[start:], start=start + 1)]
    kept = [(n, cells) for n, cells in numbered if any(c is not None and str(c).strip() for c in cells)]  # not blank
    return CodeWorkbook(path, kept, subjects, videos, repairs)


@dataclass
class _Row:
    """One code-sheet row, read: its subject, video and interval (repairs listed, not yet recorded)."""

    subject: str
    folder_number: int
    code: str
    expression: str
    onset: int
    apex: int
    offset: int
    kind: str
    emotion: str
    cells: list[Any]
    repairs: list[str]

    @property
    def sample(self) -> str:
        return f"{self.subject}__{self.expression}"

    @property
    def video(self) -> str:
        """The long video's sequence id: its folder's prefix (``15_0101`` for ``s15/15_0101disgustingteeth``)."""
        return f"{self.folder_number}_{self.code}"


def _read_row(
    book: CodeWorkbook, number: int, cells: list[Any], kind_filter: str = "all"
) -> tuple[Optional[_Row], str, str]:
    """(the row, its sample name, "") or (None, its sample name, why a policy or ``kind_filter`` drops it);
    CellError for a cell that is not data."""
    sheet_subject = _number(cells[0])
    if sheet_subject is None or sheet_subject not in book.subjects:
        raise CellError(f"subject {cells[0]!r} is not in naming rule1")
    folder_number = book.subjects[sheet_subject]
    expression = name_cell(cells[1], "video name")
    video_name = expression.rsplit("_", 1)[0]
    code = book.videos.get(video_name.lower())
    if code is None:
        raise CellError(f"video {video_name!r} is not in naming rule2")
    onset, apex, offset = (integer_cell(cells[i], column) for i, column in ((2, "onset"), (3, "apex"), (4, "offset")))
    if onset is None:
        raise CellError("no onset")
    kind_text = text_cell(cells[7], "expression type").lower()
    kind = "micro" if kind_text.startswith("micro") else "macro" if kind_text.startswith("macro") else ""
    if not kind:
        raise CellError(f"expression type {cells[7]!r} is neither macro- nor micro-expression")
    sample = f"s{folder_number}__{expression}"
    if kind_filter != "all" and kind != kind_filter:
        return None, sample, f"type {kind!r} not selected"
    repairs = []
    if (offset is None or offset == 0) and apex:
        repairs.append(f"offset {offset or 0} -> apex {apex}")
        offset = apex
    if offset is None or offset < onset:
        return None, sample, f"row {number}: offset {offset} before onset {onset}"
    if not apex or not onset <= apex <= offset:
        repairs.append(f"apex {apex} -> midpoint {(onset + offset) // 2}")
        apex = (onset + offset) // 2
    emotion = name_cell(cells[6], "emotion").lower()
    row = _Row(f"s{folder_number}", folder_number, code, expression, onset, apex, offset, kind, emotion, cells, repairs)
    return row, sample, ""


def read_long_video_intervals(annotations: str) -> SheetIntervals:
    """Every interval of CAS(ME)^2's code sheet, for spotting its long videos (ids as whole-video builds give them:
    ``15_0101``)."""
    book = read_code_workbook(annotations)
    found = SheetIntervals(annotations, "casme-sq", repairs=list(book.repairs))
    for number, cells in book.rows:
        label = f"{os.path.basename(annotations)} row {number}"
        try:
            row, sample, dropped = _read_row(book, number, cells)
        except CellError as error:
            found.failed.append(Failure(label, str(error)))
            continue
        if row is None:
            found.dropped.append((sample, f"{label}: {dropped}"))
            continue
        found.repairs += [(row.sample, repair) for repair in row.repairs]
        interval = Interval(row.video, row.onset, row.offset, row.kind, row.apex, row.emotion, row.subject)
        found.add(interval, label)
    return found


class CasmeSquaredLayout(LayoutBase):
    """The CAS(ME)^2 tree under ``root`` and its code workbook ``annotations`` (see the module doc)."""

    name = "CAS(ME)^2"
    reads = "CAS(ME)^2: rawpic (or cropped, selectedpic) long videos and CAS(ME)^2code_final.xlsx"
    sheet_keyword = "annotations"
    sheet_help = "the code workbook (CAS(ME)^2code_final.xlsx, with its naming rule sheets)"
    options: ClassVar[dict[str, Option]] = {
        "kind": Option(str, "all", "Which intervals: all, macro or micro.", choices=("all", "macro", "micro")),
        "frames_from": Option(str, "rawpic", "Which frame tree of the release.", choices=TREES),
    }
    fps = CASME_SQ_FPS
    read_intervals = staticmethod(read_long_video_intervals)
    generators: ClassVar[dict[str, Generator]] = {
        "casme-sq": Generator(
            "landmarkset.synth:synth_casme_sq",
            {"subjects": own_default(int, "Generated subjects.", low=1, high=22),
             "videos_per_subject": own_default(int, "Long videos per subject.", low=1, high=4),
             "frames": own_default(int, "Frames per video (30 fps).", low=150)},
            "A CAS(ME)^2 tree: rawpic/sNN/NN_<code><name>/imgN.jpg long videos and CAS(ME)^2code_final.xlsx.",
            small={"subjects": 2, "videos_per_subject": 1, "frames": 150},
        )
    }  # fmt: skip

    def inputs(self) -> list[str]:
        return [self.root, self.annotations]

    def settings(self) -> dict[str, Any]:
        return {
            "dataset": "CAS(ME)^2",
            "frames_from": self.frames_from,
            "type": self.kind,
            "fps": CASME_SQ_FPS,
            "sheet": os.path.basename(self.annotations),
        }

    def scan(self) -> Scan:
        self.tree = find_tree(self.root, self.frames_from, "CAS(ME)^2")
        self._book = read_code_workbook(self.annotations)
        listings: dict[str, dict[int, str]] = {}
        rows = [SheetRow(number, dict(enumerate(cells))) for number, cells in self._book.rows]  # blank rows: none
        sheet = Sheet(self.annotations, 0, rows)
        scan = Scan(repairs=list(self._book.repairs))
        return scan_rows(
            sheet, lambda row, found: self._item(row.number, list(row.cells.values()), found, listings), scan
        )

    def _item(self, number: int, cells: list[Any], scan: Scan, listings: dict[str, dict[int, str]]) -> Optional[Item]:
        row, sample, dropped = _read_row(self._book, number, cells, self.kind)
        if row is None:
            scan.dropped.append((sample, dropped))
            return None
        scan.repairs += [(row.sample, repair) for repair in row.repairs]
        folder = self._video_folder(row.subject, row.folder_number, row.code)
        if folder not in listings:
            listings[folder] = numbered_frames(folder, _number_at_end)
            linked = outside_root(self.root, [folder] + [os.path.join(folder, n) for n in listings[folder].values()])
            if linked is not None:
                listings[folder] = {}
                raise InputError(f"{os.path.relpath(linked, self.root)} {link_out_of(self.root, linked)}")
        frames = listings[folder]
        missing = [n for n in range(row.onset, row.offset + 1) if n not in frames]
        if missing:
            raise InputError(
                f"frames {missing[0]}..{missing[-1]} of {row.onset}..{row.offset} are not in "
                f"{os.path.relpath(folder, self.root)} ({len(missing)} missing)"
            )
        extra = {"aus": text_cell(cells[5], "AUs"), "self_report": text_cell(cells[8], "self-report")}
        return Item(
            row.sample,
            row.subject,
            row.emotion,
            folder,
            frames,
            f"{os.path.basename(self.annotations)} row {number}",
            (row.onset, row.apex, row.offset),
            row.kind,
            extra,
            video=row.video,
        )

    def _video_folder(self, subject: str, folder_number: int, code: str) -> str:
        where = os.path.join(self.tree, subject)
        if not os.path.isdir(where):
            raise InputError(f"no folder {os.path.relpath(where, self.root)}")
        prefix = f"{folder_number}_{code}"
        matches = [name for name in sorted(os.listdir(where)) if name.startswith(prefix) and not name.startswith(".")]
        if len(matches) != 1:
            found = "none" if not matches else ", ".join(matches)
            raise InputError(
                f"{len(matches)} folders in {os.path.relpath(where, self.root)} start with {prefix} "
                f"({found}): one is needed"
            )
        return os.path.join(where, matches[0])


def build_casme_sq(root: str, annotations: str, output: str, **options: Any) -> Any:
    """Build a CAS(ME)^2 dataset: ``build("casme-sq", root, output, annotations=...)`` (``kind``,
    ``frames_from``; the other options: those of :func:`landmarkset.datasets.build_dataset`).

    ``whole_videos``: every frame of every long video the sheet names, one track per video (its id the folder's
    prefix, e.g. ``15_0101``; its subject and 30 fps recorded), for ``landmarkset spot --layout casme-sq`` and
    ``train-spotter``; no samples are cut and no ``/dataset`` is written.
    """
    from .build import build

    return build("casme-sq", root, output, annotations=annotations, **options)
