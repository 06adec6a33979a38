"""Training speed on this machine: the full 6-fold TCN cross-validation on ~380 generated CK+ samples, the
training throughput against a plain PyTorch loop, and SCN seconds per epoch on 224 x 224 crops.

    python benchmarks/train_speed.py [--work DIR] [--subjects 72]

Generates the data once into --work (a synth CK+ tree, then build-ckplus with the provided landmarks and
224 px crops) and reuses it on later runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch
from landmarkset.models.inference import network_input
from landmarkset.models.scn import SCN
from landmarkset.models.tcn import TCN
from landmarkset.models.train import TrainConfig, cross_validate, fit

from landmarkset.datasets import build_ckplus, read_dataset
from landmarkset.io import read_crops
from landmarkset.synth import synth_ckplus


def make_data(work: str, subjects: int, target: int) -> str:
    path = os.path.join(work, "ck.h5")
    if os.path.exists(path):
        return path
    tree = os.path.join(work, "ck")
    started = time.perf_counter()
    synth_ckplus(tree, subjects=subjects, sequences_per_subject=7, seed=1, workers=2)
    probe = build_ckplus(tree, os.path.join(work, "probe.h5"), landmarks="provided", neutral=0, progress=False)
    neutral = max(0, target - len(probe.dataset))
    build_ckplus(tree, path, landmarks="provided", neutral=neutral, crops=True, crop_size=224)
    print(f"data: {subjects} subjects generated and built in {time.perf_counter() - started:.0f} s")
    return path


def plain_loop_rate(x: np.ndarray, y: np.ndarray, epochs: int = 2) -> float:
    """Samples/s of what a user would write: TCN, SGD, batches of 16, default memory format."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "landmarkset-train-bench"))
    parser.add_argument("--subjects", type=int, default=72)
    parser.add_argument("--samples", type=int, default=380)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    path = make_data(args.work, args.subjects, args.samples)
    dataset = read_dataset(path)
    print(f"{len(dataset)} samples, {len(set(dataset.subject))} subjects, torch threads {torch.get_num_threads()}")

    x = np.ascontiguousarray(dataset.X)
    plain_loop_rate(x[:64], dataset.y[:64], epochs=1)  # warm-up: the first calls set up the CPU kernels
    ours_config = TrainConfig(epochs=2, patience=99)
    started = time.perf_counter()
    fit(
        TCN(n_classes=len(dataset.classes)),
        lambda s: network_input(TCN.spec, "motion", s),
        x,
        dataset.y,
        x[:0],
        dataset.y[:0],
        ours_config,
    )
    ours = 2 * len(x) / (time.perf_counter() - started)
    plain = plain_loop_rate(x, dataset.y)
    print(f"TCN training throughput: landmarkset fit {ours:.0f} samples/s, plain PyTorch loop {plain:.0f} samples/s")

    for epochs in (30, 12, 10):
        started = time.perf_counter()
        metrics = cross_validate(
            path,
            dataset,
            os.path.join(args.work, f"run{epochs}"),
            folds=6,
            config=TrainConfig(epochs=epochs),
            progress=False,
        )
        wall = time.perf_counter() - started
        trained = sum(f["epochs"] for f in metrics["folds"])
        print(
            f"TCN 6-fold subject CV, {epochs} epochs max: {wall:.0f} s wall (6 folds + final model), "
            f"fold epochs run {trained}, accuracy {metrics['accuracy_mean']:.3f} +- {metrics['accuracy_std']:.3f}"
        )

    crops = read_crops(path)
    train = np.arange(int(0.72 * len(dataset)))  # a fold's training part
    model = SCN(n_classes=len(dataset.classes), n_frames=crops.shape[1], size=crops.shape[2])
    started = time.perf_counter()
    fit(
        model,
        lambda s: network_input(SCN.spec, "unit", s),
        crops[train],
        dataset.y[train],
        crops[:0],
        dataset.y[:0],
        TrainConfig(epochs=1, patience=99, momentum=0.7),
    )
    wall = time.perf_counter() - started
    print(f"SCN 224x224x20: {wall:.0f} s per epoch on {len(train)} samples ({len(train) / wall:.1f} samples/s)")


if __name__ == "__main__":
    main()
