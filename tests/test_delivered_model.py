"""The delivered model is the model the figures describe: a budget from the data, a refit chosen by the folds,
a check of model.pt on its own training data, and collapsed models named by evaluate and explain."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from landmarkset.cli.main import main
from landmarkset.models import load_model, predict, save_model
from landmarkset.models.evaluation import evaluate
from landmarkset.models.explain import explain_dataset
from landmarkset.models.training import TrainConfig, cross_validate
from landmarkset.models.training.config import steps_per_epoch, training_budget

from landmarkset.datasets import DatasetBuilder, read_dataset, write_dataset
from landmarkset.errors import InputError, OptionError, TrainingError


def test_the_budget_comes_from_the_data():
    config = TrainConfig(steps=300)
    small = training_budget(config, 46)  # the 54-sample set: 46 in a fold's fit part
    # patience: 50 optimiser steps (17 epochs of 3 steps), at least 10 epochs
    assert steps_per_epoch(46, 16) == 3 and small.epochs == 100 and small.patience == 17
    assert training_budget(config, 600).epochs == 30  # never fewer than 30 epochs (37 steps an epoch)
    assert training_budget(config, 600).patience == 10  # 50 steps are 2 epochs there: at least 10
    default = training_budget(TrainConfig(), 46)  # 1000 steps since 0.5 (docs/training.md)
    assert default.epochs == 334 and default.patience == 17
    assert training_budget(TrainConfig(epochs=5, patience=2), 46).epochs == 5
    assert steps_per_epoch(17, 16) == 1  # a last batch of one sample is skipped (batch norm)


@pytest.mark.slow
def test_the_delivered_model_scores_what_the_figures_say_and_its_maps_are_faithful(train_data, tmp_path):
    dataset = read_dataset(train_data)
    run = tmp_path / "run"
    config = TrainConfig(seed=0, augment=False)  # the stop rule of 0.5: this test is about the check
    report = cross_validate(train_data, dataset, str(run), folds=3, config=config, progress=False)
    final = report.final
    assert final.problems == [] and final.check == "passed"
    assert final.training_accuracy >= report.accuracy_pooled
    assert set(final.predicted_classes) == set(dataset.classes)  # every class present is predicted
    model, record = load_model(str(run / "model.pt"))
    on_training = predict(model, record, dataset.X)
    assert np.mean(on_training == dataset.y) == pytest.approx(final.training_accuracy)
    assert record.training["check"] == "passed" and record.training["epochs"] == final.epochs
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["final"]["rule"].startswith(f"{final.epochs} epochs on all {len(dataset)} samples")
    assert all(fold["budget_epochs"] >= 30 and fold["best_epoch"] >= 1 for fold in metrics["folds"])
    explained = explain_dataset(str(run / "model.pt"), train_data, str(tmp_path / "explain"), per_class=2,
                                progress=False)  # fmt: skip
    overall = explained.overall
    assert not explained.warnings
    assert overall["precision@moved"] >= 0.85
    assert overall["deletion_auc"] <= 0.5 * overall["random_deletion_auc"]


def test_an_impossible_budget_is_refused_and_kept_aside(train_data, tmp_path):
    dataset = read_dataset(train_data)
    run = tmp_path / "run"
    (run).mkdir()
    (run / "model.pt").write_bytes(b"an earlier run's model")  # must not pass for this run's
    with pytest.raises(OptionError, match="holds a `train` run of a landmarkset that kept no run record"):
        cross_validate(train_data, dataset, str(run), folds=2, config=TrainConfig(epochs=1), progress=False)
    with pytest.raises(TrainingError, match=r"never fell|collapsed|below the cross-validated") as caught:
        cross_validate(
            train_data, dataset, str(run), folds=2, config=TrainConfig(epochs=1), progress=False, overwrite=True
        )
    assert str(caught.value).startswith(f"{run}: ") and "model.rejected.pt" in str(caught.value)
    assert (run / "model.rejected.pt").exists() and not (run / "model.pt").exists()
    assert "failed: " in json.loads((run / "metrics.json").read_text())["final"]["check"]
    kept = cross_validate(train_data, dataset, str(run), folds=2, config=TrainConfig(epochs=1), keep_rejected=True,
                          progress=False, overwrite=True)  # fmt: skip
    assert kept.final.problems and (run / "model.pt").exists() and not (run / "model.rejected.pt").exists()
    result = CliRunner().invoke(main, ["train-tcn", train_data, "-o", str(tmp_path / "cli"), "--folds", "2",
                                       "--epochs", "1", "-q"])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(f"Error: {tmp_path / 'cli'}: the ")


def test_a_collapsed_model_is_named_by_evaluate_and_explain(train_data, trained_tcn, tmp_path):
    run, _ = trained_tcn
    model, record = load_model(os.path.join(run, "model.pt"))
    with torch.no_grad():
        last = [module for module in model.modules() if isinstance(module, torch.nn.Linear)][-1]
        last.bias[:] = -1e4
        last.bias[0] = 1e4  # every sample: the first class
    collapsed = str(tmp_path / "collapsed.pt")
    save_model(collapsed, model, record)
    evaluated = evaluate(collapsed, train_data, str(tmp_path / "eval"))
    assert len(evaluated.warnings) == 1 and f"predicts {record.classes[0]!r} for all" in evaluated.warnings[0]
    first = read_dataset(train_data).sequence[:2]
    explained = explain_dataset(collapsed, train_data, str(tmp_path / "x"), ids=list(first), progress=False)
    assert explained.warnings and "collapsed to one class" in explained.warnings[0]
    report = (tmp_path / "x" / "report.md").read_text().splitlines()
    assert report[1].startswith("**Warning: ") and "collapsed" in report[1]  # right under the title
    result = CliRunner().invoke(main, ["evaluate", collapsed, train_data, "-o", str(tmp_path / "e2")])
    assert result.exit_code == 0 and "collapsed to one class" in result.output


def _tiny_dataset(path: str, poison: bool) -> None:
    builder = DatasetBuilder(frames=8, min_frames=2)
    rng = np.random.default_rng(0)
    for index in range(12):
        landmarks = rng.random((10, 68, 2)).astype(np.float32)
        if poison and index == 3:
            landmarks[2, 10] = np.nan
        builder.add_sequence(f"s{index}", landmarks, label=["a", "b"][index % 2], subject=f"S{index % 6}")
    with pytest.warns(UserWarning, match="no track"):
        write_dataset(path, builder.build())


def test_two_folds_of_one_subject_say_what_to_do(tmp_path):
    builder = DatasetBuilder(frames=8, min_frames=2)
    rng = np.random.default_rng(0)
    for index in range(6):
        builder.add_sequence(f"s{index}", rng.random((10, 68, 2)), label=["a", "b"][index % 2], subject="S1")
    with pytest.warns(UserWarning, match="no track"):
        write_dataset(str(tmp_path / "one.h5"), builder.build())
    result = CliRunner().invoke(
        main, ["train-tcn", str(tmp_path / "one.h5"), "-o", str(tmp_path / "r"), "--folds", "2"]
    )
    assert result.exit_code == 2 and "Use fewer --folds" not in result.output
    assert "build a dataset with more subjects, or use --protocol paper" in result.output


def test_non_finite_samples_and_a_diverging_loss_are_refused(tmp_path):
    poisoned = str(tmp_path / "nan.h5")
    _tiny_dataset(poisoned, poison=True)
    dataset = read_dataset(poisoned)
    bad = [dataset.sequence[i] for i in range(len(dataset)) if not np.isfinite(dataset.X[i]).all()]
    if not bad:  # the builder interpolates lone gaps; then poison the stored samples directly
        dataset.X[3, 1, 10] = np.nan
        bad = [dataset.sequence[3]]
    with pytest.raises(InputError, match=f"1 sample\\(s\\) hold non-finite values \\({bad[0]}\\)"):
        cross_validate(poisoned, dataset, str(tmp_path / "a"), folds=2, config=TrainConfig(epochs=2), progress=False)
    assert not (tmp_path / "a" / "model.pt").exists()
    clean = str(tmp_path / "clean.h5")
    _tiny_dataset(clean, poison=False)
    with pytest.raises(TrainingError, match=r"fold 1: the training loss became (nan|inf) at epoch"):
        cross_validate(clean, read_dataset(clean), str(tmp_path / "b"), folds=2,
                       config=TrainConfig(epochs=5, lr=1e12, batch_size=4), progress=False)  # fmt: skip
    assert not (tmp_path / "b" / "model.pt").exists()


def test_a_spiking_validation_loss_is_named():
    from landmarkset.models.training.fitting import Fitted

    def fitted(losses):
        return Fitted(None, {"train_loss": losses, "val_loss": losses, "val_accuracy": [0] * len(losses)}, 1, "budget")

    assert fitted([1.0, 0.5, 0.3, 0.35, 0.2]).loss_spike == 0  # noise is not a spike
    assert fitted([1.0, 0.3, 0.25, 1.2, 0.3]).loss_spike == 4  # above 3x its lowest and above its start
    assert fitted([1.0, 0.3, 0.9, 0.2]).loss_spike == 0  # 3x the lowest but below where it started


def test_leave_one_subject_out_and_the_unweighted_figures(tmp_path):
    from sklearn.metrics import f1_score, recall_score

    path = str(tmp_path / "tiny.h5")
    _tiny_dataset(path, poison=False)
    dataset = read_dataset(path)
    report = cross_validate(path, dataset, str(tmp_path / "loso"), protocol="loso", folds=2,
                            config=TrainConfig(epochs=3, batch_size=4), keep_rejected=True, progress=False)  # fmt: skip
    assert len(report.folds) == 6  # one per subject, whatever --folds says
    assert all(len(fold.test_subjects) == 1 for fold in report.folds)
    assert sorted(s for fold in report.folds for s in fold.test_subjects) == sorted(set(dataset.subject))
    matrix = np.array(report.confusion_matrix)  # the pooled predictions, rebuilt from the matrix
    truth = np.repeat(np.arange(len(matrix)), matrix.sum(axis=1))
    guess = np.concatenate([np.repeat(np.arange(len(matrix)), row) for row in matrix])
    assert report.uar == pytest.approx(recall_score(truth, guess, average="macro", zero_division=0))
    assert report.macro_f1 == pytest.approx(f1_score(truth, guess, average="macro", zero_division=0))
    assert "UF1" in report.summary() and "UAR" in report.summary()
    with pytest.raises(OptionError, match="at least 3 subjects"):
        _loso_on_two_subjects(tmp_path)


def _loso_on_two_subjects(tmp_path):
    builder = DatasetBuilder(frames=8, min_frames=2)
    rng = np.random.default_rng(0)
    for index in range(8):
        label, subject = ["a", "b"][index % 2], f"S{index % 2}"
        builder.add_sequence(f"s{index}", rng.random((10, 68, 2)), label=label, subject=subject)
    with pytest.warns(UserWarning, match="no track"):
        write_dataset(str(tmp_path / "two.h5"), builder.build())
    cross_validate(str(tmp_path / "two.h5"), read_dataset(str(tmp_path / "two.h5")), str(tmp_path / "y"),
                   protocol="loso", progress=False)  # fmt: skip
