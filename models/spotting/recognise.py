"""Spot-then-recognise (STRS): the spotted intervals classified by a recognition model, scored jointly.

The MEGC 2023 definition: STRS = spotting F1 x recognition F1. The spotting F1 is the overall MEGC F1
(IoU >= 0.5, every annotated interval). Recognition is scored on the annotated intervals that spotting
found and whose emotion the model knows: each such interval counts once, recognised by the proposal that
overlaps it most (the public code counts a TP per (proposal, interval) pair, so one proposal can count
twice; we do not), and the recognition F1 is the unweighted mean of the classes' F1 (UF1) there. A
joint figure is given beside it: TP = spotted and recognised, precision over all proposals, recall over
the intervals the model knows, their F1 (``joint_f1``). An interval's emotion comes from its Action Units
(EMFACS prototypes, `landmarkset.datasets.samm.au_emotion`: the long-video sheet has no emotion column); a
proposal's class from the model over the proposal's frames, resampled to the model's frames as datasets
are (frames without a face take the nearest frame with one; a proposal with no face has no class).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from sklearn.metrics import f1_score

from landmarkset.datasets.builder import resample_indices
from landmarkset.errors import OptionError
from landmarkset.io import TrackFile
from landmarkset.track import Track

from ..evaluation.megc import Interval, interval_iou, spotting_score
from ..inference import predict_proba
from ..modelfile import load_model

__all__ = [
    "NO_FACE",
    "STRS_RULE",
    "FrameReader",
    "LabelledInterval",
    "interval_samples",
    "labelled_truth",
    "load_recogniser",
    "reader_of_store",
    "reader_of_tracks",
    "recognise",
    "strs_of_classes",
    "strs_scores",
]

STRS_RULE = (
    "STRS = spotting F1 (overall, IoU >= 0.5) x recognition UF1 over the spotted intervals of the model's classes; "
    "each annotated interval counts once, recognised by the proposal that overlaps it most (not once per pair); "
    "its emotion from its AUs"
)
NO_FACE = "(no face)"  # the class of a spotted interval whose proposal has no face: always wrong
# (video, start, stop) -> (landmarks (n, 68, 2), valid (n,)) of 0-based frames start..stop-1
FrameReader = Callable[[str, int, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class LabelledInterval:
    interval: Interval
    emotion: Optional[str]  # None: no emotion (no prototype covers its AUs)


def labelled_truth(sheet_path: str) -> list[LabelledInterval]:
    """Every interval of a SAMM sheet with its emotion: the sheet's own when it has one, else its AUs'."""
    from landmarkset.datasets.samm import au_emotion, read_annotations

    found = []
    for row in read_annotations(sheet_path).rows:
        video = row.filename.rsplit("_", 1)[0]
        found.append(
            LabelledInterval(Interval(video, row.onset, row.offset, row.kind), row.emotion or au_emotion(row.aus))
        )
    return found


def load_recogniser(path: str) -> tuple[Any, Any]:
    """A recognition model and its record; OptionError when its input cannot be cut from landmark tracks."""
    model, record = load_model(path)
    kind = record.spec.input
    if not kind.reads_tracks:
        raise OptionError(
            f"{path}: the {record.model!r} model takes {kind.name}, which are not in a track store; a recogniser of "
            "spotted intervals needs a model over landmarks"
        )
    return model, record


def reader_of_tracks(tracks: Mapping[str, Track]) -> FrameReader:
    """A :data:`FrameReader` over tracks in memory."""
    return lambda video, start, stop: (tracks[video].landmarks[start:stop], tracks[video].valid[start:stop])


def reader_of_store(store: TrackFile) -> FrameReader:
    """A :data:`FrameReader` over an open store: only each interval's frames are read (long videos stream)."""

    def read(video: str, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        landmarks, valid, _ = store.frame_block(video, start, stop)
        return landmarks, valid

    return read


def interval_samples(read: FrameReader, intervals: list[Interval], frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, frames, 68, 2) landmarks of each interval (1-based inclusive), resampled; and which have a face."""
    samples = np.zeros((len(intervals), frames, 68, 2), dtype=np.float32)
    usable = np.zeros(len(intervals), dtype=bool)
    for row, interval in enumerate(intervals):
        part, valid = read(interval.video, max(0, interval.start - 1), interval.end)
        if len(part) == 0 or not valid.any():
            continue
        faces = np.flatnonzero(valid)
        nearest = faces[np.abs(np.arange(len(part))[:, None] - faces[None, :]).argmin(1)]
        samples[row] = part[nearest][resample_indices(len(part), frames)]
        usable[row] = True
    return samples, usable


def recognise(
    intervals: list[Interval], read: FrameReader, model: Any, record: Any
) -> list[Optional[tuple[str, float]]]:
    """The model's class and its probability for each interval; None where the interval has no face."""
    samples, usable = interval_samples(read, intervals, int(record.dimensions["frames"]))
    found: list[Optional[tuple[str, float]]] = [None] * len(intervals)
    if usable.any():
        probabilities = predict_proba(model, record, samples[usable])
        for row, p in zip(np.flatnonzero(usable), probabilities):
            best = int(p.argmax())
            found[row] = (record.classes[best], float(p[best]))
    return found


def strs_scores(
    truth: list[LabelledInterval], proposals: list[Interval], read: FrameReader, model: Any, record: Any
) -> dict[str, Any]:
    """STRS counts and figures (see the module doc) of ``proposals`` classified by ``model``."""
    found = recognise(proposals, read, model, record)
    return strs_of_classes(truth, proposals, [f[0] if f else None for f in found], list(record.classes))


def strs_of_classes(
    truth: list[LabelledInterval], proposals: list[Interval], predicted: list[Optional[str]], classes: list[str]
) -> dict[str, Any]:
    """STRS counts and figures of ``proposals`` whose classes (None: no face) are ``predicted``, for a
    model that knows ``classes`` (see the module doc)."""
    class_of = dict(zip(proposals, predicted))
    spotting_f1 = spotting_score([t.interval for t in truth], proposals)["overall"].f1
    known = [t for t in truth if t.emotion in classes]
    true_classes, guessed = [], []
    for labelled in known:
        g = labelled.interval
        overlaps = [(interval_iou((g.start, g.end), (p.start, p.end)), p) for p in proposals if p.video == g.video]
        hits = [(iou, p) for iou, p in overlaps if iou >= 0.5]
        if hits:  # recognised by the proposal that overlaps it most
            true_classes.append(labelled.emotion)
            guessed.append(class_of.get(max(hits, key=lambda hit: hit[0])[1]) or NO_FACE)
    right = sum(a == b for a, b in zip(true_classes, guessed))
    recognition_f1 = (
        float(f1_score(true_classes, guessed, labels=sorted(set(true_classes)), average="macro", zero_division=0))
        if true_classes
        else 0.0
    )
    precision = right / len(proposals) if proposals else 0.0
    recall = right / len(known) if known else 0.0
    return {
        "rule": STRS_RULE,
        "annotated": len(truth),
        "annotated_known_to_model": len(known),
        "proposals": len(proposals),
        "spotted": len(true_classes),
        "tp": right,
        "spotting_f1": spotting_f1,
        "recognition_f1": recognition_f1,
        "strs": spotting_f1 * recognition_f1,
        "precision": precision,
        "recall": recall,
        "joint_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "recognition_accuracy_on_spotted": right / len(true_classes) if true_classes else 0.0,
    }
