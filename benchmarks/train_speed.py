"""Training speed on this machine: the full 6-fold TCN cross-validation on ~380 generated CK+ samples with
today's defaults and as before 0.4 (float32, deterministic mode, inputs prepared per batch), the training
throughput against a plain PyTorch loop with its GFLOP/s, and the SCN's seconds per epoch and accuracy at
crop sizes 224 and 112.

    python benchmarks/train_speed.py [--work DIR] [--subjects 72] [--scn-epochs 6]

Generates the data once into --work (a synth CK+ tree, then build-ckplus with the provided landmarks and
224 px crops) and reuses it on later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time

import numpy as np
import torch
from landmarkset.models import training as train
from landmarkset.models.inference import network_input
from landmarkset.models.modelfile import ModelRecord
from landmarkset.models.scn import SCN
from landmarkset.models.tcn import TCN
from landmarkset.models.training import TrainConfig, cross_validate, fit
from landmarkset.models.training import driver as train_driver
from landmarkset.models.training import fitting as fit_module

from landmarkset.datasets import build_ckplus, read_dataset
from landmarkset.io import read_crops
from landmarkset.synth import Nuisances, synth_ckplus


def make_data(work: str, subjects: int, target: int) -> str:
    path = os.path.join(work, "ck.h5")
    if os.path.exists(path):
        return path
    tree = os.path.join(work, "ck")
    started = time.perf_counter()
    # the generator before 0.5 (no nuisances), so the figures compare with those of earlier releases
    synth_ckplus(tree, subjects=subjects, sequences_per_subject=7, seed=1, nuisances=Nuisances.none(),
                 neutral_sequences=0, workers=2)  # fmt: skip
    probe = build_ckplus(tree, os.path.join(work, "probe.h5"), landmarks="provided", neutral=0, progress=False)
    neutral = max(0, target - len(probe.dataset))
    build_ckplus(tree, path, landmarks="provided", neutral=neutral, crops=True, crop_size=224)
    print(f"data: {subjects} subjects generated and built in {time.perf_counter() - started:.0f} s")
    return path


def plain_loop_rate(x: np.ndarray, y: np.ndarray, epochs: int = 2) -> float:
    """Samples/s of what a user would write: TCN, SGD, batches of 16, float32, default memory format."""
    torch.manual_seed(0)
    model = TCN(n_classes=int(y.max()) + 1)
    optimiser = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.3)
    inputs, targets = TCN.from_samples(torch.from_numpy(x)), torch.from_numpy(y)
    started = time.perf_counter()
    for _ in range(epochs):
        for start in range(0, len(x), 16):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(model(inputs[start : start + 16]), targets[start : start + 16]).backward()
            optimiser.step()
    return epochs * len(x) / (time.perf_counter() - started)


def flops_per_sample() -> float:
    """Forward and backward FLOPs of one TCN training sample (torch's FLOP counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    model, batch = TCN(), torch.randn(16, 2, 68, 20)
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.cross_entropy(model(batch), torch.zeros(16, dtype=torch.long)).backward()
    return counter.get_total_flops() / 16


@contextlib.contextmanager
def as_before_0_4():
    """Training as landmarkset did before 0.4: deterministic mode on the CPU, inputs prepared per batch
    (float32 is asked for through the config)."""
    seed, budget = train_driver.seed_everything, fit_module._PREPARED_BYTES

    def deterministic(seed_value: int, device: str = "cpu") -> None:
        seed(seed_value, device)
        torch.use_deterministic_algorithms(True, warn_only=True)

    train_driver.seed_everything, fit_module._PREPARED_BYTES = deterministic, 0
    try:
        yield
    finally:
        train_driver.seed_everything, fit_module._PREPARED_BYTES = seed, budget


def cv(path: str, dataset, work: str, name: str, config: TrainConfig, model: str = "tcn") -> dict:
    started = time.perf_counter()
    metrics = cross_validate(path, dataset, os.path.join(work, name), model=model, folds=6, config=config,
                             progress=False).to_json()  # fmt: skip
    metrics["wall"] = time.perf_counter() - started
    return metrics


def scn_study(path: str, dataset, epochs: int) -> None:
    """Seconds per epoch and test accuracy of the SCN at 224 and 112 px crops (the stored 224 px crops
    resized), trained on the first subject-grouped fold's training part and tested on its test part."""
    import cv2
    from landmarkset.models.inference import predict

    crops = read_crops(path)
    small = np.stack([[cv2.resize(f, (112, 112), interpolation=cv2.INTER_AREA) for f in sample] for sample in crops])
    train_part, test_part = train.splits(dataset, "subject", 6, 0)[0]
    print(f"\n| SCN crop ({epochs} epochs, {len(train_part)} training / {len(test_part)} test samples) | "
          "seconds per epoch | samples/s | test accuracy |")  # fmt: skip
    print("|---|---|---|---|")
    for size, data in ((112, small), (224, crops)):
        config = train.resolve_config(SCN.spec, TrainConfig(epochs=epochs, patience=99))
        fit_module.seed_everything(0)
        model = SCN(n_classes=len(dataset.classes), n_frames=data.shape[1], size=size)
        started = time.perf_counter()
        fit(model, lambda s: network_input(SCN.spec, "unit", s), data[train_part], dataset.y[train_part],
            data[:0], dataset.y[:0], config)  # fmt: skip
        epoch = (time.perf_counter() - started) / epochs
        record = ModelRecord(model="scn", arguments={}, classes=list(dataset.classes),
                                   input={"preprocessing": "unit", "dimensions": {}}, training={})  # fmt: skip
        accuracy = float(np.mean(predict(model, record, data[test_part]) == dataset.y[test_part]))
        print(f"| {size} x {size} | {epoch:.0f} s | {len(train_part) / epoch:.1f} | {accuracy:.3f} |")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "landmarkset-train-bench"))
    parser.add_argument("--subjects", type=int, default=72)
    parser.add_argument("--samples", type=int, default=380)
    parser.add_argument("--scn-epochs", type=int, default=6, help="SCN epochs per crop size (0: skip the SCN)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    path = make_data(args.work, args.subjects, args.samples)
    dataset = read_dataset(path)
    precision = train.resolve_config(TCN.spec).precision
    print(f"{len(dataset)} samples, {len(set(dataset.subject))} subjects, torch threads {torch.get_num_threads()}, "
          f"default precision here: {precision}")  # fmt: skip

    x = np.ascontiguousarray(dataset.X)
    plain_loop_rate(x[:64], dataset.y[:64], epochs=1)  # warm-up: the first calls set up the CPU kernels
    rates = {}
    for label, precision_asked in (("landmarkset fit (defaults)", "auto"), ("landmarkset fit, float32", "fp32")):
        config = train.resolve_config(TCN.spec, TrainConfig(epochs=2, patience=99, precision=precision_asked))
        fit_module.seed_everything(0)
        started = time.perf_counter()
        fit(TCN(n_classes=len(dataset.classes)), lambda s: network_input(TCN.spec, "motion", s), x, dataset.y,
            x[:0], dataset.y[:0], config)  # fmt: skip
        rates[label] = 2 * len(x) / (time.perf_counter() - started)
    rates["plain PyTorch loop (float32)"] = plain_loop_rate(x, dataset.y)
    flops = flops_per_sample()
    print(f"\nTCN: {flops / 1e6:.0f} MFLOP per training sample (forward + backward)\n")
    print("| training loop | samples/s | GFLOP/s |")
    print("|---|---|---|")
    for label, rate in rates.items():
        print(f"| {label} | {rate:.0f} | {rate * flops / 1e9:.0f} |")

    print("\n| TCN 6-fold subject CV + final model | wall | accuracy | fold epochs |")
    print("|---|---|---|---|")
    runs = []
    for preprocessing in ("motion", "none"):
        with as_before_0_4():
            runs.append((f"before 0.4, {preprocessing}", cv(path, dataset, args.work, f"old-{preprocessing}",
                         TrainConfig(precision="fp32", preprocessing=preprocessing))))  # fmt: skip
        runs.append((f"defaults, {preprocessing}", cv(path, dataset, args.work, f"new-{preprocessing}",
                     TrainConfig(preprocessing=preprocessing))))  # fmt: skip
    for label, metrics in runs:
        print(
            f"| {label} | {metrics['wall']:.0f} s | {metrics['accuracy_mean']:.3f} +- {metrics['accuracy_std']:.3f} | "
            f"{sum(f['epochs'] for f in metrics['folds'])} |"
        )
    if args.scn_epochs:
        scn_study(path, dataset, args.scn_epochs)


if __name__ == "__main__":
    main()
