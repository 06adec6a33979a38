"""Aligned face crops for the SCN: geometry, contents, and clear errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from landmarkset import StoreError
from landmarkset.datasets import read_dataset
from landmarkset.datasets.crops import write_crops
from landmarkset.io import read_crops
from landmarkset.io.crops import align_transform


def test_alignment_levels_the_eyes_and_centres_the_face():
    rng = np.random.default_rng(1)
    face = rng.uniform(100, 200, (68, 2))
    face[36:42] = [120, 130]
    face[42:48] = [180, 130]
    angle = np.radians(20)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    tilted = (face - 150) @ rotation.T + [300, 250]
    matrix = align_transform(tilted, 224)
    aligned = tilted @ matrix[:, :2].T + matrix[:, 2]
    left, right = aligned[36:42].mean(0), aligned[42:48].mean(0)
    assert abs(left[1] - right[1]) < 1e-6 and left[0] < right[0]
    span = aligned.max(0) - aligned.min(0)
    assert span.max() == pytest.approx(224 / 1.2, rel=1e-6)
    assert np.all(aligned.min(0) >= 0) and np.all(aligned.max(0) <= 224)


def test_crops_show_the_face_where_the_landmarks_say(train_data):
    dataset = read_dataset(train_data)
    crops = read_crops(train_data)
    np.testing.assert_array_equal(write_crops(train_data, size=32, progress=False), crops)  # deterministic

    def patch(image: np.ndarray, point: np.ndarray) -> float:
        x, y = point.astype(int)
        return float(image[y - 4 : y + 4, x - 4 : x + 4].mean())

    # At the eyes' landmark positions the crop is dark (pupils, lashes); at the cheeks it is bright skin.
    for index in range(0, len(dataset), 7):
        big = cv2.resize(crops[index, 0], (224, 224))
        points = dataset.X[index, 0] * [640, 490]
        matrix = align_transform(points, 224)
        aligned = points @ matrix[:, :2].T + matrix[:, 2]
        eyes = [patch(big, aligned[36:42].mean(0)), patch(big, aligned[42:48].mean(0))]
        cheeks = [patch(big, aligned[[2, 31]].mean(0)), patch(big, aligned[[14, 35]].mean(0))]
        assert max(eyes) + 50 < min(cheeks)


def test_missing_crops_say_how_to_fix(tmp_path, train_data):
    import shutil

    from landmarkset.datasets import write_dataset

    copy = str(tmp_path / "no_crops.h5")
    shutil.copy(train_data, copy)
    write_dataset(copy, read_dataset(copy))  # rewrites /dataset without crops
    with pytest.raises(StoreError, match=r"no_crops\.h5 has no face crops: rebuild with --crops"):
        read_crops(copy)
