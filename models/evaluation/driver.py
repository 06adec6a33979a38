"""`evaluate`: score a trained model on another built dataset (e.g. a CK+ model on SAMM), with MEGC figures
when the data holds expression intervals.

Classes are matched by name: samples whose class the model does not know are left out of the
classification scores (and counted). MEGC reading (the paper's Table III compares classifiers with the
MEGC spotting baseline): every real sample's interval [onset, offset] is a ground-truth interval; the
model "spots" an interval when it predicts any class other than neutral for its sample, and the
prediction is that sample's interval. Synthetic neutral samples that are predicted as an expression count
as false positives (a one-frame interval, which never matches). This is not whole-video spotting (no
sliding window over unannotated frames), so precision is optimistic; the counts are reported with it.
"""

from __future__ import annotations

import csv
import json
import os
from typing import Any

import numpy as np

from landmarkset.errors import InputError
from landmarkset.intervals import Interval
from landmarkset.io import Dataset, read_dataset
from landmarkset.runfolder import RunFolder, atomic_file

from ..inference import collapse_warning, landmark_warning, predict_proba, read_samples
from ..modelfile import load_model
from ..runinfo import data_record, versions
from ..training.metrics import (
    classification_scores,
    near_chance_warning,
    scores_by_part,
    write_classification_figures,
)
from .megc import spotting_score
from .report import EvaluationReport

EVALUATION_FILES = ("metrics.json", "confusion_matrix.png", "predictions.csv")


def megc_scores(dataset: Dataset, predicted_names: list[str]) -> dict[str, Any]:
    """MEGC TP / precision / recall / F1 of the reading in the module doc, per kind and overall."""
    kinds = json.loads(dataset.attrs.get("interval_kinds", "[]")) or [""] * len(dataset)
    default_kind = dataset.attrs.get("type") if dataset.attrs.get("type") in ("macro", "micro") else "macro"
    truth, spotted, right_emotion = [], [], 0
    for index, (onset, _, offset) in enumerate(dataset.intervals):
        real = not dataset.synthetic[index] and onset >= 0
        kind = kinds[index] or default_kind
        if real:
            truth.append(Interval(dataset.sequence[index], int(onset), int(offset), kind))
        if predicted_names[index] == "neutral":
            continue
        if real:
            spotted.append(Interval(dataset.sequence[index], int(onset), int(offset), kind))
            right_emotion += predicted_names[index] == dataset.classes[dataset.y[index]]
        else:  # a neutral sample (first frame repeated) spotted as an expression: a false positive
            first = int(dataset.source_frames[index][0]) + 1
            spotted.append(Interval(dataset.source_sequence(index), first, first, kind))
    scores = {name: score.as_dict() for name, score in spotting_score(truth, spotted).items()}
    scores["overall"]["tp_with_right_emotion"] = int(right_emotion)
    scores["reading"] = "sample intervals; spotted = predicted not neutral (see landmarkset.models.evaluation)"
    return scores


def evaluate(
    model_path: str, data_path: str, out_dir: str, *, device: str = "cpu", overwrite: bool = False
) -> EvaluationReport:
    """Write metrics.json, confusion_matrix.png and predictions.csv for ``model_path`` on ``data_path`` into
    OUT_DIR, a run folder (landmarkset.runfolder: another command's or run's is refused unless ``overwrite``)."""
    model, record = load_model(model_path, device)
    dataset = read_dataset(data_path)
    samples = read_samples(record, data_path, dataset, model_path)
    classes = list(record.classes)
    data_names = [dataset.classes[label] for label in dataset.y]
    known = np.array([name in classes for name in data_names], dtype=bool)
    if not known.any():
        raise InputError(
            f"{data_path}: none of its classes ({', '.join(dataset.classes)}) is one the model {model_path} knows "
            f"({', '.join(classes)}); evaluate it on data with those classes"
        )
    probabilities = predict_proba(model, record, samples, device=device)
    predicted = probabilities.argmax(1)
    y_true = np.array([classes.index(name) for name, ok in zip(data_names, known) if ok], dtype=np.int64)
    scores = classification_scores(y_true, predicted[known], classes)
    parts = None if dataset.parts is None else [part for part, ok in zip(dataset.parts, known) if ok]
    left_out: dict[str, int] = {}
    for name, ok in zip(data_names, known):
        if not ok:
            left_out[name] = left_out.get(name, 0) + 1
    counts = np.bincount(predicted, minlength=len(classes))
    warning = collapse_warning(counts, classes, model_path)
    present = int(sum(c["support"] > 0 for c in scores["per_class"].values()))
    chance = "" if warning else near_chance_warning(scores["uar"], present, model_path)  # collapsed says more
    source = landmark_warning(model_path, record, dataset.landmark_source, data_path)
    report = EvaluationReport(
        model=record.model,
        model_file=os.path.abspath(model_path),
        trained_on=record.data,
        accuracy=scores["accuracy"],
        classes=scores["classes"],
        per_class=scores["per_class"],
        macro_f1=scores["macro_f1"],
        uar=scores["uar"],
        by_dataset=scores_by_part(y_true, predicted[known], parts, classes),
        confusion_matrix=scores["confusion_matrix"],
        samples_scored=int(known.sum()),
        left_out_classes=left_out,
        data=data_record(data_path, dataset),
        versions=versions(),
        predicted_classes={name: int(n) for name, n in zip(classes, counts) if n},
        megc=megc_scores(dataset, [classes[p] for p in predicted]) if dataset.intervals is not None else None,
        warnings=[w for w in (warning, chance, source) if w],
        files={name: os.path.join(out_dir, name) for name in EVALUATION_FILES},
    )
    with RunFolder(out_dir, "evaluate", {}, [model_path, data_path], overwrite=overwrite, writes=EVALUATION_FILES):
        _write(report, out_dir, dataset, data_names, classes, predicted, probabilities, record, data_path, known)
    return report


def _write(report, out_dir, dataset, data_names, classes, predicted, probabilities, record, data_path, known) -> None:
    """metrics.json, predictions.csv (every class's probability) and the confusion matrix."""
    report.write(os.path.join(out_dir, "metrics.json"))
    with atomic_file(os.path.join(out_dir, "predictions.csv"), newline="") as handle:
        writer = csv.writer(handle)
        # Every class's probability, not only the top one's, so thresholds can be chosen afterwards.
        writer.writerow(["sequence", "subject", "synthetic", "true", "predicted", *(f"p_{c}" for c in classes)])
        for index in range(len(dataset)):
            writer.writerow(
                [
                    dataset.sequence[index],
                    dataset.subject[index],
                    int(dataset.synthetic[index]),
                    data_names[index],
                    classes[predicted[index]],
                    *(f"{p:.4f}" for p in probabilities[index]),
                ]
            )
    name = os.path.basename(os.path.dirname(os.path.abspath(data_path))) + "/" + os.path.basename(data_path)
    title = f"{record.model.upper()} on {name}: {report.headline()}"
    write_classification_figures(report.confusion_matrix, report.classes, out_dir, title)
