"""Extraction speed and memory: `landmarkset extract` against a plain per-frame loop.

The plain loop is what a user writes by hand: OpenCV reads a frame, the backend library is called,
the landmarks are saved with numpy. Both run in this process on the same input, models loaded inside
the timing. Prints a Markdown table (copied into docs/benchmarks.md).

    python benchmarks/extract_speed.py [--frames 600] [--files 4] [--long 10000] [--backends dlib mediapipe]
    python benchmarks/extract_speed.py --dask     # 1 / 2 local workers against Dask on the same inputs
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

from landmarkset import extract
from landmarkset.samples import sample_video


def make_video(path: str, frames: int, size: tuple[int, int] | None) -> str:
    """The carphone clip played forwards and backwards until ``frames`` long, optionally resized."""
    capture = cv2.VideoCapture(sample_video())
    clip = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        clip.append(cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC) if size else frame)
    loop = clip + clip[-2:0:-1]
    height, width = clip[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 29.97, (width, height))
    for index in range(frames):
        writer.write(loop[index % len(loop)])
    writer.release()
    return path


def plain_dlib(video: str, out: str) -> int:
    import dlib

    from landmarkset.extractors._dlib import PREDICTOR_FILE, models_dir

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(models_dir(), PREDICTOR_FILE))
    capture, rows = cv2.VideoCapture(video), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        faces = detector(gray, 1)
        if faces:
            face = max(faces, key=lambda r: r.area())
            rows.append([(p.x, p.y) for p in predictor(gray, face).parts()])
        else:
            rows.append(np.full((68, 2), np.nan))
    np.save(out, np.array(rows, dtype=np.float32))
    return len(rows)


def plain_mediapipe(video: str, out: str) -> int:
    from mediapipe_tasks import plain_tasks_loop

    from landmarkset.extractors._mediapipe import MODEL
    from landmarkset.extractors._weights import locate_weights

    model = locate_weights([MODEL], "mediapipe", None, download=True, check_hash=True)[MODEL.name]
    rows = plain_tasks_loop(video, model)
    np.save(out, rows)
    return len(rows)


PLAIN = {"dlib": plain_dlib, "mediapipe": plain_mediapipe}


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def peak_rss_mb(video: str, backend: str, out: str) -> float:
    """Peak resident memory of a separate `landmarkset extract` process."""
    # VmHWM, not getrusage: ru_maxrss survives exec and would report this parent's peak.
    code = (
        "from landmarkset import extract; "
        f"extract([{video!r}], {out!r}, backend={backend!r}, progress=False, overwrite=True); "
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return int(output.strip().splitlines()[-1]) / 1024


def dask_comparison(args: argparse.Namespace, batch: list[str], work: str) -> None:
    """frames/s of the same files with 1 and 2 local pool workers and through a 2-worker Dask LocalCluster."""
    from distributed import Client, LocalCluster

    print(
        f"| backend | {args.files} files, 1 worker | 2-worker pool | Dask, LocalCluster started for the run "
        "| Dask, running cluster | Dask vs pool |"
    )
    print("|---|---|---|---|---|---|")
    for backend in args.backends:

        def run(name: str, backend: str = backend, **kwargs) -> float:
            return timed(extract, batch, os.path.join(work, name), backend=backend, progress=False, overwrite=True,
                         **kwargs)[0]  # fmt: skip

        total = args.frames * args.files
        one, pool = run("d1.h5"), run("d2.h5", workers=2)
        started = run("d3.h5", workers=2, scheduler="local")
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=40) as cluster:
            with Client(cluster) as client:
                client.run(lambda: None)  # workers up
                running = run("d4.h5", scheduler=cluster.scheduler_address)
        print(
            f"| {backend} | {total / one:.1f} | {total / pool:.1f} | {total / started:.1f} | {total / running:.1f} | "
            f"{pool / running:.2f}x |"
        )
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600, help="frames per benchmark video")
    parser.add_argument("--files", type=int, default=4, help="videos for the 1 vs 2 worker comparison")
    parser.add_argument("--long", type=int, default=10_000, help="frames of the long video (memory)")
    parser.add_argument("--backends", nargs="+", default=["dlib", "mediapipe"])
    parser.add_argument("--dask", action="store_true", help="only the Dask LocalCluster comparison")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="landmarkset-bench-")
    video = make_video(os.path.join(work, "face640.avi"), args.frames, (640, 480))
    batch = []
    for index in range(args.files):
        link = os.path.join(work, f"copy{index}.avi")
        os.symlink(video, link)
        batch.append(link)
    print(f"input: carphone upscaled to 640x480, {args.frames} frames; {os.cpu_count()} CPUs\n")
    if args.dask:
        dask_comparison(args, batch, work)
        return
    print(
        "| backend | plain loop (frames/s) | landmarkset, 1 worker | speed-up | "
        f"{args.files} files, 1 worker | {args.files} files, 2 workers | 2-worker scaling |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend in args.backends:
        plain_time, frames = timed(PLAIN[backend], video, os.path.join(work, "plain.npy"))
        ours_time, _ = timed(
            extract, [video], os.path.join(work, "one.h5"), backend=backend, progress=False, overwrite=True
        )
        one_time, _ = timed(
            extract, batch, os.path.join(work, "w1.h5"), backend=backend, progress=False, overwrite=True
        )
        two_time, _ = timed(
            extract, batch, os.path.join(work, "w2.h5"), backend=backend, workers=2, progress=False, overwrite=True
        )
        total = frames * args.files
        print(
            f"| {backend} | {frames / plain_time:.1f} | {frames / ours_time:.1f} | "
            f"{plain_time / ours_time:.2f}x | {total / one_time:.1f} | {total / two_time:.1f} | "
            f"{one_time / two_time:.2f}x |"
        )
        sys.stdout.flush()
    short = make_video(os.path.join(work, "short.avi"), 1_000, None)
    long = make_video(os.path.join(work, "long.avi"), args.long, None)
    print(f"\n| backend | peak RSS, 1,000 frames | peak RSS, {args.long:,} frames | growth per 1,000 frames |")
    print("|---|---|---|---|")
    for backend in args.backends:
        small = peak_rss_mb(short, backend, os.path.join(work, "m1.h5"))
        large = peak_rss_mb(long, backend, os.path.join(work, "m2.h5"))
        growth = (large - small) / ((args.long - 1_000) / 1_000)
        print(f"| {backend} | {small:.0f} MB | {large:.0f} MB | {growth:.2f} MB |")


if __name__ == "__main__":
    main()
