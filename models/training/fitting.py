"""One model's training: SGD with the paper's per-step learning-rate decay, early stopping on the validation
loss, bfloat16 autocast where the device computes it natively."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from landmarkset.cpus import compute_threads
from landmarkset.errors import TrainingError

from .config import TrainConfig, training_budget

_PREPARED_BYTES = 256 * 2**20  # training samples prepared once for all epochs below this size


def seed_everything(seed: int, device: str = "cpu") -> None:
    """The same seed, the same model; also one thread per CPU this process may use (landmarkset.cpus), so that
    a container's quota is not oversubscribed."""
    torch.set_num_threads(compute_threads())
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


@dataclass
class _Feed:
    """How samples reach the network: prepared once when they fit in memory and nothing augments them, else
    per batch. Autocast keeps the weights, the loss and the optimiser in float32; convolutions and matrix
    products run in bfloat16 when ``bf16`` ("auto" was resolved by resolve_config)."""

    prepare: Callable[[np.ndarray], torch.Tensor]
    device: torch.device
    bf16: bool
    augmenter: Optional[Callable[[np.ndarray, np.random.Generator], np.ndarray]]
    prepared: Optional[torch.Tensor] = None

    def on_device(self, samples: np.ndarray) -> torch.Tensor:
        x = self.prepare(samples)
        return x.to(self.device, memory_format=torch.channels_last) if x.dim() == 4 else x.to(self.device)

    def prepare_once(self, x: np.ndarray) -> None:
        """Without augmentation every epoch feeds the same samples: prepare them once, when they fit in a
        modest amount of memory (an SCN's 224 px crops in float32 would not)."""
        if self.augmenter is None and len(x):
            first = self.on_device(x[:1])
            if first.element_size() * first.numel() * len(x) < _PREPARED_BYTES:
                self.prepared = self.on_device(x)

    def batch(self, x: np.ndarray, chosen: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        if self.prepared is None:
            return self.on_device(x[chosen] if self.augmenter is None else self.augmenter(x[chosen], rng))
        inputs = self.prepared[torch.from_numpy(chosen).to(self.device)]
        return inputs.contiguous(memory_format=torch.channels_last) if inputs.dim() == 4 else inputs

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)


def _train_epoch(model: nn.Module, feed: _Feed, x: np.ndarray, y: np.ndarray, optimisation: tuple[Any, Any],
                 rng: np.random.Generator, batch_size: int, epoch: int) -> list[float]:  # fmt: skip
    """One epoch of SGD over shuffled batches; the batches' losses. TrainingError when a loss is not finite."""
    optimiser, schedule = optimisation
    model.train()
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        if len(chosen) < 2:  # batch norm needs two samples
            continue
        chosen = np.sort(chosen)
        inputs = feed.batch(x, chosen, rng)
        targets = torch.from_numpy(y[chosen]).to(feed.device)
        optimiser.zero_grad()
        with feed.autocast():
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
    return losses


def _validate(model: nn.Module, feed: _Feed, x_val: np.ndarray, val_y: torch.Tensor,
              train_loss: float) -> tuple[float, float]:  # fmt: skip
    """The validation loss and accuracy (without validation samples: the training loss and NaN)."""
    model.eval()
    with torch.no_grad(), feed.autocast():
        if not len(val_y):
            return train_loss, float("nan")
        logits = torch.cat([model(feed.on_device(x_val[s : s + 64])) for s in range(0, len(x_val), 64)]).float()
        return nn.functional.cross_entropy(logits, val_y).item(), (logits.argmax(1) == val_y).float().mean().item()


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
    """Train with SGD for ``config.epochs``, keeping the weights of the best validation loss and stopping after
    ``config.patience`` epochs without a real improvement of it (``config.min_improvement``); with
    ``early_stopping=False`` every epoch runs and the last weights are kept (the final model's refit).
    TrainingError when the loss becomes non-finite.

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
    feed = _Feed(prepare, device, config.precision == "bf16", augmenter)
    feed.prepare_once(x)
    val_y = torch.from_numpy(np.asarray(y_val)).to(device)
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best, best_loss, stale, best_epoch, stopped = copy.deepcopy(model.state_dict()), float("inf"), 0, 0, "budget"
    improved = float("inf")
    for epoch in range(1, config.epochs + 1):
        losses = _train_epoch(model, feed, x, y, (optimiser, schedule), rng, config.batch_size, epoch)
        val_loss, val_accuracy = _validate(model, feed, x_val, val_y, float(np.mean(losses)))
        history["train_loss"].append(float(np.mean(losses)))
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if progress is not None:
            progress.update()
            progress.set_postfix(val_loss=f"{val_loss:.3f}", refresh=False)
        if not early_stopping:
            continue
        if val_loss < best_loss - 1e-4:  # the weights kept: those of the lowest validation loss
            best, best_loss, best_epoch = copy.deepcopy(model.state_dict()), val_loss, epoch
        if val_loss < improved * (1 - config.min_improvement):  # a real improvement; tiny ones do not hold it on
            improved, stale = val_loss, 0
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
