"""Predictions of a trained model on raw samples, prepared as its record says."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from landmarkset.errors import InputError
from landmarkset.io import Dataset
from landmarkset.provenance import source_warning

from .modelfile import ModelRecord
from .spec import ModelSpec


def network_input(spec: ModelSpec, preprocessing: str, samples: np.ndarray) -> torch.Tensor:
    """Raw samples -> the network's input: the input kind prepares them, the model's layout arranges them."""
    return spec.layout(spec.input.prepare(samples, preprocessing))


def read_samples(record: ModelRecord, data_path: str, dataset: Dataset, model_path: str) -> np.ndarray:
    """The samples of ``dataset`` that the model of ``record`` takes; InputError with the fix when they do not fit."""
    kind = record.spec.input
    samples = kind.read(data_path, dataset)
    kind.check(samples, record.dimensions, model_path, data_path)
    return samples


def predict_proba(
    model: nn.Module, record: ModelRecord, samples: np.ndarray, *, device: str = "cpu", batch: int = 64
) -> np.ndarray:
    """Class probabilities (N, classes) of raw samples."""
    spec = record.spec
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(samples), batch):
            x = network_input(spec, record.preprocessing, samples[start : start + batch]).to(device)
            out.append(torch.softmax(model(x), dim=1).cpu().numpy())
    probabilities = np.concatenate(out) if out else np.zeros((0, len(record.classes)), np.float32)
    if not np.isfinite(probabilities).all():  # never a class read off NaN ("neutral 1.00")
        rows = np.flatnonzero(~np.isfinite(probabilities).all(axis=1))
        raise InputError(
            f"the {record.model!r} model gave non-finite probabilities for {len(rows)} of {len(probabilities)} "
            f"samples (e.g. sample {int(rows[0])}): its weights or those samples hold NaN; train it again or check "
            "the samples"
        )
    return probabilities


def predict(model: nn.Module, record: ModelRecord, samples: np.ndarray, *, device: str = "cpu") -> np.ndarray:
    """Predicted class indices (into ``record.classes``) of raw samples."""
    return predict_proba(model, record, samples, device=device).argmax(1)


def collapse_warning(counts: np.ndarray, classes: list[str], model_path: str) -> str:
    """One line when a model predicts a single class for every one of several samples (a collapsed model),
    else "". ``counts``: predictions per class."""
    counts = np.asarray(counts)
    if counts.sum() < 2 or np.count_nonzero(counts) != 1:
        return ""
    only = classes[int(np.flatnonzero(counts)[0])]
    return (
        f"{model_path} predicts {only!r} for all {int(counts.sum())} samples: the model has collapsed to one class, "
        "so its scores and maps describe nothing learned; retrain it (more epochs, another --seed)"
    )


def landmark_warning(model_path: str, record: ModelRecord, source: dict[str, str], where: str) -> str:
    """One line when ``where``'s landmarks (``source``) come from another backend than the model learnt from
    (recorded in its model file since 0.5), else ""."""
    return source_warning(f"{model_path} was trained", record.data.get("landmarks") or {}, source, where) or ""
