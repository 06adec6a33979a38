"""Cost of crash-safe commits as the track store grows: journalled group commits against publishing a
copy of the store on every commit (landmarkset before 0.4).

Every completed sequence is written whole to the store's journal at once; the journal is folded into
the store and published at most every PUBLISH_EVERY seconds and at the end. The local worker pool and
the Dask merge both commit through this writer. Prints the cost per committed sequence in the first and
last 10 % of the run, and the store size.

    python benchmarks/store_commit.py [--frames 300] [--sequences 2000 10000] [--before 500]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from landmarkset import Track, TrackWriter
from landmarkset.io import writer as writer_module


def random_track(track_id: str, frames: int, rng: np.random.Generator) -> Track:
    # A smooth random walk, like real landmarks (random noise would not compress like them).
    landmarks = 0.5 + np.cumsum(rng.normal(0, 1e-3, (frames, 68, 2)), axis=0).astype(np.float32)
    return Track(
        id=track_id,
        landmarks=landmarks,
        valid=np.ones(frames, bool),
        confidence=np.ones(frames),
        frame_index=np.arange(frames),
        timestamp=np.arange(frames) / 30,
        box=np.zeros((frames, 4)),
        faces_detected=np.full(frames, -1),
        width=640,
        height=480,
        backend="benchmark",
    )


def commit_costs(
    sequences: int, frames: int, publish_every: float
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Seconds of each commit as the caller waited for it; the same with each publication's cost spread
    over the sequences it published; seconds of the final publication (closing the writer) and in
    total; the store's MB."""
    rng = np.random.default_rng(0)
    tracks = [random_track(f"s{index}", frames, rng) for index in range(min(sequences, 50))]
    path = os.path.join(tempfile.mkdtemp(prefix="landmarkset-commit-"), "t.h5")
    saved = writer_module.PUBLISH_EVERY, writer_module.PUBLISH_SHARE
    writer_module.PUBLISH_EVERY = publish_every
    if publish_every == 0:  # every commit published: the behaviour before 0.4
        writer_module.PUBLISH_SHARE = float("inf")
    costs = np.zeros(sequences)
    publications: list[tuple[int, float]] = []  # (commit that triggered it, seconds)
    try:
        started = time.perf_counter()
        writer = TrackWriter(path)
        publish = writer.publish

        def timed_publish() -> None:
            start = time.perf_counter()
            publish()
            publications.append((index, time.perf_counter() - start))  # index: the commit being written

        writer.publish = timed_publish  # the writer's own calls go through the instance attribute
        for index in range(sequences):
            track = tracks[index % len(tracks)]
            track.id = f"s{index}"
            start = time.perf_counter()
            writer.write(track)
            costs[index] = time.perf_counter() - start
        start = time.perf_counter()
        del writer.publish  # the closing publication is timed on its own
        writer.close()
        closing = time.perf_counter() - start
        total = time.perf_counter() - started
    finally:
        writer_module.PUBLISH_EVERY, writer_module.PUBLISH_SHARE = saved
    return costs, spread_publications(costs, publications, closing), closing, total, os.path.getsize(path) / 1e6


def spread_publications(costs: np.ndarray, publications: list[tuple[int, float]], closing: float) -> np.ndarray:
    """Costs with each publication taken off the commit that triggered it and spread over the commits it
    published; the closing publication is spread over the commits written since the last one.

    A group publication is one lump every tens of seconds at this scale: whether one lands in the last
    10 % decides the windowed ratio. Spread, each sequence carries its share of the copy that published it.
    """
    spread = costs.copy()
    for index, seconds in publications:
        spread[index] -= seconds
    first = 0
    for index, seconds in [*publications, (len(costs) - 1, closing)]:
        if index >= first:  # a publication with nothing new to publish is nobody's cost
            spread[first : index + 1] += seconds / (index + 1 - first)
            first = index + 1
    return spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames per sequence")
    parser.add_argument("--sequences", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--before", type=int, default=500, help="sequences for the publish-every-commit run")
    args = parser.parse_args()
    print(f"sequences of {args.frames} frames; publication every {writer_module.PUBLISH_EVERY:.0f} s\n")
    print(
        "| commits | sequences | store | first 10 %: ms per sequence | last 10 % | last / first "
        "| last / first, publications spread | closing | total |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    runs = [("before 0.4: publish every commit", args.before, 0.0)]
    runs += [("journal, group publication", count, writer_module.PUBLISH_EVERY) for count in args.sequences]
    for label, count, publish_every in runs:
        costs, spread, closing, total, size = commit_costs(count, args.frames, publish_every)
        tenth = max(1, count // 10)
        first, last = costs[:tenth].mean() * 1000, costs[-tenth:].mean() * 1000
        spread_ratio = spread[-tenth:].mean() / spread[:tenth].mean()
        print(
            f"| {label} | {count:,} | {size:.0f} MB | {first:.2f} | {last:.2f} | {last / first:.2f} | "
            f"{spread_ratio:.2f} | {closing:.2f} s | {total:.1f} s |"
        )


if __name__ == "__main__":
    main()
