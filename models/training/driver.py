"""`train`: cross-validate any registered model under a protocol, train the delivered model, check it, write
the run directory (docs/training.md). The one driver of the training stage, as ``datasets/build.py`` is for
builds.

How long each model trains comes from the data (``config.training_budget``). The delivered model is refitted
on all samples for the median number of optimiser steps at which the folds' validation loss was best (no
early stop on a tiny inner split), then scored on its own training data: a model that predicts one class for
everything, scores clearly below the cross-validated figure, or comes from folds whose training loss never
fell is refused (saved as model.rejected.pt, TrainingError) unless ``keep_rejected``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional

import numpy as np

from landmarkset.errors import InputError, OptionError, TrainingError
from landmarkset.io import Dataset
from landmarkset.progress import progress_bar
from landmarkset.runfolder import RunFolder

from ..inference import predict
from ..modelfile import save_model
from ..runinfo import data_record, versions
from ..spec import get_spec
from ..tcn import count_parameters
from .config import Budget, TrainConfig, resolve_config, steps_per_epoch, training_budget
from .fitting import seed_everything
from .job import TrainingJob
from .metrics import (
    classification_scores,
    headline,
    near_chance,
    near_chance_warning,
    scores_by_part,
    write_classification_figures,
)
from .protocols import DEFAULT_PROTOCOL, Protocol, get_protocol
from .report import FinalModel, FoldResult, TrainReport, files_in

RUN_FILES = ("metrics.json", "confusion_matrix.png", "training_curves.png", "model.pt")
REJECTED = "model.rejected.pt"  # where a delivered model that fails its check is kept
BELOW_CV = 0.1  # a delivered model whose training accuracy is this far below the cross-validated one is refused
SMALL_TEST = 10  # fold test sets smaller than this get a warning: each sample moves the accuracy a lot


def _check_finite(samples: np.ndarray, dataset: Dataset, data_path: str) -> None:
    """InputError naming the samples that hold NaN or infinite values (they would make the loss NaN)."""
    values = np.asarray(samples)
    if not np.issubdtype(values.dtype, np.floating):  # integers (crops) are always finite: no float copy
        return
    finite = np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if not finite.all():
        bad = [dataset.sequence[i] for i in np.flatnonzero(~finite)]
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise InputError(
            f"{data_path}: {len(bad)} sample(s) hold non-finite values ({', '.join(bad[:3])}{more}); training on them "
            "would deliver an untrained model: rebuild the dataset (frames without a face are interpolated by the "
            "builders) or leave those samples out"
        )


@dataclass
class _Run:
    """What every step of a cross-validation reads: the job, the samples, the settings and the records."""

    job: TrainingJob
    dataset: Dataset
    samples: np.ndarray
    config: TrainConfig
    protocol: Protocol
    run_dir: str
    data: dict[str, Any]
    training: dict[str, Any]
    software: dict[str, str]
    progress: Optional[bool]


@dataclass
class _Folds:
    """The folds' results, in fold order."""

    truth: list[np.ndarray] = field(default_factory=list)
    predicted: list[np.ndarray] = field(default_factory=list)
    tested: list[np.ndarray] = field(default_factory=list)
    results: list[FoldResult] = field(default_factory=list)
    curves: list[Any] = field(default_factory=list)
    best_steps: list[int] = field(default_factory=list)


