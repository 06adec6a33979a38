"""The spotters of `landmarkset train-spotter` on generated SAMM long videos, end to end, in one table.

Generates SAMM long videos (blinks and a swaying head between the intervals), builds them whole with a
real backend and region flow (`build-samm --whole-videos -O region_flow=40`), then scores every spotter
leave-one-subject-out (windows 40 / 160 frames) and prints train-spotter's table, with STRS when a
recognition model is given.

    python benchmarks/spotting_study.py [--subjects 4] [--videos 2] [--frames 2000] [--backend mediapipe]
                                        [--recogniser MODEL] [--spotters NAME ...] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from landmarkset.models.spotting import train_spotters

from landmarkset.datasets.samm import build_samm
from landmarkset.intervals import Span
from landmarkset.synth import synth_samm_long


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=4)
    parser.add_argument("--videos", type=int, default=2)
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--backend", default="mediapipe")
    parser.add_argument("--recogniser", default=None)
    parser.add_argument("--spotters", nargs="+", default=None, help="e.g. baseline flow model:tcn [default: the four]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="landmarkset-spotting-")
    tree, store = os.path.join(work, "samm-long"), os.path.join(work, "long.h5")
    sheet = os.path.join(tree, "SAMM_LongVideos_V1_Release.xlsx")
    started = time.monotonic()
    if not os.path.exists(sheet):
        synth_samm_long(tree, subjects=args.subjects, videos_per_subject=args.videos, frames=args.frames,
                        seed=args.seed, progress=False)  # fmt: skip
    print(f"generated in {time.monotonic() - started:.0f} s: {work}")
    started = time.monotonic()
    report = build_samm(tree, sheet, store, whole_videos=True, backend=args.backend, options={"region_flow": "40"},
                        workers=2, progress=False)  # fmt: skip
    seconds = time.monotonic() - started
    frames = report.extraction.frames if report.extraction else 0
    print(report.summary())
    print(f"built in {seconds:.0f} s ({frames / max(seconds, 1e-9):.0f} frames/s with flow, 2 workers)")
    started = time.monotonic()
    windows = {"micro": Span(40), "macro": Span(160)}
    chosen = {"spotters": args.spotters} if args.spotters else {}
    study = train_spotters(store, sheet, os.path.join(work, "spotters"), windows=windows, seed=args.seed,
                           recogniser=args.recogniser, progress=False, **chosen)  # fmt: skip
    print(f"\n{study.summary()}\n\nscored in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
