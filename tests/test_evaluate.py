"""`evaluate` and the train / evaluate commands: metrics on another set, MEGC counts, clear errors."""

from __future__ import annotations

import csv
import json
import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from landmarkset.models import load_model
from landmarkset.models.evaluation import evaluate, megc_scores
from landmarkset.models.inference import predict

from landmarkset import InputError
from landmarkset.datasets import Dataset, DatasetBuilder, read_dataset, write_dataset


def test_evaluate_matches_the_model_and_writes_its_files(train_data, trained_tcn, tmp_path):
    run, _ = trained_tcn
    metrics = evaluate(os.path.join(run, "model.pt"), train_data, str(tmp_path / "eval")).to_json()
    dataset = read_dataset(train_data)
    model, record = load_model(os.path.join(run, "model.pt"))
    assert metrics["accuracy"] == pytest.approx(np.mean(predict(model, record, dataset.X) == dataset.y))
    assert sorted(os.listdir(tmp_path / "eval")) == [
        ".landmarkset-run.json", "confusion_matrix.png", "metrics.json", "predictions.csv"
    ]  # fmt: skip
    with open(tmp_path / "eval" / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(dataset) and rows[0]["sequence"] == dataset.sequence[0]
    assert "megc" not in metrics  # no intervals in CK+ data


def test_unknown_classes_are_left_out_and_counted(train_data, trained_tcn, tmp_path):
    run, _ = trained_tcn
    dataset = read_dataset(train_data)
    dataset.classes = [name if name != "fear" else "contempt" for name in dataset.classes]
    other = str(tmp_path / "other.h5")
    with pytest.warns(UserWarning, match="no track in the file"):
        write_dataset(other, dataset)
    metrics = evaluate(os.path.join(run, "model.pt"), other, str(tmp_path / "eval")).to_json()
    fear = int(np.sum(dataset.y == dataset.classes.index("contempt")))
    assert metrics["left_out_classes"] == {"contempt": fear}
    assert metrics["samples_scored"] == len(dataset) - fear


def test_frame_count_mismatch_says_how_to_rebuild(trained_tcn, tmp_path):
    run, _ = trained_tcn
    builder = DatasetBuilder(frames=10, min_frames=2)
    rng = np.random.default_rng(0)
    for index in range(4):
        builder.add_sequence(f"s{index}", rng.random((12, 68, 2)), label="happy", subject=f"S{index}")
    with pytest.warns(UserWarning, match="no track in the file"):
        write_dataset(str(tmp_path / "ten.h5"), builder.build())
    with pytest.raises(
        InputError,
        match=r"ten\.h5: samples have 10 frames but .*expects 20; rebuild the data with --frames 20$",
    ):
        evaluate(os.path.join(run, "model.pt"), str(tmp_path / "ten.h5"), str(tmp_path / "out"))


def _interval_dataset() -> Dataset:
    """Three annotated intervals in two videos and one synthetic neutral sample."""
    return Dataset(
        X=np.zeros((4, 20, 68, 2), np.float32),
        y=np.array([1, 2, 2, 0]),
        classes=["neutral", "happy", "anger"],
        subject=["006", "006", "007", "006"],
        sequence=["006_1_1", "006_1_2", "007_3_1", "006_1_1__neutral"],
        synthetic=np.array([False, False, False, True]),
        source_frames=np.tile(np.arange(20, dtype=np.int32), (4, 1)) + 100,
        attrs={"interval_kinds": json.dumps(["macro", "micro", "macro", "macro"])},
        intervals=np.array([[100, 140, 200], [300, 310, 330], [50, 80, 90], [-1, -1, -1]], np.int32),
    )


def test_megc_counts_by_hand():
    scores = megc_scores(_interval_dataset(), ["happy", "neutral", "happy", "anger"])
    # macro: GT 2 (006_1_1, 007_3_1); spotted 006_1_1 (right emotion), 007_3_1 (wrong) and the neutral sample.
    assert scores["macro"] == {**scores["macro"], "ground_truth": 2, "predictions": 3, "tp": 2}
    assert scores["micro"] == {**scores["micro"], "ground_truth": 1, "predictions": 0, "tp": 0}
    overall = scores["overall"]
    assert (overall["tp"], overall["predictions"], overall["ground_truth"]) == (2, 3, 3)
    assert overall["precision"] == pytest.approx(2 / 3) and overall["recall"] == pytest.approx(2 / 3)
    assert overall["tp_with_right_emotion"] == 1


def test_evaluate_reports_megc_when_the_data_holds_intervals(train_data, trained_tcn, tmp_path):
    run, _ = trained_tcn
    dataset = read_dataset(train_data)
    dataset.intervals = np.array([[1, 5, 9] if not s else [-1, -1, -1] for s in dataset.synthetic], np.int32)
    path = str(tmp_path / "intervals.h5")
    with pytest.warns(UserWarning, match="no track in the file"):
        write_dataset(path, dataset)
    metrics = evaluate(os.path.join(run, "model.pt"), path, str(tmp_path / "eval")).to_json()
    assert metrics["megc"]["overall"]["ground_truth"] == int((~dataset.synthetic).sum())
    with open(tmp_path / "eval" / "predictions.csv") as handle:
        spotted = [row for row in csv.DictReader(handle) if row["predicted"] != "neutral"]
    assert metrics["megc"]["overall"]["predictions"] == len(spotted)


def test_train_and_evaluate_commands(train_data, tmp_path):
    runner = CliRunner()
    run = str(tmp_path / "run")
    result = runner.invoke(
        main, ["train-tcn", train_data, "-o", run, "--folds", "2", "--epochs", "2", "--keep-rejected", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "TCN subject protocol, 2 folds: UAR " in result.output and "330,119 parameters" in result.output
    assert json.load(open(os.path.join(run, "metrics.json")))["config"]["epochs"] == 2
    result = runner.invoke(main, ["evaluate", os.path.join(run, "model.pt"), train_data, "-o", str(tmp_path / "e")])
    assert result.exit_code == 0 and "accuracy" in result.output
    result = runner.invoke(main, ["train-tcn", train_data, "-o", run, "--device", "cuda:0"])
    assert result.exit_code == 2 and result.output.startswith("Error: --device cuda:0")
    no_crops = str(tmp_path / "no_crops.h5")
    shutil.copy(train_data, no_crops)
    write_dataset(no_crops, read_dataset(no_crops))
    result = runner.invoke(main, ["train-scn", no_crops, "-o", run])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == f"Error: {no_crops} has no face crops: rebuild with --crops (build-ckplus / build-samm)"
    )