def cross_validate(
    data_path: str,
    dataset: Dataset,
    run_dir: str,
    *,
    model: str = "tcn",
    protocol: str = DEFAULT_PROTOCOL,
    folds: int = 6,
    config: Optional[TrainConfig] = None,
    samples: Optional[np.ndarray] = None,
    keep_rejected: bool = False,
    progress: Optional[bool] = None,
    overwrite: bool = False,
) -> TrainReport:
    """Cross-validate the registered ``model``, train the delivered model on all data, check it, write RUN_DIR.

    The model's declaration (:class:`~landmarkset.models.spec.ModelSpec`) says which samples it takes; they
    are read from ``data_path`` unless ``samples`` are given (e.g. ``/dataset/crops`` for the SCN). RUN_DIR
    gets metrics.json, confusion_matrix.png, training_curves.png, folds/foldN.pt and model.pt
    (docs/training.md). A delivered model that fails its check raises TrainingError after everything else
    is written, and is kept as model.rejected.pt (as model.pt with ``keep_rejected``, the report warning).
    RUN_DIR is a run folder (landmarkset.runfolder): another command's or run's is refused unless ``overwrite``.
    """
    spec, chosen = get_spec(model), get_protocol(protocol)
    config = _resolved_config(spec, chosen, config or TrainConfig(), protocol)
    if samples is None:
        samples = spec.input.read(data_path, dataset)
    if len(samples) != len(dataset):
        raise OptionError(f"{len(samples)} samples given for a dataset of {len(dataset)}: pass the dataset's own.")
    _check_finite(samples, dataset, data_path)
    fold_splits = chosen.splits(dataset, folds, config.seed)  # too few subjects for the folds: refused here
    settings = {"model": model, "protocol": protocol, "folds": folds, "config": asdict(config),
                "keep_rejected": keep_rejected}  # fmt: skip
    with RunFolder(run_dir, "train", settings, [data_path], overwrite=overwrite,
                   writes=(*RUN_FILES, "folds", REJECTED)):  # fmt: skip
        run = _Run(TrainingJob(spec, samples, config, list(dataset.classes)), dataset, samples, config, chosen,
                   run_dir, data_record(data_path, dataset), {**asdict(config), "protocol": protocol, "folds": folds},
                   versions(), progress)  # fmt: skip
        os.makedirs(os.path.join(run_dir, "folds"), exist_ok=True)
        with progress_bar(len(fold_splits) + 1, f"{model} {protocol} CV", "models", progress) as overall:
            results = _run_folds(run, fold_splits, overall)
            final, final_budget = _train_delivered(run, results.best_steps)
            overall.update()
        training = {**run.training, "epochs": final_budget.epochs, "final_rule": final_budget.rule}
        final_record = run.job.record(training=training, data=run.data, versions=run.software)
        report = _report(run, model, protocol, results, final, final_record, final_budget)
        _deliver(run, report, final, final_record, keep_rejected)
        return report


def _resolved_config(spec: Any, chosen: Protocol, config: TrainConfig, protocol: str) -> TrainConfig:
    """``config`` with the protocol's and the model's defaults filled in; OptionError for what the protocol bars."""
    if config.augment is None and not chosen.allows_augmentation:
        config = replace(config, augment=False)  # the protocol's own default
    if config.lr is None:
        config = replace(config, lr=chosen.learning_rate)
    config = resolve_config(spec, config)
    if config.augment and not chosen.allows_augmentation:
        raise OptionError(f"Augmentation is off under the {protocol} protocol (it did not use any); drop --augment.")
    return config


def _run_folds(run: _Run, fold_splits: list[tuple[np.ndarray, np.ndarray]], overall: Any) -> _Folds:
    """Train and test a model per fold (saved as folds/foldN.pt)."""
    found, dataset, samples, config = _Folds(), run.dataset, run.samples, run.config
    for number, (train, test) in enumerate(fold_splits, start=1):
        seed_everything(config.seed + number, config.device)
        fit_idx, val_idx = run.protocol.inner_split(dataset, train, config.validation, config.seed)
        budget = training_budget(config, len(fit_idx))
        with progress_bar(budget.epochs, f"fold {number}/{len(fold_splits)}", "epochs", run.progress, step=0.25,
                          leave=False) as bar:  # fmt: skip
            try:
                fitted = run.job.train(
                    samples[fit_idx], dataset.y[fit_idx], samples[val_idx], dataset.y[val_idx], budget, bar
                )
            except TrainingError as error:
                raise TrainingError(f"fold {number}: {error}") from None
        training = {**run.training, "epochs": budget.epochs, "patience": budget.patience}
        record = run.job.record(
            training=training, data=run.data, versions=run.software, fold=number, test_indices=test.tolist()
        )
        guess = predict(fitted.model, record, samples[test], device=config.device)
        found.truth.append(dataset.y[test])
        found.predicted.append(guess)
        found.tested.append(test)
        found.results.append(FoldResult(
            fold=number, accuracy=float(np.mean(guess == dataset.y[test])), test_samples=len(test),
            epochs=fitted.epochs, test_subjects=sorted(set(np.array(dataset.subject)[test].tolist())),
            budget_epochs=budget.epochs, best_epoch=fitted.best_epoch, stopped=fitted.stopped,
            still_improving=fitted.still_improving, loss_fell=fitted.loss_fell, loss_spike=fitted.loss_spike,
            budget_rule=budget.rule,
        ))  # fmt: skip
        found.curves.append(fitted.history)
        found.best_steps.append(fitted.best_epoch * budget.steps_per_epoch)
        save_model(os.path.join(run.run_dir, "folds", f"fold{number}.pt"), fitted.model, record)
        overall.update()
    return found


