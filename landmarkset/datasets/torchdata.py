"""A PyTorch ``Dataset`` over the ``/dataset`` group of a file, read lazily (needs torch)."""

from __future__ import annotations

import os
from typing import Callable, Optional

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from ..io.datasets import read_dataset_labels

__all__ = ["LandmarkDataset"]


class LandmarkDataset(TorchDataset):
    """Samples ``(x, y)`` of a built dataset: x float32 (F, 68, 2) (after ``transform``), y int.

    Nothing but the labels is read up front; each sample is read when asked for, through a file handle
    opened once per process (safe with DataLoader workers).
    """

    def __init__(self, path: str, transform: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> None:
        header = read_dataset_labels(path)
        self.path, self.transform = path, transform
        self.classes, self.y = header
        self._file: Optional[h5py.File] = None
        self._pid = -1

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if self._file is None or self._pid != os.getpid():
            self._file, self._pid = h5py.File(self.path, "r"), os.getpid()
        x = self._file["dataset/X"][index]
        if self.transform is not None:
            x = self.transform(x)
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), int(self.y[index])

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_file"] = None  # h5py handles do not cross processes
        return state
