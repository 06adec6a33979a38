"""What every run and evaluation records about its data and software, in one place."""

from __future__ import annotations

import os
import platform
from typing import Any

import torch

from landmarkset import __version__
from landmarkset.io import Dataset
from landmarkset.provenance import sha256_of


def data_record(path: str, dataset: Dataset) -> dict[str, Any]:
    """Path, SHA-256, sample count and resampling of a built dataset file."""
    return {
        "path": os.path.abspath(path),
        "sha256": sha256_of(path),
        "samples": len(dataset),
        "resampling": str(dataset.attrs.get("resampling", "")),
    }


def versions() -> dict[str, str]:
    return {"landmarkset": __version__, "torch": str(torch.__version__), "python": platform.python_version()}
