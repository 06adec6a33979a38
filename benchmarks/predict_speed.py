"""Whole-video prediction speed: `landmarkset predict` (predict_tracks) against what a user would write
without it (a loop over windows, each resampled and scored on its own with predict_proba), on one long
generated track, in the same run. Prints frames/s, the ratio to real time at the track's fps, and the ratio
between the two.

    python benchmarks/predict_speed.py [--minutes 10] [--fps 30] [--stride 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch
from landmarkset.models import TCN, ModelRecord, load_model, predict_proba, save_model
from landmarkset.models.prediction import Span, predict_tracks

from landmarkset import Track, TrackWriter
from landmarkset.datasets.builder import resample_indices


def long_track(frames: int, fps: float) -> Track:
    rng = np.random.default_rng(0)
    base = rng.random((68, 2)).astype(np.float32) * 0.3 + 0.35
    wobble = 0.01 * np.sin(np.arange(frames) / 7.0)[:, None, None].astype(np.float32)
    landmarks = base[None] + wobble + 0.002 * rng.standard_normal((frames, 68, 2)).astype(np.float32)
    valid = np.ones(frames, bool)
    valid[frames // 3 : frames // 3 + int(fps)] = False  # a second without a face
    landmarks[~valid] = np.nan
    return Track(
        id="long", landmarks=landmarks, valid=valid, confidence=np.where(valid, 1.0, np.nan),
        frame_index=np.arange(frames), timestamp=np.arange(frames) / fps, box=np.zeros((frames, 4)),
        faces_detected=np.ones(frames, int), width=640, height=480, source="generated", fps=fps,
        backend="generated", backend_version="1", backend_options={},
    )  # fmt: skip


def by_hand(model_path: str, track: Track, window: int, stride: int) -> float:
    """What a user writes: every window on its own through predict_proba. Returns seconds."""
    model, record = load_model(model_path)
    frames = int(record.dimensions["frames"])
    picks = resample_indices(window, frames)
    started = time.perf_counter()
    for start in range(0, track.n_frames - window + 1, stride):
        if not track.valid[start : start + window].all():
            continue
        predict_proba(model, record, track.landmarks[start + picks][None])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--stride", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory() as work:
        frames = int(args.minutes * 60 * args.fps)
        store = os.path.join(work, "long.h5")
        with TrackWriter(store) as writer:
            writer.write(long_track(frames, args.fps))
        record = ModelRecord(
            model="tcn", arguments={"n_classes": 7, "n_frames": 20, "n_landmarks": 68},
            classes=[str(i) for i in range(7)],
            input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 20, "landmarks": 68}},
            data={"source_span": 20},
        )  # fmt: skip
        model_path = save_model(os.path.join(work, "model.pt"), TCN(n_classes=7).eval(), record)
        started = time.perf_counter()
        report = predict_tracks(model_path, store, os.path.join(work, "out"), stride=Span(args.stride), progress=False)
        ours = time.perf_counter() - started
        windows = report.sequences[0].windows
        sample = max(1, windows // 10)  # the hand loop on a tenth of the windows, scaled up
        hand = by_hand(model_path, long_track(frames // 10, args.fps), 20, args.stride) * 10
        video = frames / args.fps
        print("| track | windows | predict (s) | frames/s | x real time | hand loop (s) | predict vs hand |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {args.minutes:g} min at {args.fps:g} fps ({frames} frames) | {windows} | {ours:.1f} | "
              f"{frames / ours:.0f} | {video / ours:.0f}x | {hand:.1f} (est. from {sample} windows) | "
              f"{hand / ours:.1f}x |")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
