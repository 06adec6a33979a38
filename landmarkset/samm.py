"""SAMM and SAMM Long Videos as distributed -> a training-ready dataset, as the paper prepared it.

Both releases are read from their spreadsheet: the micro-expression v2 sheet (header row found by its
first cell "Subject", columns by name) and the long-video sheet (columns by position). Only the frames a
sample needs are decoded. Every known defect of the real annotations has an explicit policy, and every
repair or drop is recorded in the dataset.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ._version import __version__
from .ckplus import BuildReport
from .crops import write_crops
from .dataset import DatasetBuilder, resample_indices, write_dataset
from .errors import InputError, OptionError
from .extract import Failure, extract
from .readers import Source, natural_key
from .store import open_tracks

__all__ = ["Annotation", "au_emotion", "build_samm", "read_annotations"]

# EMFACS-style prototypes (shared/reference/datasets.md); contempt is one-sided.
PROTOTYPES = {
    "happy": {"6", "12"},
    "sadness": {"1", "4", "15"},
    "surprise": {"1", "2", "5", "26"},
    "fear": {"1", "2", "4", "5", "7", "20", "26"},
    "anger": {"4", "5", "7", "23"},
    "disgust": {"9", "15", "16"},
    "contempt": {"R12", "R14"},
}
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


def _int(value: Any) -> Optional[int]:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


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


def read_annotations(path: str, on_defect: str = "repair") -> tuple[str, list[Annotation], list[tuple[str, str]]]:
    """(release "micro" or "long", annotations, dropped rows with reasons) from a SAMM spreadsheet.

    Policies with ``on_defect="repair"``: onset 0 -> 1; apex missing, negative or outside [onset, offset]
    -> midpoint of onset and offset; AU alternatives ('or') -> the first. A row whose offset is missing or
    before its onset is dropped. With ``on_defect="drop"`` every defective row is dropped instead.
    """
    import openpyxl

    if on_defect not in ("repair", "drop"):
        raise OptionError(
            f"The 'on_defect' parameter of read_annotations must be 'repair' or 'drop'. Got {on_defect!r}."
        )
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for non-xlsx files
        raise InputError(f"{path}: cannot read as an .xlsx spreadsheet ({type(error).__name__})") from None
    sheet = book["FACS_Movement_Only"] if "FACS_Movement_Only" in book.sheetnames else book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    header_at = next((i for i, row in enumerate(rows) if row and str(row[0] or "").strip() == "Subject"), None)
    if header_at is None:
        raise InputError(
            f"{path}: no header row (a row whose first cell is 'Subject'): is this a SAMM annotation sheet?"
        )
    header = [str(cell or "").strip() for cell in rows[header_at]]
    release = "micro" if "Estimated Emotion" in header else "long"
    if release == "micro":
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
        position = {key: header.index(name) for name, key in names.items()}
    else:
        position = {key: index for index, key in enumerate(_LONG_COLUMNS)}  # V1: columns by position
    annotations, dropped = [], []
    for offset_row, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not row or row[position["filename"]] in (None, ""):
            continue

        def cell(key: str, row: tuple = row) -> Any:
            return row[position[key]] if position[key] < len(row) else None

        filename, repairs = str(cell("filename")).strip(), []
        onset, apex, end = _int(cell("onset")), _int(cell("apex")), _int(cell("offset"))
        if end is None or onset is None or end <= 0 or end < (onset or 1):
            dropped.append((filename, f"row {offset_row}: offset {cell('offset')!r} missing or before onset"))
            continue
        if onset == 0:
            repairs.append("onset 0 -> 1")
            onset = 1
        if apex is None or not onset <= apex <= end:
            repairs.append(f"apex {cell('apex')!r} outside [onset, offset] -> midpoint")
            apex = (onset + end) // 2
        aus = str(cell("aus") or "")
        if re.search(r"\bor\b", aus, flags=re.IGNORECASE):
            repairs.append("AU alternatives -> first")
        if repairs and on_defect == "drop":
            dropped.append((filename, f"row {offset_row}: " + "; ".join(repairs)))
            continue
        kind = "micro" if release == "micro" or str(cell("type") or "").lower().startswith("micro") else "macro"
        emotion = SAMM_LABELS.get(str(cell("emotion") or "").strip().lower()) if release == "micro" else None
        annotations.append(
            Annotation(
                offset_row, str(cell("subject")).strip(), filename, onset, apex, end, kind, aus, emotion, repairs
            )
        )
    return release, annotations, dropped


def _frames_folder(root: str, release: str, annotation: Annotation) -> str:
    """Where a row's frames are: SAMM/<subject>/<filename>/ or SAMM_longvideos/<video>/ (one wrapper level)."""
    tree = "SAMM" if release == "micro" else "SAMM_longvideos"
    base = os.path.join(root, tree) if os.path.isdir(os.path.join(root, tree)) else root
    if release == "micro":
        return os.path.join(base, annotation.subject.zfill(3), annotation.filename)
    return os.path.join(base, annotation.filename.rsplit("_", 1)[0])


