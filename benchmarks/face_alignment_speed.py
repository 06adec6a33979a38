"""face-alignment (FAN) speed on CPU: landmarkset's backend against the library used by hand.

The published weights cannot be downloaded here, so both sides load the real FAN architecture with
seeded random weights (the cost of the network does not depend on its weights). The plain loop is
face-alignment's own API: FaceAlignment(TWO_D, face_detector='dlib' (HOG), compile=False) and
get_landmarks_from_image per frame; landmarkset uses its dlib tracker for boxes and batches crops.

    python benchmarks/face_alignment_speed.py [--frames 60]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import cv2
import numpy as np
import torch

from landmarkset import extract
from landmarkset.extractors._face_alignment import FAN_2D
from landmarkset.samples import sample_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="landmarkset-fan-")
    os.environ["TORCH_HOME"] = os.path.join(work, "torch")  # face-alignment looks in TORCH_HOME/hub/checkpoints
    checkpoints = os.path.join(work, "torch", "hub", "checkpoints")
    os.makedirs(checkpoints)
    from face_alignment import FaceAlignment, LandmarksType
    from face_alignment.models import FAN
    from face_alignment.utils import get_preds_fromhm

    torch.manual_seed(0)
    torch.save(FAN(4).state_dict(), os.path.join(checkpoints, FAN_2D.name))
    get_preds_fromhm(np.random.rand(1, 68, 64, 64).astype(np.float32))  # numba compiles once, outside the timing
    capture, frames = cv2.VideoCapture(sample_video()), []
    while len(frames) < args.frames:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_CUBIC))
    video = os.path.join(work, "clip.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 29.97, (640, 480))
    for frame in frames:
        writer.write(frame)
    writer.release()
    print(f"{len(frames)} frames, 640x480, torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print("| flip_input | face-alignment by hand (frames/s) | landmarkset (frames/s) | speed-up |")
    print("|---|---|---|---|")
    for flip in (True, False):
        start = time.perf_counter()
        aligner = FaceAlignment(LandmarksType.TWO_D, device="cpu", face_detector="dlib", flip_input=flip, compile=False)
        capture, rows = cv2.VideoCapture(video), []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            found = aligner.get_landmarks_from_image(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            rows.append(found[0] if found else np.full((68, 2), np.nan))
        np.save(os.path.join(work, "plain.npy"), np.array(rows, dtype=np.float32))
        plain = time.perf_counter() - start
        start = time.perf_counter()
        options = {"check_hash": False, "download": False, "flip_input": flip}
        extract(
            video, os.path.join(work, "t.h5"), backend="face-alignment", progress=False, overwrite=True, options=options
        )
        ours = time.perf_counter() - start
        print(f"| {flip} | {len(rows) / plain:.2f} | {len(rows) / ours:.2f} | {plain / ours:.2f}x |")


if __name__ == "__main__":
    main()
