"""CK+ as the licence holders receive it -> a training-ready dataset, as the paper prepared it.

Layout (shared reference facts): cohn-kanade-images/S005/001/S005_001_00000001.png, one Landmarks file
per frame, one FACS file per sequence, an Emotion file only for the 327 labelled sequences. One extra
wrapper folder level is tolerated (e.g. Emotion_labels/Emotion, Landmarks/Landmarks).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import cv2
import numpy as np

from ._version import __version__
from .crops import write_crops
from .dataset import Dataset, DatasetBuilder, write_dataset
from .errors import InputError
from .extract import Failure, extract
from .readers import Source, natural_key
from .store import Track, TrackWriter, open_tracks

__all__ = ["CKPLUS_EMOTIONS", "BuildReport", "build_ckplus", "find_ckplus", "scan_ckplus"]

CKPLUS_EMOTIONS = {
    0: "neutral",
    1: "anger",
    2: "contempt",
    3: "disgust",
    4: "fear",
    5: "happy",
    6: "sadness",
    7: "surprise",
}
TREES = ("cohn-kanade-images", "Landmarks", "FACS", "Emotion")
_FRAME = re.compile(r"^(S\d+)_(\d+)_(\d+)\.(png|jpg|jpeg|bmp|tif|tiff)$", re.IGNORECASE)


@dataclass
class CkplusSequence:
    subject: str
    sequence: str
    folder: str
    frames: list[tuple[int, str]]  # (frame number, file name), sorted by number
    emotion_file: Optional[str] = None

    @property
    def id(self) -> str:
        return f"{self.subject}__{self.sequence}"


@dataclass
class BuildReport:
    """What a build did: the dataset, failures (one line each) and the output path."""

    output: str
    dataset: Optional[Dataset] = None
    failed: list[Failure] = field(default_factory=list)
    extraction: Any = None

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        lines = []
        if self.dataset is not None:
            lines += [f"dataset written to {self.output}:/dataset", self.dataset.counts_table()]
            dropped = json.loads(self.dataset.attrs.get("dropped", "[]"))
            # One line per reason ("8 frames, fewer than ..." and "9 frames, ..." are one reason).
            reasons = Counter(re.sub(r"^\d+ frames, |^a face on only \d+ of \d+ frames", "", r) for _, r in dropped)
            for reason, count in sorted(reasons.items()):
                lines.append(f"dropped {count} sequence(s): {reason or 'too few frames with a face'}")
        lines += [f"FAILED {failure.path}: {failure.reason}" for failure in self.failed]
        return "\n".join(lines)


def find_ckplus(root: str) -> dict[str, Optional[str]]:
    """The four CK+ trees under ``root`` (None where absent), allowing one wrapper folder level."""
    if not os.path.isdir(root):
        raise InputError(f"{root}: no such folder")
    found: dict[str, Optional[str]] = {}
    children = [os.path.join(root, name) for name in sorted(os.listdir(root)) if not name.startswith(".")]
    for tree in TREES:
        # The right folder holds subject folders (S005...): Landmarks/Landmarks is a wrapper, then the tree.
        candidates = [os.path.join(root, tree)] + [os.path.join(child, tree) for child in children]
        found[tree] = next((c for c in candidates if os.path.isdir(c) and _has_subjects(c)), None)
    if found["cohn-kanade-images"] is None:
        raise InputError(f"{root}: no cohn-kanade-images folder (checked one wrapper level down): is this CK+?")
    return found


def _has_subjects(folder: str) -> bool:
    return any(re.fullmatch(r"S\d+", name) and os.path.isdir(os.path.join(folder, name)) for name in os.listdir(folder))


def read_code(path: str) -> int:
    """The emotion code in a CK+ Emotion file (one float, e.g. '   3.0000000e+00')."""
    with open(path) as handle:
        text = handle.read().split()
    try:
        code = int(float(text[0]))
    except (ValueError, IndexError):
        raise InputError(
            f"{path}: not a CK+ emotion file (expected one number, found {' '.join(text)[:40]!r})"
        ) from None
    if code not in CKPLUS_EMOTIONS:
        raise InputError(f"{path}: emotion code {code} is not a CK+ code (0-7)")
    return code


def read_landmarks_file(path: str) -> np.ndarray:
    """68 (x, y) pixel points from a CK+ Landmarks file."""
    try:
        points = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError:
        raise InputError(f"{path}: not a CK+ landmarks file (68 lines of two numbers)") from None
    if points.shape != (68, 2):
        raise InputError(f"{path}: {points.shape[0]} rows of {points.shape[1]} numbers, expected 68 rows of 2")
    return points


def scan_ckplus(trees: dict[str, Optional[str]]) -> tuple[list[CkplusSequence], list[Failure]]:
    """Every sequence folder with its frames (sorted by the integer frame field) and Emotion file."""
    images = trees["cohn-kanade-images"]
    sequences, failures = [], []
    for subject in sorted(os.listdir(images), key=natural_key):
        subject_dir = os.path.join(images, subject)
        if subject.startswith(".") or not os.path.isdir(subject_dir):
            continue
        for sequence in sorted(os.listdir(subject_dir), key=natural_key):
            folder = os.path.join(subject_dir, sequence)
            if sequence.startswith(".") or not os.path.isdir(folder):
                continue
            frames = sorted(
                (int(m.group(3)), name)
                for name in os.listdir(folder)
                if not name.startswith(".") and (m := _FRAME.match(name))
            )
            if not frames:
                failures.append(Failure(folder, "sequence folder has no CK+ frames (S###_###_########.png)"))
                continue
            emotion = None
            if trees["Emotion"] is not None:
                emotion_dir = os.path.join(trees["Emotion"], subject, sequence)
                if os.path.isdir(emotion_dir):
                    names = sorted(n for n in os.listdir(emotion_dir) if n.endswith("_emotion.txt"))
                    emotion = os.path.join(emotion_dir, names[-1]) if names else None
            sequences.append(CkplusSequence(subject, sequence, folder, frames, emotion))
    return sequences, failures


def _provided_track(trees: dict[str, Optional[str]], item: CkplusSequence, label: str) -> Track:
    landmarks_dir = os.path.join(trees["Landmarks"], item.subject, item.sequence)
    first = cv2.imread(os.path.join(item.folder, item.frames[0][1]), cv2.IMREAD_UNCHANGED)
    if first is None:
        raise InputError(f"{os.path.join(item.folder, item.frames[0][1])}: cannot read this image")
    height, width = first.shape[:2]
    points = np.full((len(item.frames), 68, 2), np.nan, np.float32)
    for row, (_, name) in enumerate(item.frames):
        path = os.path.join(landmarks_dir, os.path.splitext(name)[0] + "_landmarks.txt")
        if os.path.isfile(path):  # a missing file leaves the frame invalid, in place
            points[row] = read_landmarks_file(path) / [width, height]
    n = len(item.frames)
    valid = np.isfinite(points).all(axis=(1, 2))
    box = np.full((n, 4), np.nan, np.float32)
    box[valid] = np.concatenate([points[valid].min(axis=1), points[valid].max(axis=1)], axis=1)
    return Track(
        id=item.id,
        landmarks=points,
        valid=valid,
        confidence=np.where(valid, 1.0, np.nan),
        frame_index=np.array([number - 1 for number, _ in item.frames]),
        timestamp=np.full(n, np.nan),
        box=box,
        faces_detected=np.full(n, -1),
        width=width,
        height=height,
        source=os.path.abspath(item.folder),
        backend="ckplus-landmarks",
        backend_options={"landmarks": "provided"},
        subject=item.subject,
        label=label,
        frame_names=[name for _, name in item.frames],
    )


def _write_label_files(labels_dir: str, dataset: Dataset) -> None:
    """CK+-style Emotion files for every sample; synthetic neutral samples in folders of their own."""
    codes = {name: code for code, name in CKPLUS_EMOTIONS.items()}
    for sequence, label, frames, synthetic in zip(
        dataset.sequence, dataset.y, dataset.source_frames, dataset.synthetic
    ):
        subject, number = sequence.replace("__neutral", "").split("__")
        folder = f"{number}_neutral" if synthetic else number
        stem = f"{subject}_{folder}_{int(frames[-1]) + 1:08d}_emotion.txt"
        os.makedirs(os.path.join(labels_dir, subject, folder), exist_ok=True)
        with open(os.path.join(labels_dir, subject, folder, stem), "w") as handle:
            handle.write(f"   {float(codes[dataset.classes[label]]):.7e}\n")


def build_ckplus(
    root: str,
    output: str,
    backend: Optional[str] = "mediapipe",
    landmarks: str = "extracted",
    options: Optional[dict[str, Any]] = None,
    frames: int = 20,
    min_frames: int = 10,
    keep_contempt: bool = False,
    neutral: int = 50,
    seed: int = 0,
    labels_dir: Optional[str] = None,
    workers: int = 1,
    progress: Optional[bool] = None,
    crops: bool = False,
    crop_size: int = 224,
) -> BuildReport:
    """Build the paper's CK+ dataset into ``output`` (its tracks plus ``/dataset``).

    ``landmarks="provided"`` reads CK+'s own Landmarks files; otherwise ``backend`` extracts them from the
    images (only the labelled sequences). Labelled sequences with fewer than ``min_frames`` frames are
    dropped, contempt too unless ``keep_contempt``; ``neutral`` synthetic neutral samples are made from
    random sequences' first frames (``seed``). ``crops`` also stores aligned ``crop_size`` face crops
    (``/dataset/crops``, for the SCN).
    """
    trees = find_ckplus(root)
    if trees["Emotion"] is None:
        raise InputError(f"{root}: no Emotion folder: CK+ labels come from Emotion/S###/###/*_emotion.txt")
    if landmarks == "provided" and trees["Landmarks"] is None:
        raise InputError(f"{root}: no Landmarks folder, which --landmarks provided reads")
    sequences, failed = scan_ckplus(trees)
    report = BuildReport(output=output, failed=failed)
    labelled: list[tuple[CkplusSequence, str]] = []
    for item in sequences:
        if item.emotion_file is None:
            continue  # unlabelled (266 of CK+'s 593)
        try:
            labelled.append((item, CKPLUS_EMOTIONS[read_code(item.emotion_file)]))
        except InputError as error:
            report.failed.append(Failure(item.emotion_file, str(error).removeprefix(f"{item.emotion_file}: ")))
    if landmarks == "provided":
        with TrackWriter(output) as writer:
            for item, label in labelled:
                if item.id not in writer.ids():
                    try:
                        writer.write(_provided_track(trees, item, label))
                    except InputError as error:
                        report.failed.append(Failure(item.folder, str(error)))
    else:
        sources = [Source(item.folder, item.id, "images") for item, _ in labelled]
        annotations = {item.id: {"subject": item.subject, "label": label} for item, label in labelled}
        report.extraction = extract(
            sources,
            output,
            backend=backend or "mediapipe",
            options=options,
            workers=workers,
            progress=progress,
            annotations=annotations,
        )
        report.failed += report.extraction.failed
    classes = [
        "neutral",
        "anger",
        *(["contempt"] if keep_contempt else []),
        "disgust",
        "fear",
        "happy",
        "sadness",
        "surprise",
    ]
    builder = DatasetBuilder(frames=frames, min_frames=min_frames, classes=classes)
    with open_tracks(output) as tracks:
        for item, label in labelled:
            if item.id in tracks:
                builder.add_track(tracks[item.id], label=label, subject=item.subject)
    builder.add_neutral(min(neutral, len([s for s in builder.samples if not s.synthetic])), seed=seed)
    source = "provided" if landmarks == "provided" else (backend or "mediapipe")
    dataset = builder.build(
        dataset="CK+",
        root=os.path.abspath(root),
        landmarks=source,
        keep_contempt=int(keep_contempt),
        neutral=neutral,
        seed=seed,
        backend_options=options or {},
        builder=f"landmarkset {__version__}",
    )
    write_dataset(output, dataset)
    if crops:  # aligned face crops for the image model, read from the same frames
        write_crops(output, size=crop_size, progress=progress)
    if labels_dir:
        _write_label_files(labels_dir, dataset)
    report.dataset = dataset
    return report