def _numbered_frames(folder: str) -> dict[int, str]:
    """Frame number (the integer after the last '_') -> file name."""
    frames = {}
    for name in sorted(os.listdir(folder), key=natural_key):
        stem, extension = os.path.splitext(name)
        if not name.startswith(".") and extension.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"):
            number = _int(stem.rsplit("_", 1)[-1])
            if number is not None:
                frames[number] = name
    return frames


def _load_mapping(path: str) -> dict[str, str]:
    """A user label mapping: JSON {filename: emotion} or CSV lines 'filename,emotion'."""
    with open(path) as handle:
        text = handle.read()
    if path.lower().endswith(".json"):
        return {str(k): str(v).lower() for k, v in json.loads(text).items()}
    mapping = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            parts = [part.strip() for part in line.split(",")]
            if len(parts) != 2:
                raise InputError(f"{path}: line {number}: expected 'filename,emotion'")
            mapping[parts[0]] = parts[1].lower()
    return mapping


def build_samm(
    root: str,
    annotations: str,
    output: str,
    backend: str = "mediapipe",
    options: Optional[dict[str, Any]] = None,
    kind: str = "all",
    apex: bool = False,
    frames: int = 20,
    min_frames: int = 10,
    per_emotion: Optional[int] = None,
    neutral: int = 0,
    labels: str = "estimated",
    on_defect: str = "repair",
    keep_other: bool = False,
    seed: int = 0,
    workers: int = 1,
    progress: Optional[bool] = None,
    crops: bool = False,
    crop_size: int = 224,
) -> BuildReport:
    """Build a SAMM dataset: ``frames`` frames from onset to apex (``apex=True``, the paper) or to offset.

    ``labels``: "estimated" (the micro sheet's Estimated Emotion), "aus" (EMFACS prototypes from the Action
    Units) or a mapping file. Intervals shorter than ``min_frames`` frames are dropped; ``per_emotion``
    keeps that many random samples per emotion; ``neutral`` adds synthetic neutral samples (first frame
    repeated) from random samples; ``crops`` also stores aligned face crops (``/dataset/crops``, for the SCN).
    Each sample's interval and kind (macro / micro) are recorded for MEGC-style evaluation.
    """
    if kind not in ("all", "macro", "micro"):
        raise OptionError(f"The 'kind' parameter of build_samm must be 'all', 'macro' or 'micro'. Got {kind!r}.")
    release, rows, dropped = read_annotations(annotations, on_defect)
    if labels == "estimated" and release == "long":
        raise OptionError("The long-video sheet has no emotion column: use labels='aus' or a mapping file")
    mapping = _load_mapping(labels) if labels not in ("estimated", "aus") else None
    report = BuildReport(output=output)
    rng = np.random.default_rng(seed)
    chosen: list[tuple[Annotation, str, list[int]]] = []
    for row in rows:
        if kind != "all" and row.kind != kind:
            continue
        emotion = (
            row.emotion
            if labels == "estimated"
            else au_emotion(row.aus)
            if labels == "aus"
            else mapping.get(row.filename)
        )
        if emotion is None or (emotion == "other" and not keep_other):
            dropped.append((row.filename, f"no emotion ({labels})" if emotion is None else "emotion 'other'"))
            continue
        end = row.apex if apex else row.offset
        if end - row.onset + 1 < min_frames:
            dropped.append((row.filename, f"{end - row.onset + 1} frames, fewer than min_frames={min_frames}"))
            continue
        folder = _frames_folder(root, release, row)
        if not os.path.isdir(folder):
            report.failed.append(Failure(folder, f"frames of {row.filename} (sheet row {row.row}) not found"))
            continue
        on_disk = _numbered_frames(folder)
        last = max(on_disk) if on_disk else 0
        if end > last:
            row.repairs.append(f"end frame {end} past the last frame on disk ({last}) -> {last}")
            end = last
        wanted = sorted(set((row.onset + resample_indices(end - row.onset + 1, frames)).tolist()))
        absent = [n for n in wanted if n not in on_disk]
        if absent:
            report.failed.append(Failure(folder, f"frame {absent[0]} of {row.filename} is not on disk"))
            continue
        chosen.append((row, emotion, wanted))
    if per_emotion is not None:
        by_emotion: dict[str, list[int]] = {}
        for index, (_, emotion, _) in enumerate(chosen):
            by_emotion.setdefault(emotion, []).append(index)
        keep = sorted(
            i
            for group in by_emotion.values()
            for i in rng.choice(group, size=min(per_emotion, len(group)), replace=False).tolist()
        )
        chosen = [chosen[i] for i in keep]
    sources = []
    for row, _, wanted in chosen:
        folder = _frames_folder(root, release, row)
        on_disk = _numbered_frames(folder)
        sources.append(
            Source(
                folder,
                row.filename,
                "images",
                select=[on_disk[n] for n in wanted],
                frame_numbers=[n - 1 for n in wanted],
            )
        )
    annotations_by_id = {row.filename: {"subject": row.subject, "label": emotion} for row, emotion, _ in chosen}
    report.extraction = extract(
        sources,
        output,
        backend=backend,
        options=options,
        workers=workers,
        progress=progress,
        annotations=annotations_by_id,
    )
    report.failed += report.extraction.failed
    classes = sorted({emotion for _, emotion, _ in chosen})
    builder = DatasetBuilder(frames=frames, min_frames=1, classes=classes)
    with open_tracks(output) as tracks:
        for row, emotion, _ in chosen:
            if row.filename in tracks:
                builder.add_track(
                    tracks[row.filename], label=emotion, subject=row.subject, interval=(row.onset, row.apex, row.offset)
                )
    builder.dropped = dropped + builder.dropped
    if neutral:
        builder.add_neutral(min(neutral, len(builder.samples)), seed=seed)
    repairs = [(row.filename, repair) for row, _, _ in chosen for repair in row.repairs]
    dataset = builder.build(
        dataset=f"SAMM ({'micro-expressions' if release == 'micro' else 'long videos'})",
        root=os.path.abspath(root),
        annotations=os.path.abspath(annotations),
        landmarks=backend,
        type=kind,
        span="onset-apex" if apex else "onset-offset",
        interval_min_frames=min_frames,
        per_emotion=-1 if per_emotion is None else per_emotion,
        labels=labels,
        on_defect=on_defect,
        repairs=repairs,
        neutral=neutral,
        seed=seed,
        builder=f"landmarkset {__version__}",
    )
    kinds = {row.filename: row.kind for row, _, _ in chosen}
    dataset.attrs["interval_kinds"] = json.dumps([kinds.get(name, "") for name in dataset.sequence])
    write_dataset(output, dataset)
    if crops:  # aligned face crops for the image model, read from the same frames
        write_crops(output, size=crop_size, progress=progress)
    report.dataset = dataset
    return report
