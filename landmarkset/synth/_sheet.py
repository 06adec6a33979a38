"""A contact sheet of a synthetic CK+ tree: first (neutral) and last (peak) frame of each emotion."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np

from ._aus import EMOTIONS
from ._tree import TRUTH_FILE


def write_contact_sheet(root: str, output: str, with_landmarks: bool = True) -> str:
    """PNG with one row per emotion: neutral frame, peak frame (true landmarks drawn); return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(os.path.join(root, TRUTH_FILE)) as handle:
        sequences = json.load(handle)["sequences"]
    picked = []
    for emotion in EMOTIONS:
        key = next((k for k, r in sorted(sequences.items()) if r["emotion"] == emotion), None)
        if key is not None:
            picked.append((emotion, key))
    figure, axes = plt.subplots(len(picked), 2, figsize=(6.4, 2.6 * len(picked)), squeeze=False)
    for row, (emotion, key) in enumerate(picked):
        record = sequences[key]
        subject, sequence = key.split("/")
        folder = os.path.join(root, "cohn-kanade-images", subject, sequence)
        for column, frame in enumerate((1, record["frames"])):
            image = cv2.imread(os.path.join(folder, f"{subject}_{sequence}_{frame:08d}.png"), cv2.IMREAD_GRAYSCALE)
            points = np.array(record["landmarks"][frame - 1])
            x0, y0 = np.maximum(points.min(axis=0) - 60, 0).astype(int)
            x1, y1 = (points.max(axis=0) + 60).astype(int)
            axis = axes[row, column]
            axis.imshow(image[y0:y1, x0:x1], cmap="gray", vmin=0, vmax=255)
            if with_landmarks:
                moved = record["moved_landmarks"]
                axis.scatter(points[:, 0] - x0, points[:, 1] - y0, s=3, c="#4cc9f0")
                axis.scatter(points[moved, 0] - x0, points[moved, 1] - y0, s=5, c="#f72585")
            aus = "+".join(sorted(record["aus"], key=lambda au: int(au.lstrip("RL"))))
            title = "neutral (frame 1)" if column == 0 else f"{emotion}: AU {aus} (frame {frame})"
            axis.set_title(f"{key} {title}", fontsize=7)
            axis.axis("off")
    figure.suptitle("landmarkset synth ckplus: first and peak frames; pink = points the AUs move", fontsize=8)
    figure.tight_layout(rect=(0, 0, 1, 0.985))
    figure.savefig(output, dpi=100)
    plt.close(figure)
    return output
