"""Training settings (:class:`TrainConfig`) and how a model's declaration fills them in.

Optimiser: the paper's SGD ("rate decay" 1e-4, momentum 0.3 for the TCN, 0.7 for the SCN). The paper's wording
and Keras's SGD(decay=...) both mean a learning rate decayed per step as lr / (1 + decay * step), not an L2
penalty; ``weight_decay`` (L2) is a separate option, 0 by default. The paper's learning rate, 1e-3, is the
``paper`` protocol's; the others start at 1e-2, which reaches the same accuracy in a fifth of the steps on the
demo's data and higher with the same budget (docs/benchmarks.md, "The training budget").

Training stops when it has learnt: the validation loss has not fallen by MIN_IMPROVEMENT of its best for a
patience of PATIENCE_STEPS optimiser steps (at least MIN_PATIENCE epochs), or the budget ran out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import torch

from landmarkset.errors import OptionError

from ..spec import ModelSpec

PRECISIONS = ("auto", "fp32", "bf16")
MIN_EPOCHS = 30  # the data-driven budget never runs fewer (the fixed default before 0.5)
MIN_PATIENCE = 10  # epochs
PATIENCE_STEPS = 50  # optimiser steps without a real improvement of the validation loss before stopping
MIN_IMPROVEMENT = 0.01  # a real improvement: the validation loss 1 % below its best so far
LEARNING_RATE = 1e-2  # None's learning rate, but for the paper protocol (1e-3, PAPER_LEARNING_RATE)
PAPER_LEARNING_RATE = 1e-3


@dataclass
class TrainConfig:
    """Optimisation settings; defaults follow the paper where it says something (see the module doc).

    ``None`` means "what the model declares" (``ModelSpec.training``, or its input's first preprocessing).
    """

    # None: from the data (training_budget): enough epochs for ``steps`` optimiser steps, at least 30. A fixed
    # epoch count means 90 steps on a 54-sample set and 20,000 on a large one (docs/training.md, "Budget").
    epochs: Optional[int] = None
    steps: int = 1000  # optimiser steps the data-driven budget aims at (docs/training.md, "The training budget")
    batch_size: int = 16  # not in the paper; faster per sample than 32 on CPU (benchmarks/train_speed.py)
    lr: Optional[float] = None  # None: the protocol's (paper: 1e-3, the paper's; the others 1e-2; see above)
    lr_decay: float = 1e-4  # per step: lr / (1 + lr_decay * step)
    momentum: Optional[float] = None  # None: the model's paper value (TCN 0.3, SCN 0.7)
    weight_decay: float = 0.0
    # epochs without a real improvement (MIN_IMPROVEMENT) of the validation loss before stopping; None: from the
    # data (PATIENCE_STEPS optimiser steps, at least MIN_PATIENCE epochs)
    patience: Optional[int] = None
    min_improvement: float = MIN_IMPROVEMENT  # what counts as an improvement of the validation loss (relative)
    validation: float = 0.15  # share of the training part held out for early stopping
    # augmentation of the model's input kind; None: on where the kind has one (landmarks) and the protocol
    # allows it (docs/training.md, "Real video's nuisances")
    augment: Optional[bool] = None
    # with augment: tracking jitter, Gaussian noise on every point of every frame, sigma as a fraction of the
    # inter-ocular distance (0.01 helps models meant for real trackers' landmarks; docs/training.md)
    jitter: float = 0.0
    preprocessing: Optional[str] = None  # None: the input kind's default (landmarks: aligned)
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
    if config.lr is None:
        config = replace(config, lr=LEARNING_RATE)
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
    if config.augment is None:
        config = replace(config, augment=kind.augmenter() is not None)
    if config.jitter and not config.augment:
        raise OptionError("--jitter is part of the augmentation: add --augment (or drop --jitter).")
    if config.augment and kind.augmenter() is None:
        raise OptionError(f"The {spec.name!r} model takes {kind.name}, which have no augmentation: drop --augment.")
    if config.precision not in PRECISIONS:
        raise OptionError(
            f"The 'precision' parameter must be one of {', '.join(PRECISIONS)}. Got {config.precision!r} instead."
        )
    if config.precision == "auto":
        config = replace(config, precision="bf16" if native_bf16(config.device) else "fp32")
    return config


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


@dataclass(frozen=True)
class Budget:
    """How long one model trains: its epochs, its patience, and the rule that chose them."""

    epochs: int
    patience: int
    steps_per_epoch: int
    rule: str


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Optimiser steps of one epoch over ``samples`` (a last batch of one sample is skipped: batch norm)."""
    full, rest = divmod(samples, batch_size)
    return max(1, full + (rest >= 2))


def training_budget(config: TrainConfig, samples: int) -> Budget:
    """The budget of a model fitted on ``samples`` samples: ``config.epochs`` when given, else enough epochs
    for ``config.steps`` optimiser steps and at least MIN_EPOCHS; patience ``config.patience`` when given,
    else PATIENCE_STEPS optimiser steps and at least MIN_PATIENCE epochs."""
    per_epoch = steps_per_epoch(samples, config.batch_size)
    if config.epochs is not None:
        epochs, rule = config.epochs, f"{config.epochs} epochs (given)"
    else:
        epochs = max(MIN_EPOCHS, math.ceil(config.steps / per_epoch))
        rule = (
            f"{epochs} epochs: {config.steps} optimiser steps at {per_epoch} per epoch ({samples} samples in batches "
            f"of {config.batch_size}), at least {MIN_EPOCHS}"
        )
    patience = config.patience
    if patience is None:
        patience = max(MIN_PATIENCE, math.ceil(PATIENCE_STEPS / per_epoch))
    return Budget(epochs=epochs, patience=patience, steps_per_epoch=per_epoch, rule=rule)