def _train_delivered(run: _Run, best_steps: list[int]) -> tuple[Any, Budget]:
    """The delivered model: all samples, for the median of the folds' best numbers of optimiser steps."""
    dataset, config = run.dataset, run.config
    seed_everything(config.seed, config.device)
    nothing = np.arange(0)
    per_epoch = steps_per_epoch(len(dataset), config.batch_size)
    final_epochs = max(1, round(int(np.median(best_steps)) / per_epoch))
    rule = (
        f"{final_epochs} epochs on all {len(dataset)} samples: the median of the folds' best numbers of "
        f"optimiser steps ({', '.join(map(str, best_steps))}) at {per_epoch} steps per epoch"
    )
    budget = Budget(epochs=final_epochs, patience=final_epochs, steps_per_epoch=per_epoch, rule=rule)
    with progress_bar(final_epochs, "final model", "epochs", run.progress, step=0.25, leave=False) as bar:
        try:
            final = run.job.train(run.samples, dataset.y, run.samples[nothing], dataset.y[nothing], budget, bar,
                                  early_stopping=False).model  # fmt: skip
        except TrainingError as error:
            raise TrainingError(f"final model: {error}") from None
    return final, budget


def _report(run: _Run, model: str, protocol: str, folds: _Folds, final: Any, final_record: Any,
            budget: Budget) -> TrainReport:  # fmt: skip
    """The cross-validated figures (scikit-learn's), the delivered model's check, the warnings."""
    dataset = run.dataset
    truth, predicted = np.concatenate(folds.truth), np.concatenate(folds.predicted)
    scores = classification_scores(truth, predicted, dataset.classes)
    parts = None if dataset.parts is None else [dataset.parts[i] for i in np.concatenate(folds.tested)]
    on_training = predict(final, final_record, run.samples, device=run.config.device)
    counts = np.bincount(on_training, minlength=len(dataset.classes))
    delivered = FinalModel(
        epochs=budget.epochs,
        rule=budget.rule,
        training_accuracy=float(np.mean(on_training == dataset.y)),
        predicted_classes={name: int(n) for name, n in zip(dataset.classes, counts) if n},
    )
    accuracies = [fold.accuracy for fold in folds.results]
    report = TrainReport(
        model=model, protocol=protocol, folds=folds.results, accuracy_mean=float(np.mean(accuracies)),
        accuracy_std=float(np.std(accuracies)), accuracy_pooled=scores["accuracy"], classes=scores["classes"],
        per_class=scores["per_class"], macro_f1=scores["macro_f1"], uar=scores["uar"],
        by_dataset=scores_by_part(truth, predicted, parts, dataset.classes),
        confusion_matrix=scores["confusion_matrix"], chance=float(np.bincount(dataset.y).max() / len(dataset.y)),
        parameters=count_parameters(final), config=asdict(run.config), input=final_record.input, data=run.data,
        versions=run.software, final=delivered, run_dir=os.path.abspath(run.run_dir),
        files=files_in(run.run_dir, RUN_FILES),
    )  # fmt: skip
    delivered.problems = _problems(report, dataset)
    delivered.near_chance = near_chance(report.uar, len(report.classes))
    report.warnings = _warnings(report)
    final_record.training["check"] = delivered.check
    final_record.training["training_accuracy"] = delivered.training_accuracy
    report.write(os.path.join(run.run_dir, "metrics.json"))
    figures = headline(report.uar, report.macro_f1, report.accuracy_mean, report.chance, len(report.classes),
                       f" +- {report.accuracy_std:.3f}")  # fmt: skip
    title = f"{model.upper()}, {protocol} protocol: {figures}"
    write_classification_figures(report.confusion_matrix, report.classes, run.run_dir, title, folds.curves,
                                 folds.results)  # fmt: skip
    return report


