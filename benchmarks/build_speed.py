"""Build time of the paper's CK+ training set from a generated 210-sequence tree (30 subjects x 7).

Three builds, each timed: CK+'s own landmark files (`--landmarks provided`), a real backend with two
workers, and the same backend build run again into its output (everything already done). The script
also runs against landmarkset 0.1 (before the one-writer build), so both can be measured in one run:

    python benchmarks/build_speed.py [--tree DIR] [--backend mediapipe] [--workers 2]
    PYTHONPATH=/path/to/an/old/checkout python benchmarks/build_speed.py --tree DIR
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import landmarkset

try:
    from landmarkset.datasets import build_ckplus
except ImportError:  # landmarkset 0.1
    from landmarkset.ckplus import build_ckplus
from landmarkset.synth import synth_ckplus


def timed(label: str, **arguments) -> float:
    started = time.perf_counter()
    report = build_ckplus(**arguments, progress=False)
    seconds = time.perf_counter() - started
    samples = len(report.dataset) if report.dataset is not None else 0
    print(f"| {label} | {seconds:.2f} s | {samples} samples, {len(report.failed)} failed |")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="a generated CK+ tree to reuse (made here when absent)")
    parser.add_argument("--backend", default="mediapipe")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="landmarkset-build-")
    tree = args.tree or os.path.join(work, "ck")
    if not os.path.isdir(os.path.join(tree, "Emotion")):
        synth_ckplus(tree, subjects=30, sequences_per_subject=7, seed=0, workers=args.workers, progress=False)
    print(f"landmarkset {landmarkset.__version__} ({os.path.dirname(landmarkset.__file__)}), tree {tree}\n")
    print("| build | time | result |")
    print("|---|---|---|")
    timed("--landmarks provided", root=tree, output=os.path.join(work, "provided.h5"), landmarks="provided")
    extracted = os.path.join(work, "extracted.h5")
    timed(f"-b {args.backend} -w {args.workers}", root=tree, output=extracted, backend=args.backend,
          workers=args.workers)  # fmt: skip
    timed(f"-b {args.backend} -w {args.workers}, again (all done)", root=tree, output=extracted,
          backend=args.backend, workers=args.workers)  # fmt: skip


if __name__ == "__main__":
    main()
