"""Shared test data: real faces shipped by PyPI packages, and generated inputs."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from landmarkset.samples import sample_video


@pytest.fixture(scope="session")
def ck_tree(tmp_path_factory) -> str:
    """A generated CK+ tree; seed 0 gives every emotion, unlabelled sequences and one under 10 frames."""
    from landmarkset.synth import synth_ckplus

    out = str(tmp_path_factory.mktemp("ck") / "CK+")
    synth_ckplus(out, subjects=4, sequences_per_subject=5, seed=0, progress=False)
    return out


@pytest.fixture(scope="session")
def ck_truth(ck_tree) -> dict:
    import json

    from landmarkset.synth import TRUTH_FILE

    with open(os.path.join(ck_tree, TRUTH_FILE)) as handle:
        return json.load(handle)["sequences"]


@pytest.fixture(scope="session")
def carphone() -> str:
    return sample_video()


@pytest.fixture(scope="session")
def carphone_frames(carphone) -> list[np.ndarray]:
    """The 120 RGB frames of the carphone clip."""
    capture = cv2.VideoCapture(carphone)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    assert len(frames) == 120
    return frames


def write_video(path: str, frames: Sequence[np.ndarray], fps: float = 25.0) -> str:
    """Write RGB frames as a lossless-enough MJPG AVI that OpenCV reads back."""
    height, width = frames[0].shape[:2]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_images(folder: str, frames: Sequence[np.ndarray], pattern: str = "img{}.png") -> list[str]:
    """Write RGB frames as numbered images (1-based, unpadded: img1, img2, ... img10)."""
    os.makedirs(folder, exist_ok=True)
    names = []
    for number, frame in enumerate(frames, start=1):
        name = pattern.format(number)
        cv2.imwrite(os.path.join(folder, name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        names.append(name)
    return names
