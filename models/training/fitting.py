"""One model's training: SGD with the paper's per-step learning-rate decay, early stopping on the validation
loss, bfloat16 autocast where the device computes it natively."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from landmarkset.errors import TrainingError

from .config import TrainConfig, training_budget

_PREPARED_BYTES = 256 * 2**20  # training samples prepared once for all epochs below this size


def seed_everything(seed: int, device: str = "cpu") -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    # CUDA kernels (atomic adds) differ from run to run unless deterministic ones are asked for. On the CPU
    # the same seed and thread count already give identical models (tested), and deterministic mode
    # costs 40 % of the TCN's training speed there (benchmarks/train_speed.py), so it is CUDA only.
    torch.use_deterministic_algorithms(device.startswith("cuda"), warn_only=True)
    # Filling every new tensor with NaN (the default under deterministic mode) costs ~20 % of training
    # time and guards only against reading uninitialised memory, which nothing here does.
    torch.utils.deterministic.fill_uninitialized_memory = False


@dataclass
class Fitted:
    """A trained model and how its training went."""

    model: nn.Module
    history: dict[str, list[float]]  # per epoch: train_loss, val_loss, val_accuracy
    best_epoch: int  # 1-based epoch whose weights were kept
    stopped: str  # "early" (patience ran out), "budget" (every epoch ran) or "fixed" (no early stopping)

    @property
    def epochs(self) -> int:
        return len(self.history["train_loss"])

    @property
    def still_improving(self) -> bool:
        """The budget ran out while the validation loss was still falling: its best in the last tenth of the
        epochs, and that tenth lowered it by more than 5 % (and 0.01; a loss near 0 has converged)."""
        if self.stopped != "budget":
            return False
        tenth = max(1, self.epochs // 10)
        losses = self.history["val_loss"]
        earlier, last = losses[-tenth - 1] if len(losses) > tenth else losses[0], min(losses[-tenth:])
        return self.best_epoch > self.epochs - tenth and earlier - last > max(0.05 * earlier, 0.01)

    @property
    def loss_spike(self) -> int:
        """The first epoch (1-based) whose validation loss jumped above 3 times the lowest before it and above
        the first epoch's (an unstable optimisation: too high a learning rate, a bad batch); 0 when none."""
        losses = self.history.get("val_loss", [])
        lowest = float("inf")
        for epoch, loss in enumerate(losses, start=1):
            if epoch > 1 and loss > 3 * lowest and loss > losses[0]:
                return epoch
            lowest = min(lowest, loss)
        return 0

    @property
    def loss_fell(self) -> bool:
        """Whether the training loss fell at all (its last epoch below 99 % of its first)."""
        losses = self.history["train_loss"]
        return len(losses) > 1 and losses[-1] < 0.99 * losses[0]


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
    *,
    early_stopping: bool = True,
) -> Fitted:
    """Train with SGD for ``config.epochs``, keeping the weights of the best validation loss and stopping
    after ``config.patience`` epochs without a better one; with ``early_stopping=False`` every epoch runs and
    the last weights are kept (the final model's refit). TrainingError when the loss becomes non-finite.

    ``prepare`` turns raw samples into network input; ``augmenter`` (optional) transforms raw training
    samples afresh every epoch.
    """
    if config.epochs is None or config.patience is None:  # the data-driven budget for these samples
        budget = training_budget(config, len(x))
        config = replace(config, epochs=budget.epochs, patience=budget.patience)
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
    best, best_loss, stale, best_epoch, stopped = copy.deepcopy(model.state_dict()), float("inf"), 0, 0, "budget"
    for epoch in range(1, config.epochs + 1):
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
            if not np.isfinite(losses[-1]):
                raise TrainingError(
                    f"the training loss became {losses[-1]} at epoch {epoch}: the data or the learning rate makes "
                    "training diverge (check the samples, or lower --lr); no model was saved"
                )
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
        if not early_stopping:
            continue
        if val_loss < best_loss - 1e-4:
            best, best_loss, stale, best_epoch = copy.deepcopy(model.state_dict()), val_loss, 0, epoch
        else:
            stale += 1
            if stale >= config.patience:
                stopped = "early"
                break
    if early_stopping:
        model.load_state_dict(best)
    else:
        best_epoch, stopped = len(history["train_loss"]), "fixed"
    model.eval()
    return Fitted(model, history, best_epoch, stopped)
