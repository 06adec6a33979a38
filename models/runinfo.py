"""What every run and evaluation records about its data and software, in one place."""

from __future__ import annotations

import json
import os
import platform
from typing import Any

import numpy as np
import torch

from landmarkset import __version__
from landmarkset.io import Dataset
from landmarkset.provenance import sha256_of
from landmarkset.runfolder import atomic_file


def data_record(path: str, dataset: Dataset) -> dict[str, Any]:
    """Path, SHA-256, sample count and resampling of a built dataset file."""
    return {
        "path": os.path.abspath(path),
        "sha256": sha256_of(path),
        "samples": len(dataset),
        "resampling": str(dataset.attrs.get("resampling", "")),
        # source frames a sample spans (median): whole-video prediction windows default to it
        "source_span": source_span(dataset),
        # the landmarks the model learnt from: predict, evaluate, explain and spotting warn on others
        "landmarks": dataset.landmark_source,
    }


def source_span(dataset: Dataset) -> int:
    """Median number of source frames from a sample's first to its last frame (0 when unknown)."""
    frames = np.asarray(dataset.source_frames)
    if frames.ndim != 2 or not len(frames):
        return 0
    spans = frames[:, -1] - frames[:, 0] + 1
    real = spans[spans > 1]  # frozen neutral samples repeat one frame
    return int(np.median(real)) if len(real) else 0


def versions() -> dict[str, str]:
    return {"landmarkset": __version__, "torch": str(torch.__version__), "python": platform.python_version()}


class JsonReport:
    """The typed reports of the stages write themselves as JSON: ``to_json()`` (plain JSON types) to a file."""

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def write(self, path: str) -> str:
        """Write the report to ``path`` through a temporary file: a crash leaves the earlier file or none."""
        with atomic_file(path) as handle:
            json.dump(self.to_json(), handle, indent=2)
        return path
