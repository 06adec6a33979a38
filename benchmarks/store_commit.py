"""Cost of a crash-safe commit as the track store grows.

Each commit adds one sequence to the private working copy and publishes a copy of it, so its cost
grows with the file. Prints the time per commit at several store sizes.

    python benchmarks/store_commit.py [--frames 1000] [--sequences 400]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from landmarkset import Track, TrackWriter


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000, help="frames per sequence")
    parser.add_argument("--sequences", type=int, default=400)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    path = os.path.join(tempfile.mkdtemp(prefix="landmarkset-commit-"), "t.h5")
    checkpoints = {1, 10, 50, 100, 200, 400, 800, args.sequences}
    print(f"sequences of {args.frames} frames\n")
    print("| sequences in store | store size | time per commit |")
    print("|---|---|---|")
    with TrackWriter(path) as writer:
        for index in range(1, args.sequences + 1):
            track = random_track(f"s{index}", args.frames, rng)
            start = time.perf_counter()
            writer.write(track)
            elapsed = time.perf_counter() - start
            if index in checkpoints:
                size = os.path.getsize(path) / 1e6
                print(f"| {index} | {size:.1f} MB | {1000 * elapsed:.1f} ms |")


if __name__ == "__main__":
    main()
