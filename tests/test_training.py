"""Cross-validation of the TCN and SCN on generated data: folds, outputs, reproducibility, learning."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from landmarkset.models import load_model
from landmarkset.models.inference import predict
from landmarkset.models.training import TrainConfig, cross_validate, splits

from landmarkset import InputError, OptionError, StoreError
from landmarkset.datasets import read_dataset, write_dataset
from landmarkset.io import read_crops


def test_subject_folds_never_share_a_subject_and_neutrals_follow_their_source(train_data):
    dataset = read_dataset(train_data)
    subjects = np.array(dataset.subject)
    for train, test in splits(dataset, "subject", 3, seed=0):
        assert not set(subjects[train]) & set(subjects[test])
    sources = json.loads(dataset.attrs["neutral_sources"])
    for index in np.flatnonzero(dataset.synthetic):
        source = sources[list(np.flatnonzero(dataset.synthetic)).index(index)]
        assert dataset.subject[index] == dataset.subject[dataset.sequence.index(source)]
    with pytest.raises(OptionError, match="13 subject-grouped folds need at least 13 subjects; the data has 12"):
        splits(dataset, "subject", 13, seed=0)


def test_tcn_subject_independent_accuracy_is_far_above_chance(trained_tcn):
    _, metrics = trained_tcn
    # Measured 1.00 +- 0.00 (chance 0.18, 67 samples); motion preprocessing makes synth expressions separable.
    assert metrics["accuracy_mean"] >= 0.8 > 2 * metrics["chance"]
    assert metrics["per_class"]["happy"]["recall"] >= 0.6
    assert sum(map(sum, metrics["confusion_matrix"])) == metrics["data"]["samples"]


def test_run_directory_model_file_and_reproducibility(train_data, trained_tcn, tmp_path):
    run, metrics = trained_tcn
    dataset = read_dataset(train_data)
    assert sorted(os.listdir(run)) == [
        ".landmarkset-run.json",  # what made the run folder (landmarkset.runfolder)
        "confusion_matrix.png",
        "folds",
        "metrics.json",
        "model.pt",
        "training_curves.png",
    ]
    assert sorted(os.listdir(os.path.join(run, "folds"))) == ["fold1.pt", "fold2.pt", "fold3.pt"]
    assert os.path.getsize(os.path.join(run, "confusion_matrix.png")) > 10_000
    assert metrics["parameters"] == 330_119 and metrics["input"]["preprocessing"] == "aligned"
    assert metrics["config"]["momentum"] == 0.3 and len(metrics["data"]["sha256"]) == 64
    model, record = load_model(os.path.join(run, "model.pt"))
    again, _ = load_model(os.path.join(run, "model.pt"))
    assert record.classes == dataset.classes and record.model == "tcn"
    np.testing.assert_array_equal(predict(model, record, dataset.X), predict(again, record, dataset.X))
    fold, fold_record = load_model(os.path.join(run, "folds", "fold1.pt"))
    test = np.array(fold_record.test_indices)
    assert metrics["folds"][0]["accuracy"] == pytest.approx(
        np.mean(predict(fold, fold_record, dataset.X[test]) == dataset.y[test])
    )
    # Same seed, same metrics.
    config = TrainConfig(epochs=3, seed=5)
    first = cross_validate(
        train_data,
        dataset,
        str(tmp_path / "a"),
        protocol="subject",
        folds=2,
        config=config,
        keep_rejected=True,
        progress=False,
    ).to_json()
    second = cross_validate(
        train_data,
        dataset,
        str(tmp_path / "b"),
        protocol="subject",
        folds=2,
        config=config,
        keep_rejected=True,
        progress=False,
    ).to_json()
    assert first["folds"] == second["folds"] and first["confusion_matrix"] == second["confusion_matrix"]
    # Same seed, same weights, bit for bit (deterministic algorithms are on only for CUDA).
    weights = [load_model(str(tmp_path / name / "model.pt"))[0].state_dict() for name in ("a", "b")]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])
    paper = cross_validate(
        train_data,
        dataset,
        str(tmp_path / "p"),
        protocol="paper",
        folds=2,
        config=config,
        keep_rejected=True,
        progress=False,
    ).to_json()
    assert (
        paper["protocol"] == "paper"
        and [f["test_samples"] for f in paper["folds"]] == [round(0.15 * len(dataset) + 0.4999)] * 2
    )
    with pytest.raises(OptionError, match="Augmentation is off under the paper protocol"):
        cross_validate(
            train_data, dataset, str(tmp_path / "x"), protocol="paper", folds=2, config=TrainConfig(augment=True)
        )


def test_keras_style_learning_rate_decay_is_applied(train_data, tmp_path):
    import torch
    from landmarkset.models.inference import network_input
    from landmarkset.models.tcn import TCN
    from landmarkset.models.training import fit

    dataset = read_dataset(train_data)
    config = TrainConfig(epochs=1, batch_size=8, lr=0.1, lr_decay=0.5)
    seen = []
    original = torch.optim.SGD.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    torch.optim.SGD.step = spy
    try:
        fit(
            TCN(n_classes=7),
            lambda s: network_input(TCN.spec, "motion", s),
            dataset.X[:32],
            dataset.y[:32],
            dataset.X[32:40],
            dataset.y[32:40],
            config,
        )
    finally:
        torch.optim.SGD.step = original
    assert seen == pytest.approx([0.1 / (1 + 0.5 * step) for step in range(4)])


def test_scn_trains_on_crops_and_needs_them(train_data, tmp_path):
    dataset = read_dataset(train_data)
    crops = read_crops(train_data)
    assert crops.shape == (len(dataset), 20, 32, 32) and crops.dtype == np.uint8 and crops.std() > 10
    metrics = cross_validate(
        train_data,
        dataset,
        str(tmp_path / "scn"),
        model="scn",
        folds=2,
        config=TrainConfig(epochs=2),
        keep_rejected=True,
        progress=False,
    ).to_json()  # the SCN declares crops as its input: they are read from the file
    assert metrics["model"] == "scn" and metrics["config"]["momentum"] == 0.7
    model, record = load_model(str(tmp_path / "scn" / "model.pt"))
    assert record.arguments == {"n_classes": 7, "n_frames": 20, "size": 32} and record.input["kind"] == "crops"
    assert predict(model, record, crops[:5]).shape == (5,)
    bare = str(tmp_path / "bare.h5")
    with pytest.warns(UserWarning, match="no track in the file"):
        write_dataset(bare, dataset)
    with pytest.raises(StoreError, match="has no face crops: rebuild with --crops"):
        cross_validate(bare, dataset, str(tmp_path / "x"), model="scn", folds=2, config=TrainConfig(epochs=1))
    with pytest.raises(OptionError, match="Unknown preprocessing 'motion' for the 'scn' model"):
        cross_validate(
            train_data, dataset, str(tmp_path / "x"), model="scn", config=TrainConfig(preprocessing="motion")
        )
    with pytest.raises(OptionError, match="takes crops, which have no augmentation"):
        cross_validate(train_data, dataset, str(tmp_path / "x"), model="scn", config=TrainConfig(augment=True))


def test_load_model_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match=r"nothing\.pt: no such model file"):
        load_model(str(tmp_path / "nothing.pt"))
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(InputError, match=r"junk\.pt: not a landmarkset model file"):
        load_model(str(tmp_path / "junk.pt"))


def test_precision_is_resolved_and_checked():
    from landmarkset.models.tcn import TCN
    from landmarkset.models.training import native_bf16, resolve_config

    auto = resolve_config(TCN.spec, TrainConfig())
    assert auto.precision == ("bf16" if native_bf16("cpu") else "fp32")
    assert resolve_config(TCN.spec, TrainConfig(precision="fp32")).precision == "fp32"
    with pytest.raises(OptionError, match="'precision' parameter must be one of auto, fp32, bf16"):
        resolve_config(TCN.spec, TrainConfig(precision="fp16"))
