"""Cross-validation of the TCN on generated data: folds, outputs, reproducibility (short runs)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from landmarkset.models.train import TrainConfig, cross_validate, load_model, predict, splits

from landmarkset.ckplus import build_ckplus
from landmarkset.dataset import read_dataset
from landmarkset.synth import synth_ckplus


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("train")
    synth_ckplus(str(folder / "ck"), subjects=6, sequences_per_subject=6, seed=2, progress=False)
    path = str(folder / "ck.h5")
    build_ckplus(str(folder / "ck"), path, landmarks="provided", neutral=6, progress=False)
    return path


def test_subject_folds_never_share_a_subject_and_neutrals_follow_their_source(data):
    dataset = read_dataset(data)
    subjects = np.array(dataset.subject)
    for train, test in splits(dataset, "subject", 3, seed=0):
        assert not set(subjects[train]) & set(subjects[test])
    sources = json.loads(dataset.attrs["neutral_sources"])
    for index in np.flatnonzero(dataset.synthetic):
        source = sources[list(np.flatnonzero(dataset.synthetic)).index(index)]
        assert dataset.subject[index] == dataset.subject[dataset.sequence.index(source)]


def test_run_directory_and_reproducibility(data, tmp_path):
    dataset = read_dataset(data)
    config = TrainConfig(epochs=4, patience=10, seed=1)
    first = cross_validate(data, dataset, str(tmp_path / "a"), "subject", 3, config, progress=False)
    second = cross_validate(data, dataset, str(tmp_path / "b"), "subject", 3, config, progress=False)
    assert first["accuracy_mean"] == second["accuracy_mean"]
    assert first["confusion_matrix"] == second["confusion_matrix"]
    assert first["parameters"] == 330_119 - 455 + (64 + 1) * len(dataset.classes)
    run = tmp_path / "a"
    assert sorted(os.listdir(run)) == [
        "confusion_matrix.png",
        "folds",
        "metrics.json",
        "model.pt",
        "training_curves.png",
    ]
    assert sorted(os.listdir(run / "folds")) == ["fold1.pt", "fold2.pt", "fold3.pt"]
    assert (run / "confusion_matrix.png").stat().st_size > 10_000
    model, record = load_model(str(run / "model.pt"))
    again, _ = load_model(str(run / "model.pt"))
    assert record["classes"] == dataset.classes
    np.testing.assert_array_equal(predict(model, dataset.X[:8]), predict(again, dataset.X[:8]))
    paper = cross_validate(data, dataset, str(tmp_path / "p"), "paper", 2, config, progress=False)
    assert paper["protocol"] == "paper" and len(paper["folds"]) == 2
