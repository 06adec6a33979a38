"""Every attribution method measured on the same samples, on two training sets built from one generated
CK+ tree (the demo's 12 subjects): CK+'s own landmark files (the generator's exact points) and a real
backend (mediapipe, as the demo). Prints, per set, the method x metric table (precision@moved against the
generator's truth, deletion / insertion AUC against random orders, Captum's infidelity and sensitivity,
attribution seconds per sample on CPU), the per-class region lift of the default method, and two
ceilings that no map can pass:

- motion ceiling: precision@moved of ranking landmarks by how far they move in the set itself; when the
  backend moves other points than the generator did, a faithful map follows the backend;
- lift ceiling: the largest lift over a uniform map a class allows (68 / points in its expected regions).

    python benchmarks/explain_methods.py [--tree DIR] [--backend mediapipe] [--per-class 5]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import numpy as np
from landmarkset.models import DEFAULT_METHOD, METHODS
from landmarkset.models.explain import explain_dataset, moved_landmarks
from landmarkset.models.explain.au import expected_regions
from landmarkset.models.preprocess import preprocess
from landmarkset.models.training import TrainConfig, cross_validate

from landmarkset.datasets import build_ckplus, read_dataset
from landmarkset.regions import AU_REGIONS
from landmarkset.synth import synth_ckplus

COLUMNS = ("precision@moved", "deletion_auc", "random_deletion_auc", "insertion_auc", "random_insertion_auc",
           "infidelity", "sensitivity", "seconds")  # fmt: skip


def motion_ceiling(data: str) -> float:
    dataset = read_dataset(data)
    moved = moved_landmarks(dataset, None)
    motion = np.linalg.norm(preprocess(dataset.X, "motion"), axis=-1).mean(axis=1)  # (N, 68)
    scores = [
        np.isin(np.argsort(-motion[i], kind="stable")[: len(moved[name])], moved[name]).mean()
        for i, name in enumerate(dataset.sequence)
        if moved.get(name)
    ]
    return float(np.mean(scores))


def lift_ceiling(emotion: str) -> float:
    points = sum(len(AU_REGIONS[region]) for region in expected_regions(emotion))
    return 68 / points if points else float("nan")


def measure(label: str, data: str, work: str, per_class: int) -> None:
    run = os.path.join(work, f"run-{label}")
    config = TrainConfig(epochs=25, batch_size=8)
    metrics = cross_validate(data, read_dataset(data), run, folds=4, config=config).to_json()
    summary = explain_dataset(
        os.path.join(run, "model.pt"), data, os.path.join(work, f"explain-{label}"), per_class=per_class,
        method=DEFAULT_METHOD, compare=tuple(METHODS), progress=False,
    ).to_json()  # fmt: skip
    print(f"\n### {label}: TCN accuracy {metrics['accuracy_mean']:.3f}, {summary['samples']} samples explained")
    print(f"motion ceiling of precision@moved: {motion_ceiling(data):.3f}\n")
    print("| method | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for method, figures in summary["per_method"].items():
        print(f"| {method} | " + " | ".join(f"{figures.get(key, float('nan')):.3f}" for key in COLUMNS) + " |")
    print(f"\n| class ({DEFAULT_METHOD}) | lift | lift ceiling | precision@moved | deletion (random) |")
    print("|---|---|---|---|---|")
    for name, entry in summary["per_class"].items():
        if entry["expected_aus"]:
            print(
                f"| {name} | {entry['lift_over_uniform']:.2f} | {lift_ceiling(name):.2f} | "
                f"{entry.get('precision@moved', float('nan')):.2f} | "
                f"{entry['deletion_auc']:.2f} ({entry['random_deletion_auc']:.2f}) |"
            )
    with open(os.path.join(work, f"summary-{label}.json"), "w") as handle:
        json.dump(summary["per_method"], handle, indent=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="a generated CK+ tree to reuse (made here when absent)")
    parser.add_argument("--backend", default="mediapipe")
    parser.add_argument("--per-class", type=int, default=5)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="landmarkset-explain-")
    tree = args.tree or os.path.join(work, "ck")
    if not os.path.isdir(os.path.join(tree, "Emotion")):
        synth_ckplus(tree, subjects=12, seed=0, workers=2, progress=False)
    for label, options in (("provided", {"landmarks": "provided"}), (args.backend, {"backend": args.backend})):
        data = os.path.join(work, f"{label}.h5")
        build_ckplus(tree, data, neutral=12, progress=False, **options)
        measure(label, data, work, args.per_class)


if __name__ == "__main__":
    main()
