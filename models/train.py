"""Training and honest cross-validation of the paper's models (TCN on landmarks, SCN on face crops).

Protocols:
- ``subject`` (default): stratified subject-grouped k-fold (scikit-learn's StratifiedGroupKFold); no
  subject is in two folds, and synthetic neutral samples, which keep their source's subject, follow it.
- ``paper``: six random 85/15 splits by sequence, as published; the same subject can then be in training
  and test, which inflates accuracy. Reported side by side with ``subject`` so the difference is visible.
Inside each training part, an inner validation split (by subject under ``subject``) drives early stopping.

Optimiser: the paper's SGD (lr 1e-3, "rate decay" 1e-4, momentum 0.3 for the TCN, 0.7 for the SCN). The
paper's wording and Keras's SGD(decay=...) both mean a learning rate decayed per step as
lr / (1 + decay * step), not an L2 penalty; ``weight_decay`` (L2) is a separate option, 0 by default.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import platform
import warnings
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Optional

import numpy as np
import torch
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, StratifiedGroupKFold
from torch import nn
from tqdm.auto import tqdm

from landmarkset import __version__
from landmarkset.errors import OptionError
from landmarkset.io import Dataset

from .inference import network_input, predict
from .metrics import classification_scores, write_classification_figures
from .modelfile import ModelRecord, save_model
from .spec import ModelSpec, get_model, get_spec
from .tcn import count_parameters


@dataclass
class TrainConfig:
    """Optimisation settings; defaults follow the paper where it says something (see the module doc).

    ``None`` means "what the model declares" (``ModelSpec.training``, or its input's first preprocessing).
    """

    epochs: int = 30
    batch_size: int = 16  # not in the paper; faster per sample than 32 on CPU (benchmarks/train_speed.py)
    lr: float = 1e-3
    lr_decay: float = 1e-4  # per step: lr / (1 + lr_decay * step)
    momentum: Optional[float] = None  # None: the model's paper value (TCN 0.3, SCN 0.7)
    weight_decay: float = 0.0
    patience: int = 10  # epochs without a better validation loss before stopping
    validation: float = 0.15  # share of the training part held out for early stopping
    augment: bool = False  # augmentation of the model's input kind (landmarks only)
    preprocessing: Optional[str] = None  # None: the input kind's default (landmarks: motion)
    seed: int = 0
    device: str = "cpu"
    # "auto": bfloat16 autocast on a CPU with native bfloat16 (AVX512-BF16, AMX), else float32
    # (benchmarks/train_speed.py: 2.5x the TCN's samples/s at the same accuracy); "fp32", "bf16".
    precision: str = "auto"


def resolve_config(spec: ModelSpec, config: Optional[TrainConfig] = None) -> TrainConfig:
    """``config`` with every ``None`` replaced by the model's declaration; OptionError for settings it cannot use."""
    config = config or TrainConfig()
    declared = {name: value for name, value in spec.training.items() if getattr(config, name, 0) is None}
    config = replace(config, **declared)
    if config.momentum is None:
        config = replace(config, momentum=0.9)
    kind = spec.input
    if config.preprocessing is None:
        config = replace(config, preprocessing=kind.preprocessing[0])
    if config.preprocessing not in kind.preprocessing:
        raise OptionError(
            f"Unknown preprocessing {config.preprocessing!r} for the {spec.name!r} model ({kind.name}). "
            f"Valid: {', '.join(kind.preprocessing)}."
        )
    if config.augment and kind.augmenter() is None:
        raise OptionError(f"The {spec.name!r} model takes {kind.name}, which have no augmentation: drop --augment.")
    if config.precision not in PRECISIONS:
        raise OptionError(
            f"The 'precision' parameter must be one of {', '.join(PRECISIONS)}. Got {config.precision!r} instead."
        )
    if config.precision == "auto":
        config = replace(config, precision="bf16" if native_bf16(config.device) else "fp32")
    return config


PRECISIONS = ("auto", "fp32", "bf16")


def native_bf16(device: str) -> bool:
    """Whether ``device`` computes in bfloat16 natively: a CPU with AVX512-BF16 or AMX (oneDNN), or a CUDA
    GPU that supports it. Elsewhere bfloat16 is emulated, slower than float32."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device != "cpu":
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


_PREPARED_BYTES = 256 * 2**20  # training samples prepared once for all epochs below this size
MIN_TRAINING = 4  # samples a training part needs: an inner validation split and a batch of two to fit


def splits(dataset: Dataset, protocol: str, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays for each fold of ``protocol``; OptionError (with the fix) when the data is
    too small for them."""
    indices = np.arange(len(dataset))
    if protocol == "subject":
        subjects = np.array(dataset.subject)
        if len(set(subjects)) < folds:
            raise OptionError(
                f"{folds} subject-grouped folds need at least {folds} subjects; the data has "
                f"{len(set(subjects))}. Use fewer --folds."
            )
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        with warnings.catch_warnings():  # "least populated class has fewer members than folds": expected
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            try:
                parts = [(train, test) for train, test in splitter.split(indices, dataset.y, groups=subjects)]
            except ValueError as error:  # e.g. a class with fewer samples than folds
                raise OptionError(f"{folds} subject-grouped folds cannot be made: {error} Use fewer --folds.") from None
        fewest = min(len(set(subjects[train])) for train, _ in parts)
        if fewest < 2 or min(len(train) for train, _ in parts) < MIN_TRAINING:
            raise OptionError(
                f"{folds} subject-grouped folds of {len(dataset)} samples from {len(set(subjects))} subjects leave "
                f"a training part with {fewest} subject(s), too few to train and validate. Use fewer --folds."
            )
        return parts
    if protocol == "paper":
        parts = list(ShuffleSplit(n_splits=folds, test_size=0.15, random_state=seed).split(indices))
        if min(len(train) for train, _ in parts) < MIN_TRAINING:
            raise OptionError(
                f"{len(dataset)} samples are too few to train and test ({MIN_TRAINING + 1} at least; --folds only "
                "sets how many random splits are made): build a larger dataset."
            )
        return parts
    raise OptionError(f"The 'protocol' parameter must be 'subject' or 'paper'. Got {protocol!r} instead.")


def _inner_split(dataset: Dataset, train: np.ndarray, protocol: str, config: TrainConfig):
    if protocol == "subject":
        splitter = GroupShuffleSplit(n_splits=1, test_size=config.validation, random_state=config.seed)
        fit_part, val = next(splitter.split(train, groups=np.array(dataset.subject)[train]))
    else:
        fit_part, val = next(
            ShuffleSplit(n_splits=1, test_size=config.validation, random_state=config.seed).split(train)
        )
    return train[fit_part], train[val]


def _seed_everything(seed: int, device: str = "cpu") -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    # CUDA kernels (atomic adds) differ from run to run unless deterministic ones are asked for. On the CPU
    # the same seed and thread count already give identical models (tested), and deterministic mode
    # costs 40 % of the TCN's training speed there (benchmarks/train_speed.py), so it is CUDA only.
    torch.use_deterministic_algorithms(device.startswith("cuda"), warn_only=True)
    # Filling every new tensor with NaN (the default under deterministic mode) costs ~20 % of training
    # time and guards only against reading uninitialised memory, which nothing here does.
    torch.utils.deterministic.fill_uninitialized_memory = False


def fit(
    model: nn.Module,
    prepare: Callable[[np.ndarray], torch.Tensor],
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    config: TrainConfig,
    progress: Optional[tqdm] = None,
    augmenter: Optional[Callable[[np.ndarray, np.random.Generator], np.ndarray]] = None,
) -> tuple[nn.Module, dict[str, list[float]]]:
    """Train with SGD and early stopping on the validation loss; return the best model and the curves.

    ``prepare`` turns raw samples into network input; ``augmenter`` (optional) transforms raw training
    samples afresh every epoch.
    """
    device = torch.device(config.device)
    model.to(device, memory_format=torch.channels_last)  # ~20 % faster convolutions on CPU
    momentum = config.momentum if config.momentum is not None else 0.9
    optimiser = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=momentum, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 1.0 / (1.0 + config.lr_decay * step))
    rng = np.random.default_rng(config.seed)

    def on_device(samples: np.ndarray) -> torch.Tensor:
        x = prepare(samples)
        return x.to(device, memory_format=torch.channels_last) if x.dim() == 4 else x.to(device)

    # Autocast keeps the weights, the loss and the optimiser in float32; convolutions and matrix products
    # run in bfloat16. "auto" was resolved by resolve_config; a bare "auto" here means float32.
    def autocast() -> torch.autocast:
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16")

    # Without augmentation every epoch feeds the same prepared samples: prepare them once, when they fit
    # in a modest amount of memory (an SCN's 224 px crops in float32 would not).
    prepared = None
    if augmenter is None and len(x):
        first = on_device(x[:1])
        if first.element_size() * first.numel() * len(x) < _PREPARED_BYTES:
            prepared = on_device(x)

    val_y = torch.from_numpy(np.asarray(y_val)).to(device)
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best, best_loss, stale = copy.deepcopy(model.state_dict()), float("inf"), 0
    for _ in range(config.epochs):
        model.train()
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(order), config.batch_size):
            chosen = order[start : start + config.batch_size]
            if len(chosen) < 2:  # batch norm needs two samples
                continue
            chosen = np.sort(chosen)
            if prepared is not None:
                inputs = prepared[torch.from_numpy(chosen).to(device)]
                if inputs.dim() == 4:
                    inputs = inputs.contiguous(memory_format=torch.channels_last)
            else:
                inputs = on_device(x[chosen] if augmenter is None else augmenter(x[chosen], rng))
            targets = torch.from_numpy(y[chosen]).to(device)
            optimiser.zero_grad()
            with autocast():
                logits = model(inputs)
            loss = nn.functional.cross_entropy(logits.float(), targets)
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad(), autocast():
            if len(val_y):
                logits = torch.cat([model(on_device(x_val[s : s + 64])) for s in range(0, len(x_val), 64)]).float()
                val_loss = nn.functional.cross_entropy(logits, val_y).item()
                val_accuracy = (logits.argmax(1) == val_y).float().mean().item()
            else:
                val_loss, val_accuracy = float(np.mean(losses)), float("nan")
        history["train_loss"].append(float(np.mean(losses)))
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if progress is not None:
            progress.update()
            progress.set_postfix(val_loss=f"{val_loss:.3f}", refresh=False)
        if val_loss < best_loss - 1e-4:
            best, best_loss, stale = copy.deepcopy(model.state_dict()), val_loss, 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.load_state_dict(best)
    model.eval()
    return model, history


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    protocol: str = "subject",
    folds: int = 6,
    config: Optional[TrainConfig] = None,
    samples: Optional[np.ndarray] = None,
    progress: Optional[bool] = None,
) -> dict[str, Any]:
    """Cross-validate the registered ``model``, train a final model on all data, and write RUN_DIR.

    The model's declaration (:class:`~landmarkset.models.spec.ModelSpec`) says which samples it takes; they
    are read from ``data_path`` unless ``samples`` are given (e.g. ``/dataset/crops`` for the SCN). RUN_DIR
    gets metrics.json, confusion_matrix.png, training_curves.png, folds/foldN.pt and model.pt
    (docs/training.md).
    """
    spec = get_spec(model)
    config = resolve_config(spec, config)
    if protocol == "paper" and config.augment:
        raise OptionError("Augmentation is off under the paper protocol (it did not use any); drop --augment.")
    if samples is None:
        samples = spec.input.read(data_path, dataset)
    if len(samples) != len(dataset):
        raise OptionError(f"{len(samples)} samples given for a dataset of {len(dataset)}: pass the dataset's own.")
    job = _Job(spec, samples, config, list(dataset.classes))
    os.makedirs(os.path.join(run_dir, "folds"), exist_ok=True)
    fold_splits = splits(dataset, protocol, folds, config.seed)
    truth, predicted, per_fold, curves = [], [], [], []
    disable = None if progress is None else not progress
    data = {"path": os.path.abspath(data_path), "sha256": file_hash(data_path), "samples": len(dataset)}
    data["resampling"] = str(dataset.attrs.get("resampling", ""))
    training = {**asdict(config), "protocol": protocol, "folds": folds}
    versions = {"landmarkset": __version__, "torch": str(torch.__version__), "python": platform.python_version()}
    with tqdm(total=len(fold_splits) + 1, desc=f"{model} {protocol} CV", unit="model", disable=disable) as overall:
        for number, (train, test) in enumerate(fold_splits, start=1):
            _seed_everything(config.seed + number, config.device)
            fit_idx, val_idx = _inner_split(dataset, train, protocol, config)
            with tqdm(
                total=config.epochs,
                desc=f"fold {number}/{len(fold_splits)}",
                unit="epoch",
                leave=False,
                disable=disable,
            ) as bar:
                network, history = job.train(dataset, fit_idx, val_idx, bar)
            record = job.record(
                training=training, data=data, versions=versions, fold=number, test_indices=test.tolist()
            )
            guess = predict(network, record, samples[test], config.device)
            truth.append(dataset.y[test])
            predicted.append(guess)
            per_fold.append(
                {
                    "fold": number,
                    "accuracy": float(np.mean(guess == dataset.y[test])),
                    "test_samples": len(test),
                    "epochs": len(history["train_loss"]),
                    "test_subjects": sorted(set(np.array(dataset.subject)[test].tolist())),
                }
            )
            curves.append(history)
            save_model(os.path.join(run_dir, "folds", f"fold{number}.pt"), network, record)
            overall.update()
        # The delivered model: trained on all data (an inner split still drives early stopping).
        _seed_everything(config.seed, config.device)
        fit_idx, val_idx = _inner_split(dataset, np.arange(len(dataset)), protocol, config)
        with tqdm(total=config.epochs, desc="final model", unit="epoch", leave=False, disable=disable) as bar:
            final, _ = job.train(dataset, fit_idx, val_idx, bar)
        overall.update()
    accuracies = [fold["accuracy"] for fold in per_fold]
    scores = classification_scores(np.concatenate(truth), np.concatenate(predicted), dataset.classes)
    final_record = job.record(training=training, data=data, versions=versions)
    metrics = {
        "model": model,
        "protocol": protocol,
        "folds": per_fold,
        "accuracy_mean": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "accuracy_pooled": scores.pop("accuracy"),
        **scores,
        "chance": float(np.bincount(dataset.y).max() / len(dataset.y)),
        "parameters": count_parameters(final),
        "config": asdict(config),
        "input": final_record.input,
        "data": data,
        "versions": versions,
    }
    with open(os.path.join(run_dir, "metrics.json"), "w") as handle:
        json.dump(metrics, handle, indent=2)
    accuracy = f"{metrics['accuracy_mean']:.3f} +- {metrics['accuracy_std']:.3f}"
    title = f"{model.upper()}, {protocol} protocol: accuracy {accuracy}"
    write_classification_figures(metrics, run_dir, title, curves)
    save_model(os.path.join(run_dir, "model.pt"), final, final_record)
    return metrics
