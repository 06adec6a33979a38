"""Score a trained model on another built dataset (e.g. a CK+ model on SAMM), with MEGC figures when the data
holds expression intervals.

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
import platform
from typing import Any

import numpy as np
import torch

from landmarkset import __version__
from landmarkset.datasets.megc import Interval, spotting_score
from landmarkset.io import read_dataset

from .inference import predict_proba, read_samples
from .metrics import classification_scores, write_classification_figures
from .modelfile import load_model
from .train import file_hash


def megc_scores(dataset, predicted_names: list[str]) -> dict[str, Any]:
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
    scores["reading"] = "sample intervals; spotted = predicted not neutral (see landmarkset.models.evaluate)"
    return scores


def evaluate(model_path: str, data_path: str, out_dir: str, device: str = "cpu") -> dict[str, Any]:
    """Write metrics.json, confusion_matrix.png and predictions.csv for ``model_path`` on ``data_path``."""
    model, record = load_model(model_path, device)
    dataset = read_dataset(data_path)
    samples = read_samples(record, data_path, dataset, model_path)
    classes = list(record.classes)
    probabilities = predict_proba(model, record, samples, device)
    predicted = probabilities.argmax(1)
    data_names = [dataset.classes[label] for label in dataset.y]
    known = np.array([name in classes for name in data_names], dtype=bool)
    y_true = np.array([classes.index(name) for name, ok in zip(data_names, known) if ok], dtype=np.int64)
    scores = classification_scores(y_true, predicted[known], classes)
    left_out: dict[str, int] = {}
    for name, ok in zip(data_names, known):
        if not ok:
            left_out[name] = left_out.get(name, 0) + 1
    metrics: dict[str, Any] = {
        "model": record.model,
        "model_file": os.path.abspath(model_path),
        "trained_on": record.data,
        **scores,
        "samples_scored": int(known.sum()),
        "left_out_classes": left_out,
        "data": {"path": os.path.abspath(data_path), "sha256": file_hash(data_path), "samples": len(dataset)},
        "versions": {"landmarkset": __version__, "torch": torch.__version__, "python": platform.python_version()},
    }
    if dataset.intervals is not None:
        metrics["megc"] = megc_scores(dataset, [classes[p] for p in predicted])
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "metrics.json"), "w") as handle:
        json.dump(metrics, handle, indent=2)
    with open(os.path.join(out_dir, "predictions.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sequence", "subject", "synthetic", "true", "predicted", "probability"])
        for index in range(len(dataset)):
            writer.writerow(
                [
                    dataset.sequence[index],
                    dataset.subject[index],
                    int(dataset.synthetic[index]),
                    data_names[index],
                    classes[predicted[index]],
                    f"{probabilities[index, predicted[index]]:.4f}",
                ]
            )
    name = os.path.basename(os.path.dirname(os.path.abspath(data_path))) + "/" + os.path.basename(data_path)
    write_classification_figures(
        metrics, out_dir, f"{record.model.upper()} on {name}: accuracy {metrics['accuracy']:.3f} (n={known.sum()})"
    )
    return metrics
