"""The ``/dataset`` element (a training-ready dataset) and its optional face crops (spec: docs/format.md)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

import h5py
import numpy as np

from ..errors import StoreError
from ..individuals import PersonRule
from ..track import Track
from .encoding import DATASET, check_element, damage_is_one_line, open_for_reading, stamp

__all__ = ["NEUTRAL_SUFFIX", "Dataset", "read_crops", "read_dataset", "read_dataset_labels"]

GROUP = "dataset"
NEUTRAL_SUFFIX = "__neutral"  # synthetic neutral samples are named <source sequence>__neutral
_STRINGS = h5py.string_dtype()


@dataclass
class Dataset:
    """Arrays of a built dataset (see docs/format.md, ``/dataset``).

    ``tracks`` holds the tracks the samples were made from when the dataset was built in this process
    (written beside ``/dataset`` so that figures can show the frames); it is empty for a dataset read
    from a file, whose tracks are in the file.
    """

    X: np.ndarray
    y: np.ndarray
    classes: list[str]
    subject: list[str]
    sequence: list[str]
    synthetic: np.ndarray
    source_frames: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)
    intervals: Optional[np.ndarray] = None  # (N, 3) onset, apex, offset (1-based frame numbers); -1 where unknown
    parts: Optional[list[str]] = None  # a composite's: the dataset each sample comes from (landmarkset merge)
    tracks: dict[str, Track] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def landmark_source(self) -> dict[str, str]:
        """Where the samples' landmarks came from: the backend that extracted them (and its version), or
        "provided" (the dataset's own landmark files); empty when the dataset does not say."""
        backend = str(self.attrs.get("backend", "") or self.attrs.get("landmarks", "") or "")
        return {"backend": backend, "backend_version": str(self.attrs.get("backend_version", "") or "")}

    @property
    def person(self) -> Optional[PersonRule]:
        """The rule that picked the labelled person in clips of several faces (``build --person``), or None."""
        try:
            rule = json.loads(self.attrs.get("settings", "{}") or "{}").get("person")
        except (ValueError, AttributeError):
            return None
        return None if rule is None else PersonRule(str(rule))

    def source_sequence(self, index: int) -> str:
        """The sequence (track id) a sample's frames come from: a synthetic neutral sample's source."""
        name = self.sequence[index]
        return name[: -len(NEUTRAL_SUFFIX)] if self.synthetic[index] and name.endswith(NEUTRAL_SUFFIX) else name

    def counts(self) -> dict[str, int]:
        """Samples per class, in class order."""
        counted = Counter(self.y.tolist())
        return {name: counted.get(index, 0) for index, name in enumerate(self.classes)}

    def counts_table(self) -> str:
        counts = self.counts()
        synthetic = Counter(self.y[self.synthetic].tolist())
        width = max(len(name) for name in [*counts, "class"])
        lines = [f"{'class':<{width}}  samples  synthetic"]
        for index, (name, count) in enumerate(counts.items()):
            lines.append(f"{name:<{width}}  {count:>7}  {synthetic.get(index, 0):>9}")
        lines.append(f"{'total':<{width}}  {len(self):>7}  {int(self.synthetic.sum()):>9}")
        return "\n".join(lines)


def write_dataset_group(file: h5py.File, dataset: Dataset) -> None:
    """Write ``/dataset`` into an open, writable store, replacing an earlier one (and its crops)."""
    if GROUP in file:
        del file[GROUP]
    group = file.create_group(GROUP)
    stamp(group, DATASET)
    group.attrs.update({"classes": json.dumps(dataset.classes), "counts": json.dumps(dataset.counts())})
    group.attrs.update(dataset.attrs)
    group.create_dataset("X", data=dataset.X, compression="gzip", compression_opts=4, shuffle=True)
    group.create_dataset("y", data=dataset.y)
    group.create_dataset("subject", data=np.array(dataset.subject, dtype=object), dtype=_STRINGS)
    group.create_dataset("sequence", data=np.array(dataset.sequence, dtype=object), dtype=_STRINGS)
    group.create_dataset("synthetic", data=dataset.synthetic)
    group.create_dataset("source_frames", data=dataset.source_frames)
    if dataset.intervals is not None:
        group.create_dataset("intervals", data=dataset.intervals)
    if dataset.parts is not None:
        group.create_dataset("part", data=np.array(dataset.parts, dtype=object), dtype=_STRINGS)


def write_crops_group(file: h5py.File, crops: np.ndarray, attrs: dict[str, Any]) -> None:
    """Write ``/dataset/crops`` (N, F, S, S) uint8 and its attributes into an open, writable store."""
    group = file[GROUP]
    if len(crops) != len(group["y"]):
        raise StoreError(f"{len(crops)} crops for {len(group['y'])} samples")
    if "crops" in group:
        del group["crops"]
    chunks = (1, *crops.shape[1:]) if len(crops) else None
    group.create_dataset("crops", data=crops, chunks=chunks, compression="gzip", compression_opts=4)
    group.attrs.update(attrs)


def _strings(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _dataset_group(file: h5py.File, path: str) -> h5py.Group:
    if GROUP not in file:
        raise StoreError(f"{path} has no /dataset group: build one with landmarkset build-ckplus / build-samm")
    check_element(file[GROUP], DATASET, f"{path}:/dataset")
    return file[GROUP]


def _open(path: str) -> h5py.File:
    return open_for_reading(path)


def read_dataset(path: str) -> Dataset:
    """The ``/dataset`` group of ``path``. Raises StoreError when it is missing or from a newer version."""
    with damage_is_one_line(path), _open(path) as file:
        group = _dataset_group(file, path)
        attrs = {k: v for k, v in group.attrs.items() if k not in ("encoding-type", "encoding-version")}
        return Dataset(
            X=group["X"][()],
            y=group["y"][()],
            classes=json.loads(attrs.pop("classes")),
            subject=_strings(group["subject"][()]),
            sequence=_strings(group["sequence"][()]),
            synthetic=group["synthetic"][()],
            source_frames=group["source_frames"][()],
            attrs=attrs,
            intervals=group["intervals"][()] if "intervals" in group else None,
            parts=_strings(group["part"][()]) if "part" in group else None,
        )


def read_dataset_labels(path: str) -> tuple[list[str], np.ndarray]:
    """Classes and labels only (the version check included), without reading the samples."""
    with damage_is_one_line(path), _open(path) as file:
        group = _dataset_group(file, path)
        return json.loads(group.attrs["classes"]), group["y"][()]


def read_crops(path: str) -> np.ndarray:
    """``/dataset/crops`` of ``path``; a clear error when the dataset was built without them."""
    with damage_is_one_line(path), _open(path) as file:
        group = _dataset_group(file, path)
        if "crops" not in group:
            raise StoreError(f"{path} has no face crops: rebuild with --crops (build-ckplus / build-samm)")
        return group["crops"][()]
