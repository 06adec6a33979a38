"""How well each backend follows an expression's motion, for macro- and micro-sized movements.

On generated sequences whose true landmarks are known (`landmarkset synth`: CK+ sequences for macro
expressions, SAMM clips for micro ones; a still head, so that only the expression moves), each backend's
displacement from the onset frame to the apex frame is compared with the true displacement. Both are
measured after aligning the apex frame to the onset frame by the similarity of the stable points (eye
corners, nose bridge), in inter-ocular distances (eye centres) of the onset frame, as the `aligned`
preprocessing and the spotting features measure them. Per backend and size:

- error: the mean distance between found and true displacement, per region (inter-ocular units);
- moved points found: of the points the expression truly moves most (the truth's `moved_landmarks`, those
  its Action Units move by more than 2 % of the eye-corner distance), the share that are also among the
  backend's most moved points (as many as the truth has): what a map over landmarks can at best show
  (chance: their count / 68);
- rank correlation: Spearman's rho between the true and found displacement magnitudes over the 68 points;
- cosine: between the true and found displacement fields (68 x 2), 1 when the direction pattern matches.

    python benchmarks/subtle_motion.py [--backends mediapipe dlib face-alignment] [--subjects 6] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
from landmarkset.models.preprocess import interocular, similarity_align
from scipy.stats import spearmanr

from landmarkset import extract, open_tracks
from landmarkset.errors import LandmarksetError
from landmarkset.regions import REGIONS
from landmarkset.synth import TRUTH_FILE, Nuisances, packaged_identities, synth_ckplus, synth_samm

SHOWN_REGIONS = ("jaw", "brows", "eyes", "nose", "mouth")


def region_points(name: str) -> list[int]:
    """The points of a shown region (``brows`` and ``eyes`` join their left and right regions)."""
    return sorted({i for key, points in REGIONS.items() if name.rstrip("s") in key for i in points})


def displacement(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """(68, 2) displacement from onset to apex, the apex aligned on the stable points, in inter-ocular units."""
    aligned = similarity_align(apex[None].astype(np.float64), onset[None].astype(np.float64))[0]
    return (aligned - onset) / interocular(onset[None].astype(np.float64))[0]


def compare(true_d: np.ndarray, found_d: np.ndarray, moved: list[int]) -> dict[str, float]:
    error = np.linalg.norm(found_d - true_d, axis=1)
    row = {region: float(error[region_points(region)].mean()) for region in SHOWN_REGIONS}
    row["all"] = float(error.mean())
    true_m, found_m = np.linalg.norm(true_d, axis=1), np.linalg.norm(found_d, axis=1)
    if moved:
        top = set(np.argsort(-found_m)[: len(moved)].tolist())
        row["moved found"] = len(top & set(moved)) / len(moved)
        row["chance"] = len(moved) / 68
    row["rho"] = float(spearmanr(true_m, found_m).statistic)
    row["cosine"] = float(
        (true_d.ravel() @ found_d.ravel()) / (np.linalg.norm(true_d) * np.linalg.norm(found_d) + 1e-12)
    )
    row["true motion"] = float(true_m[moved].mean()) if moved else float(true_m.mean())
    return row


def sequences(work: str, subjects: int) -> dict[str, list[tuple[str, np.ndarray, int, int, list[int]]]]:
    """Per size, (folder, true track, onset index, apex index, moved points) of each generated sequence."""
    faces = packaged_identities()
    ck, samm = os.path.join(work, "ck"), os.path.join(work, "samm")
    if not os.path.isdir(ck):
        synth_ckplus(ck, subjects=subjects, seed=2, identities=faces, nuisances=Nuisances.none(), neutral_sequences=0,
                     workers=2, progress=False)  # fmt: skip
    if not os.path.isdir(samm):
        synth_samm(samm, subjects=subjects, clips_per_subject=3, seed=2, identities=faces, progress=False)
    found: dict[str, list] = {"macro (CK+ sequences)": [], "micro (SAMM clips)": []}
    with open(os.path.join(ck, TRUTH_FILE)) as handle:
        for key, record in json.load(handle)["sequences"].items():
            track = np.array(record["landmarks"], dtype=np.float64)
            if record.get("moved_landmarks"):
                folder = os.path.join(ck, "cohn-kanade-images", key)
                found["macro (CK+ sequences)"].append((folder, track, 0, len(track) - 1, record["moved_landmarks"]))
    with open(os.path.join(samm, TRUTH_FILE)) as handle:
        for name, record in json.load(handle)["sequences"].items():
            track = np.array(record["landmarks"], dtype=np.float64)
            if record.get("moved_landmarks"):
                folder = os.path.join(samm, "SAMM", record["subject"], name)
                apex = record["apex"] - record["onset"]
                found["micro (SAMM clips)"].append((folder, track, 0, apex, record["moved_landmarks"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["mediapipe", "dlib", "face-alignment"])
    parser.add_argument("--subjects", type=int, default=6)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="landmarkset-subtle-")
    data = sequences(work, args.subjects)
    print(f"work: {work}; " + ", ".join(f"{len(v)} {k}" for k, v in data.items()))
    columns = ["all", *SHOWN_REGIONS, "moved found", "chance", "rho", "cosine"]
    print("\n| backend | size | faces found | " + " | ".join(columns) + " | true motion |")
    print("|---|---|---|" + "---|" * (len(columns) + 1))
    rows = {"truth (the generator's landmarks)": None}
    for backend in args.backends:
        rows[backend] = backend
    for label, backend in rows.items():
        for size, items in data.items():
            found_tracks = {}
            if backend is not None:
                store = os.path.join(work, f"{backend}-{size.split()[0]}.h5")
                started = time.monotonic()
                try:
                    roots = sorted({os.path.dirname(os.path.dirname(folder)) for folder, *_ in items})
                    extract(roots, store, backend=backend, workers=2, progress=False)
                except LandmarksetError as error:
                    print(f"| {label} | {size} | skipped: {str(error).splitlines()[0]} |")
                    break
                with open_tracks(store) as tracks:
                    by_folder = {tracks.sequence_attrs(i).get("source", ""): i for i in tracks.ids()}
                    for folder, *_ in items:
                        key = by_folder.get(os.path.abspath(folder))
                        if key is not None:
                            found_tracks[folder] = tracks[key]
                seconds = time.monotonic() - started
            stats, faces = [], 0
            for folder, true, onset, apex, moved in items:
                if backend is None:
                    found = true
                else:
                    track = found_tracks.get(folder)
                    if track is None or not track.valid[[onset, apex]].all():
                        continue
                    found = track.pixels().astype(np.float64)
                faces += 1
                true_d, found_d = displacement(true[onset], true[apex]), displacement(found[onset], found[apex])
                stats.append(compare(true_d, found_d, moved))
            mean = {key: float(np.mean([s[key] for s in stats if key in s])) for key in [*columns, "true motion"]}
            cells = " | ".join(f"{mean[key]:.3f}" for key in columns)
            print(f"| {label} | {size} | {faces}/{len(items)} | {cells} | {mean['true motion']:.3f} |", flush=True)
            if backend is not None:
                print(f"<!-- {label} {size}: {seconds:.0f} s extraction -->")


if __name__ == "__main__":
    main()
