"""SAMM and SAMM Long Videos as distributed -> a training-ready dataset, as the paper prepared it.

Both releases are read from their spreadsheet: the micro-expression v2 sheet (header row found by its
first cell "Subject", columns by name) and the long-video sheet (columns by position). Only the frames a
sample needs are decoded. Every known defect of the real annotations has an explicit policy, and every
repair or drop is recorded in the dataset. Cells are data: a row whose cells cannot be read (text or
formulas for numbers, infinite or huge numbers, names that would leave the dataset root) fails alone.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

from ..errors import InputError, OptionError
from ..extraction.report import Failure
from ..extractors import Option
from ..facs import EMOTION_AUS
from ..intervals import Interval
from ..names import name_problem, within
from .build import BuildReport
from .cells import CellError, integer_cell, name_cell, text_cell
from .declaration import SUBJECTS, Generator, LayoutBase, own_default
from .layout import Item, Scan, SheetIntervals, link_out_of, numbered_frames, outside_root
from .sheets import read_rows

__all__ = [
    "Annotation",
    "AnnotationSheet",
    "SammLayout",
    "au_emotion",
    "au_set",
    "build_samm",
    "read_annotations",
    "read_long_video_intervals",
]

# EMFACS-style prototypes (shared/reference/datasets.md); contempt is one-sided.
# Tie-break policy of au_emotion: when two prototypes cover an AU string equally, the first here wins.
_MATCH_ORDER = ("happy", "sadness", "surprise", "fear", "anger", "disgust", "contempt")
PROTOTYPES = {emotion: set(EMOTION_AUS[emotion]) for emotion in _MATCH_ORDER}
SAMM_LABELS = {
    "anger": "anger",
    "contempt": "contempt",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "happy",
    "sadness": "sadness",
    "surprise": "surprise",
    "other": "other",
}
SAMM_FPS = 200.0  # both releases were filmed at 200 fps (the sheet's frame numbers count those frames)
NO_EMOTION = "other"  # a long-video interval whose Action Units no prototype covers (SAMM's own "Other")
_LONG_COLUMNS = ("subject", "filename", "inducement", "onset", "apex", "offset", "duration", "type", "aus", "notes")


@dataclass
class Annotation:
    """One row of a SAMM sheet, after the defect policies."""

    row: int  # Excel row
    subject: str
    filename: str
    onset: int
    apex: int
    offset: int
    kind: str  # "micro" or "macro"
    aus: str
    emotion: Optional[str]  # from the sheet's Estimated Emotion (micro release), normalised
    repairs: list[str]


def au_set(text: str) -> set[str]:
    """AU codes in a SAMM AU string: intensity letters dropped, laterality kept ('B4+R12' -> {'4', 'R12'}).

    Alternatives ('12 or 14') keep the first, the documented policy for that defect.
    """
    first = re.split(r"\bor\b", str(text or ""), flags=re.IGNORECASE)[0]
    codes = set()
    for token in re.split(r"[+,;/\s]+", first):
        match = re.fullmatch(r"([RL]?)[A-E]?([RL]?)(\d+)[A-E]?", token.strip().upper())
        if match:
            codes.add((match.group(1) or match.group(2)) + str(int(match.group(3))))
    return codes


def au_emotion(text: str, minimum: float = 0.5) -> Optional[str]:
    """The prototype emotion that best covers an AU string (share of the prototype's AUs present); None if < minimum."""
    present = au_set(text)
    numbers = {code.lstrip("RL") for code in present}
    best, score = None, 0.0
    for emotion, prototype in PROTOTYPES.items():
        found = present if emotion == "contempt" else numbers
        share = len(prototype & found) / len(prototype)
        if share > score:
            best, score = emotion, share
    return best if score >= minimum else None


@dataclass
class AnnotationSheet:
    """A SAMM sheet read row by row: its release ("micro" or "long"), the rows after the defect policies,
    rows dropped by a policy and rows that could not be read (each with its reason)."""

    path: str
    release: str
    rows: list[Annotation] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (rows, note): merged cells, hidden rows


def _header(path: str, rows: list[tuple]) -> tuple[int, str, dict[str, int]]:
    """(index of the header row, release, column of each field)."""
    header_at = next((i for i, row in enumerate(rows) if row and str(row[0] or "").strip() == "Subject"), None)
    if header_at is None:
        raise InputError(
            f"{path}: no header row (a row whose first cell is 'Subject'): is this a SAMM annotation sheet?"
        )
    header = [str(cell or "").strip() for cell in rows[header_at]]
    if "Estimated Emotion" not in header:
        return header_at, "long", {key: index for index, key in enumerate(_LONG_COLUMNS)}  # V1: by position
    names = {
        "Subject": "subject",
        "Filename": "filename",
        "Onset Frame": "onset",
        "Apex Frame": "apex",
        "Offset Frame": "offset",
        "Action Units": "aus",
        "Estimated Emotion": "emotion",
    }
    missing = [name for name in names if name not in header]
    if missing:
        raise InputError(f"{path}: header row {header_at + 1} has no {missing[0]!r} column")
    return header_at, "micro", {key: header.index(name) for name, key in names.items()}


def _row(release: str, number: int, cells: dict[str, Any], on_defect: str) -> tuple[Optional[Annotation], str]:
    """One sheet row after the defect policies: (annotation, "") or (None, why it is dropped).

    Raises CellError for a cell that cannot be read.
    """
    filename = name_cell(cells["filename"], "Filename")
    subject = name_cell(cells["subject"], "Subject")
    onset, apex, end = (integer_cell(cells[key], key.capitalize()) for key in ("onset", "apex", "offset"))
    repairs = []
    if end is None or onset is None or end <= 0 or onset < 0 or end < max(onset, 1):
        return None, f"offset {cells['offset']!r} missing or before onset {cells['onset']!r}"
    if onset == 0:
        repairs.append("onset 0 -> 1")
        onset = 1
    if apex is None or not onset <= apex <= end:
        repairs.append(f"apex {cells['apex']!r} outside [onset, offset] -> midpoint")
        apex = (onset + end) // 2
    aus = text_cell(cells["aus"], "Action Units")
    if re.search(r"\bor\b", aus, flags=re.IGNORECASE):
        repairs.append("AU alternatives -> first")
    if repairs and on_defect == "drop":
        return None, "; ".join(repairs)
    kind = "micro" if release == "micro" or text_cell(cells["type"], "Type").lower().startswith("micro") else "macro"
    emotion = SAMM_LABELS.get(text_cell(cells["emotion"], "Estimated Emotion").lower()) if release == "micro" else None
    return Annotation(number, subject, filename, onset, apex, end, kind, aus, emotion, repairs), ""


def read_annotations(path: str, *, on_defect: str = "repair") -> AnnotationSheet:
    """Read a SAMM spreadsheet row by row (a row that cannot be read fails alone, in ``failed``).

    Policies with ``on_defect="repair"``: onset 0 -> 1; apex missing, negative or outside [onset, offset]
    -> midpoint of onset and offset; AU alternatives ('or') -> the first. A row whose offset is missing or
    before its onset is dropped. With ``on_defect="drop"`` every defective row is dropped instead.
    """
    if on_defect not in ("repair", "drop"):
        raise OptionError(
            f"The 'on_defect' parameter of read_annotations must be 'repair' or 'drop'. Got {on_defect!r}."
        )
    # V1's long-video sheet is "FACS_Movement_Only"; later versions and the micro sheet: the first
    rows, notes = read_rows(path, lambda names: "FACS_Movement_Only" if "FACS_Movement_Only" in names else None)
    header_at, release, position = _header(path, rows)
    result = AnnotationSheet(path, release)
    result.notes = [(where, note) for row, where, note in notes if row > header_at + 1]
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not row or all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
            continue  # a blank row
        cells = {key: row[index] if index < len(row) else None for key, index in position.items()}
        cells.setdefault("type", None)
        cells.setdefault("emotion", None)
        label = f"row {number}"
        try:
            annotation, dropped = _row(release, number, cells, on_defect)
        except CellError as error:
            name = cells.get("filename")
            result.failed.append(Failure(path, f"{label}{f' ({name})' if name else ''}: {error}"))
            continue
        if annotation is None:
            result.dropped.append((str(cells["filename"]), f"{label}: {dropped}"))
        else:
            result.rows.append(annotation)
    return result


def _number_after_last_underscore(stem: str) -> Optional[int]:
    """SAMM's frame number: the integer after the last '_' (006_05562, 006_1_0001)."""
    digits = stem.rsplit("_", 1)[-1]
    return int(digits) if digits.isdigit() else None


def _load_mapping(path: str) -> dict[str, str]:
    """A user label mapping: JSON {filename: emotion} or CSV lines 'filename,emotion'."""
    try:
        with open(path, encoding="utf-8-sig") as handle:  # -sig: a byte order mark is not part of the first name
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the label mapping ({type(error).__name__})") from None
    if path.lower().endswith(".json"):
        try:
            pairs = json.loads(text)
        except ValueError as error:
            raise InputError(f"{path}: not JSON ({error})") from None
        if not isinstance(pairs, dict):
            raise InputError(f"{path}: expected a JSON object {{filename: emotion}}")
        return {str(k): str(v).strip().lower() for k, v in pairs.items()}
    mapping = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            parts = [part.strip() for part in line.split(",")]
            if len(parts) != 2:
                raise InputError(f"{path}: line {number}: expected 'filename,emotion'")
            mapping[parts[0]] = parts[1].lower()
    return mapping


def long_video_of(filename: str) -> str:
    """The long video a SAMM long-video row's Filename names: "006_1_2" is interval 2 of video 006_1."""
    return filename.rsplit("_", 1)[0]


def read_long_video_intervals(annotations: str, *, on_defect: str = "repair") -> SheetIntervals:
    """The intervals of a SAMM long-video sheet, for spotting (their emotion from their Action Units: the sheet has
    no emotion column; "other" when no prototype covers them). The micro-expression sheet is refused: its clips
    are cut already, there is no long video to spot in."""
    sheet = read_annotations(annotations, on_defect=on_defect)
    if sheet.release != "long":
        raise InputError(
            f"{annotations} is SAMM's micro-expression sheet (clips cut already): spotting scores long videos against "
            "the long-video sheet (SAMM_LongVideos_V1_Release.xlsx)"
        )
    found = SheetIntervals(annotations, "samm", failed=list(sheet.failed), dropped=list(sheet.dropped))
    found.repairs = [(f"{os.path.basename(annotations)} {where}", note) for where, note in sheet.notes]
    for row in sheet.rows:
        found.repairs += [(f"row {row.row} ({row.filename})", repair) for repair in row.repairs]
        emotion = row.emotion or au_emotion(row.aus) or NO_EMOTION
        video = long_video_of(row.filename)
        found.add(Interval(video, row.onset, row.offset, row.kind, row.apex, emotion, row.subject), f"row {row.row}")
    return found


class SammLayout(LayoutBase):
    """A SAMM (micro-expression) or SAMM Long Videos tree and its annotation sheet."""

    reads = "SAMM and SAMM Long Videos with their .xlsx sheet"
    sheet_keyword = "annotations"
    sheet_help = "the release's .xlsx sheet (SAMM_Micro_FACS_Codes_v2.xlsx or SAMM_LongVideos_V1_Release.xlsx)"
    options: ClassVar[dict[str, Option]] = {
        "kind": Option(str, "all", "Which intervals: all, macro or micro.", choices=("all", "macro", "micro")),
        "labels": Option(str, "estimated", "'estimated' (Estimated Emotion column), 'aus' (EMFACS prototypes) or a "
                         "mapping file (JSON {filename: emotion} or CSV filename,emotion)."),
        "on_defect": Option(str, "repair", "Policy for the known annotation defects (see docs/datasets.md).",
                            choices=("repair", "drop")),
        "keep_other": Option(bool, False, "Keep samples whose emotion is 'Other'."),
    }  # fmt: skip
    fps = SAMM_FPS
    read_intervals = staticmethod(read_long_video_intervals)
    generators: ClassVar[dict[str, Generator]] = {
        "samm": Generator(
            "landmarkset.synth:synth_samm",
            {"subjects": SUBJECTS,
             "clips_per_subject": own_default(int, "Micro-expression clips per subject.", low=1)},
            "A SAMM micro-expression tree: SAMM/<subject>/<clip>/ frames and SAMM_Micro_FACS_Codes_v2.xlsx.",
            small={"subjects": 2, "clips_per_subject": 3},
        ),
        "samm-long": Generator(
            "landmarkset.synth:synth_samm_long",
            {"subjects": SUBJECTS,
             "videos_per_subject": own_default(int, "Long videos per subject.", low=1),
             "frames": own_default(int, "Frames per video (200 fps).", low=300, high=9999),
             "nuisances": own_default(str, "Motion between the intervals: 'none' (a still face, as before 0.5) or a "
                                      "comma list of blinks, head_rotation, drift (speech does not apply: the "
                                      "participants watch in silence).")},
            "A SAMM Long Videos tree: SAMM_longvideos/<video>/ frames and SAMM_LongVideos_V1_Release.xlsx.",
        ),
    }  # fmt: skip

    @functools.cached_property
    def sheet(self) -> AnnotationSheet:
        """The annotation sheet, read on first use."""
        if not os.path.isdir(self.root):
            raise InputError(f"{self.root}: no such folder")
        sheet = read_annotations(self.annotations, on_defect=self.on_defect)
        if self.whole_videos and sheet.release != "long":
            raise OptionError(
                f"{self.annotations} is the micro-expression sheet, whose clips are already cut: whole videos come "
                "from the long-video release (SAMM_LongVideos_V1_Release.xlsx)"
            )
        if self.labels == "estimated" and sheet.release == "long" and not self.whole_videos:
            raise OptionError("The long-video sheet has no emotion column: use labels='aus' or a mapping file")
        return sheet

    @functools.cached_property
    def mapping(self) -> Optional[dict[str, str]]:
        return _load_mapping(self.labels) if self.labels not in ("estimated", "aus") else None

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"SAMM ({'micro-expressions' if self.sheet.release == 'micro' else 'long videos'})"

    def inputs(self) -> list[str]:
        return [self.root, self.annotations] + ([self.labels] if self.labels not in ("estimated", "aus") else [])

    def settings(self) -> dict[str, Any]:
        return {
            "dataset": self.name,
            "annotations": os.path.abspath(self.annotations),
            "type": self.kind,
            "labels": self.labels,
            "on_defect": self.on_defect,
            "keep_other": int(self.keep_other),
            "whole_videos": int(self.whole_videos),
        }

    def _folder(self, row: Annotation) -> str:
        """Where a row's frames are: SAMM/<subject>/<filename>/ or SAMM_longvideos/<video>/ (one wrapper level)."""
        tree = "SAMM" if self.sheet.release == "micro" else "SAMM_longvideos"
        base = os.path.join(self.root, tree) if os.path.isdir(os.path.join(self.root, tree)) else self.root
        if self.sheet.release == "micro":
            return within(base, row.subject.zfill(3), row.filename)
        return within(base, long_video_of(row.filename))

    def _label(self, row: Annotation) -> tuple[Optional[str], str]:
        """(emotion, "") or (None, why there is none)."""
        if self.labels == "estimated":
            emotion = row.emotion
        elif self.labels == "aus":
            emotion = au_emotion(row.aus)
        else:
            emotion = (self.mapping or {}).get(row.filename)
        if emotion is None:
            return None, f"no emotion ({self.labels})"
        if emotion == "other" and not self.keep_other:
            return None, "emotion 'other'"
        problem = name_problem(emotion)
        if problem is not None:
            return None, f"emotion {emotion[:40]!r} cannot be a class name: {problem}"
        return emotion, ""

    def scan(self) -> Scan:
        scan = Scan(failed=list(self.sheet.failed), dropped=list(self.sheet.dropped))
        scan.repairs += [(f"{os.path.basename(self.annotations)} {where}", note) for where, note in self.sheet.notes]
        listings: dict[str, dict[int, str]] = {}  # long videos: many rows per folder
        links: dict[str, Optional[str]] = {}  # folder -> its first file outside the root (None: none)
        for row in self.sheet.rows:
            origin = f"{self.annotations} row {row.row}"
            if self.kind != "all" and row.kind != self.kind:
                scan.dropped.append((row.filename, f"type {row.kind!r} not selected"))
                continue
            emotion, why = self._label(row) if not self.whole_videos else (row.emotion or "", "")
            if emotion is None:  # whole videos keep every frame, so every row names its video
                scan.dropped.append((row.filename, why))
                continue
            try:
                folder = self._folder(row)
            except ValueError as error:
                scan.failed.append(Failure(self.annotations, f"row {row.row} ({row.filename}): {error}"))
                continue
            if folder not in listings:
                try:
                    listings[folder] = (
                        numbered_frames(folder, _number_after_last_underscore) if os.path.isdir(folder) else {}
                    )
                except OSError as error:  # an unreadable clip folder fails alone
                    scan.failed.append(Failure(folder, f"cannot list this folder ({error.strerror or error})"))
                    listings[folder] = {}
                    continue
            frames = listings[folder]
            if folder not in links:  # long videos: checked once per folder
                links[folder] = outside_root(self.root, [folder] + [os.path.join(folder, n) for n in frames.values()])
            linked = links[folder]
            if linked is not None:
                scan.failed.append(Failure(linked, link_out_of(self.root, linked)))
                continue
            if not frames:
                scan.failed.append(Failure(folder, f"no frames of {row.filename} (sheet row {row.row}) found here"))
                continue
            last = max(frames)
            if row.offset > last:
                row.repairs.append(f"end frame {row.offset} past the last frame on disk ({last}) -> {last}")
                row.offset, row.apex = last, min(row.apex, last)
                if row.onset > last:
                    scan.failed.append(Failure(folder, f"onset {row.onset} of {row.filename} is past the last frame"))
                    continue
            scan.repairs += [(row.filename, repair) for repair in row.repairs]
            scan.items.append(
                Item(
                    id=row.filename,
                    subject=row.subject,
                    label=emotion,
                    folder=folder,
                    frames=frames,
                    origin=origin,
                    interval=(row.onset, row.apex, row.offset),
                    kind=row.kind,
                    video=long_video_of(row.filename) if self.sheet.release == "long" else "",
                )
            )
        return scan


def build_samm(root: str, annotations: str, output: str, **options: Any) -> BuildReport:
    """Build a SAMM dataset (``build("samm", root, output, annotations=...)``): ``frames`` frames from onset to
    offset, or to apex with ``span="onset-apex"`` (``apex=True``, the paper).

    ``kind``: "all", "macro" or "micro" intervals. ``labels``: "estimated" (the micro sheet's Estimated
    Emotion), "aus" (EMFACS prototypes from the Action Units) or a mapping file; "Other" is kept only with
    ``keep_other``. ``on_defect``: "repair" or "drop" the known annotation defects. ``per_class`` (or
    ``per_emotion``) keeps that many random samples per emotion. The other options are those of
    :func:`landmarkset.datasets.build_dataset`. Each sample's interval and kind (macro / micro) are recorded for
    MEGC-style evaluation.

    ``whole_videos`` (long-video sheet only): every frame of every video the sheet names, one track per
    video (its id the sheet's video name, e.g. ``006_1``; its subject and SAMM's 200 fps recorded), for
    ``landmarkset spot`` and ``train-spotter``; no samples are cut and no ``/dataset`` is written.
    """
    from .build import build

    return build("samm", root, output, annotations=annotations, **options)