def _deliver(run: _Run, report: TrainReport, final: Any, final_record: Any, keep_rejected: bool) -> None:
    """model.pt, or model.rejected.pt and TrainingError when the delivered model fails its check."""
    model_path, rejected = os.path.join(run.run_dir, "model.pt"), os.path.join(run.run_dir, REJECTED)
    for stale in (model_path, rejected):  # a file of an earlier run in this folder must not pass for this one
        if os.path.exists(stale):
            os.remove(stale)
    problems = report.final.problems
    if problems and not keep_rejected:
        save_model(rejected, final, final_record)
        report.files["model.pt"] = rejected
        raise TrainingError(
            f"{run.run_dir}: {problems[0]}"
            + (f" ({len(problems) - 1} more in metrics.json)" if len(problems) > 1 else "")
            + f"; the model was kept as {REJECTED} (--keep-rejected delivers it as model.pt)"
        )
    save_model(model_path, final, final_record)


def _early_note(report: TrainReport) -> str:
    """Advice when folds stopped early: a model that learns late (after a long plateau) needs more patience."""
    early = [fold for fold in report.folds if fold.stopped == "early"]
    if not early:
        return ""
    epochs = ", ".join(str(fold.epochs) for fold in early)
    return f"; {len(early)} fold(s) stopped early (after {epochs} epochs): a model that learns late needs --patience"


def _problems(report: TrainReport, dataset: Dataset) -> list[str]:
    """Why the delivered model cannot be trusted to be what the figures describe (empty: it passes)."""
    problems = []
    final = report.final
    present = len(set(dataset.y.tolist()))
    if present > 1 and len(final.predicted_classes) == 1:
        only = next(iter(final.predicted_classes))
        problems.append(
            f"the delivered model predicts {only!r} for all {len(dataset)} of its training samples (training accuracy "
            f"{final.training_accuracy:.3f}, cross-validated {report.accuracy_pooled:.3f}): it has collapsed to one "
            "class; train longer (--epochs, --steps) or try another --seed" + _early_note(report)
        )
    elif final.training_accuracy < report.accuracy_pooled - BELOW_CV:
        problems.append(
            f"the delivered model scores {final.training_accuracy:.3f} on its own training data, below the "
            f"cross-validated {report.accuracy_pooled:.3f}: it is not the model the figures describe; train longer "
            "(--epochs, --steps) or try another --seed"
        )
    flat = [fold.fold for fold in report.folds if not fold.loss_fell]
    if flat:
        problems.append(
            f"the training loss of fold(s) {', '.join(map(str, flat))} never fell, so their figures measure untrained "
            "models; train longer (--epochs, --steps) or raise --lr"
        )
    return problems


def _warnings(report: TrainReport) -> list[str]:
    """What the figures do not show at a glance: budgets that ran out while improving, validation losses
    that spiked, tiny test folds."""
    warnings = []
    chance = near_chance_warning(report.uar, len(report.classes), "the cross-validated model")
    warnings += [chance] if chance else []
    improving = [fold.fold for fold in report.folds if fold.still_improving]
    if improving:
        warnings.append(
            f"{len(improving)} of {len(report.folds)} folds ({', '.join(map(str, improving))}) used their whole budget "
            "with the validation loss still falling: more --steps or --epochs may raise the accuracy"
        )
    spiked = [f"{fold.fold} (epoch {fold.loss_spike})" for fold in report.folds if fold.loss_spike]
    if spiked:
        warnings.append(
            f"the validation loss of fold(s) {', '.join(spiked)} jumped above 3 times its lowest (an unstable "
            "optimisation): the kept weights are those of the best epoch, but a lower --lr may train steadier"
        )
    smallest = min(fold.test_samples for fold in report.folds)
    if smallest < SMALL_TEST:
        warnings.append(
            f"the smallest test fold holds {smallest} samples, so one sample moves its accuracy by "
            f"{1 / smallest:.2f}: read the +- as rough; a larger dataset gives steadier figures"
        )
    return warnings
