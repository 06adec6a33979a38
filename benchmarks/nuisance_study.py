"""Real video's nuisances on generated data: subject-independent accuracy with and without them, for each
landmark preprocessing, and the ablation (a model trained without nuisances, scored on data with them).
Landmarks are the generator's own (CK+ Landmarks files), so the figures are about the model, not a tracker.

    python benchmarks/nuisance_study.py [--work DIR] [--subjects 16] [--folds 4]

Generates two CK+ trees with the same expressions (seed 1): every nuisance with moving neutral sequences,
and none (the generator before 0.5), builds both with --landmarks provided and as many frozen neutrals as
subjects, then cross-validates the TCN with each setting (the defaults since 0.5: aligned, augmented, 1000 steps).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from landmarkset.models.evaluation import evaluate
from landmarkset.models.training import TrainConfig, cross_validate

from landmarkset.datasets import build_ckplus, read_dataset
from landmarkset.synth import Nuisances, synth_ckplus


def build(work: str, name: str, subjects: int, nuisances: Nuisances, neutral_sequences: int) -> str:
    tree, data = os.path.join(work, name), os.path.join(work, f"{name}.h5")
    if not os.path.exists(data):
        synth_ckplus(tree, subjects=subjects, seed=1, nuisances=nuisances, neutral_sequences=neutral_sequences,
                     workers=2, progress=False)  # fmt: skip
        build_ckplus(tree, data, landmarks="provided", neutral=subjects, progress=False)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=None)
    parser.add_argument("--subjects", type=int, default=16)
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="landmarkset-nuisances-")
    noisy = build(work, "nuisances", args.subjects, Nuisances(), 2)
    clean = build(work, "clean", args.subjects, Nuisances.none(), 0)
    print(f"data in {work}: {len(read_dataset(noisy))} samples with nuisances, {len(read_dataset(clean))} without")
    header = ["trained on", "preprocessing", "augment", "steps", "CV accuracy", "neutral recall"]
    header += ["on data with nuisances"]
    print("\n| " + " | ".join([*header, "s"]) + " |")
    print("|---|---|---|---|---|---|---|---|")
    runs = [  # (data, preprocessing, augment, jitter, steps); the defaults since 0.5: aligned, augment, 1000 steps
        ("nuisances", "motion", False, 0.0, 1000),
        ("nuisances", "aligned", False, 0.0, 300),
        ("nuisances", "aligned", False, 0.0, 1000),
        ("nuisances", "aligned", True, 0.0, 1000),
        ("nuisances", "aligned", True, 0.01, 1000),
        ("no nuisances", "motion", False, 0.0, 300),
        ("no nuisances", "aligned", True, 0.0, 1000),
    ]
    for label, preprocessing, augment, jitter, steps in runs:
        data = noisy if label == "nuisances" else clean
        run = os.path.join(work, f"run-{label}-{preprocessing}-{augment}-{jitter}-{steps}".replace(" ", "-"))
        started = time.perf_counter()
        config = TrainConfig(seed=0, preprocessing=preprocessing, augment=augment, jitter=jitter, steps=steps)
        report = cross_validate(data, read_dataset(data), run, folds=args.folds, config=config, keep_rejected=True,
                                progress=False)  # fmt: skip
        seconds = time.perf_counter() - started
        transfer = "(its own data)"
        if data == clean:
            scored = evaluate(os.path.join(run, "model.pt"), noisy, run + "-on-nuisances")
            transfer = f"{scored.accuracy:.3f} (neutral recall {scored.per_class['neutral']['recall']:.2f})"
        recall = report.per_class["neutral"]["recall"]
        how = ("rigid + mirror" + (f" + jitter {jitter:g}" if jitter else "")) if augment else "no"
        print(f"| {label} | {preprocessing} | {how} | {steps} | {report.accuracy_mean:.3f} +- "
              f"{report.accuracy_std:.3f} | {recall:.2f} | {transfer} | {seconds:.0f} |")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
