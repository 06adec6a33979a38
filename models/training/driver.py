"""`train`: cross-validate any registered model under a protocol, train the delivered model, write the run
directory (docs/training.md). The one driver of the training stage, as ``datasets/build.py`` is for builds.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Optional

import numpy as np
from torch import nn
from tqdm.auto import tqdm

from landmarkset.errors import OptionError
from landmarkset.io import Dataset

from ..inference import network_input, predict
from ..modelfile import ModelRecord, save_model
from ..runinfo import data_record, versions
from ..spec import ModelSpec, get_model, get_spec
from ..tcn import count_parameters
from .config import TrainConfig, resolve_config
from .fitting import fit, seed_everything
from .metrics import classification_scores, write_classification_figures
from .protocols import DEFAULT_PROTOCOL, get_protocol
from .report import FoldResult, TrainReport, files_in

RUN_FILES = ("metrics.json", "confusion_matrix.png", "training_curves.png", "model.pt")


@dataclass
class _Job:
    """A model's declaration, its raw samples and the resolved settings for one cross-validation."""

    spec: ModelSpec
    samples: np.ndarray
    config: TrainConfig
    classes: list[str]

    def arguments(self) -> dict[str, Any]:
        return self.spec.arguments(self.spec.input.dimensions(self.samples), len(self.classes))

    def record(self, **fields: Any) -> ModelRecord:
        return ModelRecord(
            model=self.spec.name,
            arguments=self.arguments(),
            classes=list(self.classes),
            input={
                "kind": self.spec.input.name,
                "preprocessing": self.config.preprocessing,
                "dimensions": self.spec.input.dimensions(self.samples),
            },
            **fields,
        )

    def train(
        self, dataset: Dataset, fit_idx: np.ndarray, val_idx: np.ndarray, bar: tqdm
    ) -> tuple[nn.Module, dict[str, list[float]]]:
        model = get_model(self.spec.name, **self.arguments())
        augmenter = self.spec.input.augmenter() if self.config.augment else None
        return fit(
            model,
            lambda samples: network_input(self.spec, self.config.preprocessing, samples),
            self.samples[fit_idx],
            dataset.y[fit_idx],
            self.samples[val_idx],
            dataset.y[val_idx],
            self.config,
            bar,
            augmenter,
        )


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
    progress: Optional[bool] = None,
) -> TrainReport:
    """Cross-validate the registered ``model``, train a final model on all data, and write RUN_DIR.

    The model's declaration (:class:`~landmarkset.models.spec.ModelSpec`) says which samples it takes; they
    are read from ``data_path`` unless ``samples`` are given (e.g. ``/dataset/crops`` for the SCN). RUN_DIR
    gets metrics.json, confusion_matrix.png, training_curves.png, folds/foldN.pt and model.pt
    (docs/training.md).
    """
    spec = get_spec(model)
    config = resolve_config(spec, config)
    chosen = get_protocol(protocol)
    if config.augment and not chosen.allows_augmentation:
        raise OptionError(f"Augmentation is off under the {protocol} protocol (it did not use any); drop --augment.")
    if samples is None:
        samples = spec.input.read(data_path, dataset)
    if len(samples) != len(dataset):
        raise OptionError(f"{len(samples)} samples given for a dataset of {len(dataset)}: pass the dataset's own.")
    job = _Job(spec, samples, config, list(dataset.classes))
    os.makedirs(os.path.join(run_dir, "folds"), exist_ok=True)
    fold_splits = chosen.splits(dataset, folds, config.seed)
    truth, predicted, per_fold, curves = [], [], [], []
    disable = None if progress is None else not progress
    data = data_record(data_path, dataset)
    training = {**asdict(config), "protocol": protocol, "folds": folds}
    software = versions()
    with tqdm(total=len(fold_splits) + 1, desc=f"{model} {protocol} CV", unit="model", disable=disable) as overall:
        for number, (train, test) in enumerate(fold_splits, start=1):
            seed_everything(config.seed + number, config.device)
            fit_idx, val_idx = chosen.inner_split(dataset, train, config.validation, config.seed)
            with tqdm(
                total=config.epochs,
                desc=f"fold {number}/{len(fold_splits)}",
                unit="epoch",
                leave=False,
                disable=disable,
            ) as bar:
                network, history = job.train(dataset, fit_idx, val_idx, bar)
            record = job.record(
                training=training, data=data, versions=software, fold=number, test_indices=test.tolist()
            )
            guess = predict(network, record, samples[test], device=config.device)
            truth.append(dataset.y[test])
            predicted.append(guess)
            per_fold.append(
                FoldResult(
                    fold=number,
                    accuracy=float(np.mean(guess == dataset.y[test])),
                    test_samples=len(test),
                    epochs=len(history["train_loss"]),
                    test_subjects=sorted(set(np.array(dataset.subject)[test].tolist())),
                )
            )
            curves.append(history)
            save_model(os.path.join(run_dir, "folds", f"fold{number}.pt"), network, record)
            overall.update()
        # The delivered model: trained on all data (an inner split still drives early stopping).
        seed_everything(config.seed, config.device)
        fit_idx, val_idx = chosen.inner_split(dataset, np.arange(len(dataset)), config.validation, config.seed)
        with tqdm(total=config.epochs, desc="final model", unit="epoch", leave=False, disable=disable) as bar:
            final, _ = job.train(dataset, fit_idx, val_idx, bar)
        overall.update()
    accuracies = [fold.accuracy for fold in per_fold]
    scores = classification_scores(np.concatenate(truth), np.concatenate(predicted), dataset.classes)
    final_record = job.record(training=training, data=data, versions=software)
    report = TrainReport(
        model=model,
        protocol=protocol,
        folds=per_fold,
        accuracy_mean=float(np.mean(accuracies)),
        accuracy_std=float(np.std(accuracies)),
        accuracy_pooled=scores["accuracy"],
        classes=scores["classes"],
        per_class=scores["per_class"],
        macro_f1=scores["macro_f1"],
        confusion_matrix=scores["confusion_matrix"],
        chance=float(np.bincount(dataset.y).max() / len(dataset.y)),
        parameters=count_parameters(final),
        config=asdict(config),
        input=final_record.input,
        data=data,
        versions=software,
        run_dir=os.path.abspath(run_dir),
        files=files_in(run_dir, RUN_FILES),
    )
    report.write(os.path.join(run_dir, "metrics.json"))
    title = f"{model.upper()}, {protocol} protocol: accuracy {report.accuracy_mean:.3f} +- {report.accuracy_std:.3f}"
    write_classification_figures(report.confusion_matrix, report.classes, run_dir, title, curves)
    save_model(os.path.join(run_dir, "model.pt"), final, final_record)
    return report
