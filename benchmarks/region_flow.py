"""Region optical flow against whole-frame dense flow of the same method (OpenCV's DIS, fast preset) at
SAMM's 2040x1088, in one run, and the memory and time of a whole spotting pass on long tracks.

Region flow (landmarkset.flow) warps the face into a 128-pixel crop by its stable points and measures flow
there; what a user would otherwise write is DIS over the whole frame pair, then the same region means.
Prints frames/s of each and their ratio; then `landmarkset spot` on tracks of 1, 5 and 10 minutes at 200
fps with the peak memory the pass allocates (tracemalloc, which traces numpy's arrays).

    python benchmarks/region_flow.py [--frames 200] [--minutes 1,5,10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc

import cv2
import numpy as np

from landmarkset import Track, TrackWriter
from landmarkset.flow import RegionFlowMeter, parse_lag
from landmarkset.regions import SPOT_REGIONS
from landmarkset.synth import Look, Renderer, astronaut, expression_field

SIZE = (2040, 1088)


def frames(count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """A face at SAMM's size raising its brows and smiling over ``count`` frames, with its landmarks."""
    renderer = Renderer(astronaut(), Look(scale=250.0, centre=(1020.0, 430.0)), SIZE)  # a SAMM-sized face
    field = expression_field({"1": 0.6, "2": 0.6, "12": 0.8})
    out = []
    for t in range(count):
        strength = 0.5 - 0.5 * np.cos(2 * np.pi * t / 60)
        image, points = renderer.render(renderer.neutral + strength * field)
        out.append((cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image, points))
    return out


def whole_frame_flow(video: list[tuple[np.ndarray, np.ndarray]], lag: int) -> float:
    """frames/s of DIS over whole frames, then the mean flow in each region's box (what one writes by hand)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOpticalFlow_PRESET_FAST)
    grays = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image, _ in video]
    start = time.perf_counter()
    for t in range(lag, len(video)):
        flow = dis.calc(grays[t - lag], grays[t], None)
        points = video[t - lag][1]
        for region in SPOT_REGIONS.values():
            x0, y0 = np.floor(points[list(region)].min(0)).astype(int)
            x1, y1 = np.ceil(points[list(region)].max(0)).astype(int)
            flow[y0:y1, x0:x1].reshape(-1, 2).mean(0)
    return (len(video) - lag) / (time.perf_counter() - start)


def region_flow(video: list[tuple[np.ndarray, np.ndarray]], lag: int) -> float:
    meter = RegionFlowMeter(parse_lag(str(lag)))
    start = time.perf_counter()
    for image, points in video:
        meter.measure(image, points, None)
    return len(video) / (time.perf_counter() - start)


def spot_pass(minutes: float, fps: float = 200.0) -> tuple[float, float]:
    """Seconds and peak MB of `spot` over a generated track of ``minutes`` (run in a fresh process)."""
    from landmarkset.models.spotting import spot_tracks

    n = int(minutes * 60 * fps)
    rng = np.random.default_rng(0)
    base = rng.random((68, 2)).astype(np.float32) * 0.3 + 0.35
    landmarks = base[None] + 0.002 * rng.standard_normal((n, 68, 2)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        store = f"{folder}/long.h5"
        with TrackWriter(store) as writer:
            writer.write(
                Track(
                    id="long",
                    landmarks=landmarks,
                    valid=np.ones(n, bool),
                    confidence=np.ones(n, np.float32),
                    frame_index=np.arange(n),
                    timestamp=np.arange(n) / fps,
                    box=np.zeros((n, 4), np.float32),
                    faces_detected=np.ones(n, np.int16),
                    width=2040,
                    height=1088,
                    source="long",
                    fps=fps,
                    backend="generated",
                )
            )
        del landmarks
        tracemalloc.start()  # numpy's arrays are traced too
        start = time.perf_counter()
        spot_tracks(store, f"{folder}/spots", curves=False, progress=False)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--lag", type=int, default=40, help="frames (0.2 s at 200 fps)")
    parser.add_argument("--minutes", default="1,5,10")
    args = parser.parse_args()
    video = frames(args.frames)
    whole, regions = whole_frame_flow(video, args.lag), region_flow(video, args.lag)
    print(f"{SIZE[0]}x{SIZE[1]}, lag {args.lag} frames, DIS fast preset, {args.frames} frames:")
    print(f"  whole-frame flow + region means: {whole:7.1f} frames/s")
    print(f"  region flow (landmarkset.flow):  {regions:7.1f} frames/s  ({regions / whole:.1f}x faster)")
    for minutes in (float(m) for m in args.minutes.split(",")):
        seconds, peak = spot_pass(minutes)
        frames_done = minutes * 60 * 200
        print(
            f"  spot, {minutes:g} min at 200 fps ({frames_done:,.0f} frames): {seconds:6.1f} s "
            f"({frames_done / seconds / 200:.0f}x real time), peak memory allocated {peak:,.1f} MB"
        )


if __name__ == "__main__":
    main()
