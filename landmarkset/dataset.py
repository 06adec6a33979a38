"""Training-ready datasets: fixed-length landmark samples in the ``/dataset`` group of a track store.

    builder = DatasetBuilder(frames=20, min_frames=10)
    builder.add_sequence("S005_001", landmarks, label="happy", subject="S005")   # (T, 68, 2) arrays
    builder.add_track(track, label="anger")                                     # or tracks from a store
    builder.add_neutral(50, seed=0)            # first frames repeated: the paper's synthetic neutral class
    dataset = builder.build()
    write_dataset("data.h5", dataset)

Every sequence is resampled to ``frames`` frames spread evenly from its first to its last frame (frames
repeat when it is shorter); frames without a face are replaced by the nearest frame with one, and which
source frame each sample frame came from is kept (``source_frames``). Sequences shorter than
``min_frames`` are dropped, and every drop is recorded with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import h5py
import numpy as np

from ._crashsafe import CrashSafeFile
from ._version import __version__
from .errors import OptionError, StoreError
from .smoothing import Smoothing, smooth_landmarks
from .store import Track, _check_element, _initialise

__all__ = ["Dataset", "DatasetBuilder", "read_dataset", "resample_indices", "write_dataset"]

DATASET_TYPE = "landmarkset-dataset"
DATASET_VERSION = "1.0.0"
NEUTRAL_SUFFIX = "__neutral"  # synthetic neutral samples are named <source sequence>__neutral
RESAMPLING = "even-nearest"  # round(linspace(0, T - 1, F)): first and last frame always kept
_STRINGS = h5py.string_dtype()


def resample_indices(n_frames: int, frames: int) -> np.ndarray:
    """Indices of ``frames`` frames spread evenly over 0..n_frames-1, first and last included."""
    if n_frames < 1 or frames < 1:
        raise OptionError(f"resample_indices needs n_frames >= 1 and frames >= 1. Got {n_frames}, {frames}.")
    return np.linspace(0, n_frames - 1, frames).round().astype(np.int64)


def _nearest_valid(indices: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each index moved to the nearest frame with a face (earlier frame on ties)."""
    usable = np.flatnonzero(valid)
    position = np.clip(np.searchsorted(usable, indices), 1, len(usable) - 1) if len(usable) > 1 else None
    if position is None:
        return np.full_like(indices, usable[0])
    before, after = usable[position - 1], usable[position]
    chosen = np.where(indices - before <= after - indices, before, after)
    return np.where(valid[indices], indices, chosen)


@dataclass
class Sample:
    sequence: str
    subject: str
    label: str
    landmarks: np.ndarray  # (F, 68, 2)
    source_frames: np.ndarray  # (F,) frame numbers in the source sequence
    synthetic: bool = False
    interval: Optional[tuple[int, int, int]] = None  # onset, apex, offset (source frame numbers)


@dataclass
class Dataset:
    """Arrays of a built dataset (see docs/format.md, ``/dataset``)."""

    X: np.ndarray
    y: np.ndarray
    classes: list[str]
    subject: list[str]
    sequence: list[str]
    synthetic: np.ndarray
    source_frames: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)
    intervals: Optional[np.ndarray] = None  # (N, 3) onset, apex, offset; -1 where unknown

    def __len__(self) -> int:
        return len(self.y)

    def source_sequence(self, index: int) -> str:
        """The sequence (track id) a sample's frames come from: a synthetic neutral sample's source."""
        name = self.sequence[index]
        return name.removesuffix(NEUTRAL_SUFFIX) if self.synthetic[index] else name

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


class DatasetBuilder:
    """Collects sequences, applies the resampling, length and neutral rules, and builds a :class:`Dataset`."""

    def __init__(
        self,
        frames: int = 20,
        min_frames: int = 10,
        classes: Optional[Sequence[str]] = None,
        smoothing: Optional[Smoothing] = None,
    ) -> None:
        if not isinstance(frames, int) or frames < 2:
            raise OptionError(f"The 'frames' parameter of DatasetBuilder must be an int >= 2. Got {frames!r} instead.")
        if not isinstance(min_frames, int) or min_frames < 1:
            raise OptionError(
                f"The 'min_frames' parameter of DatasetBuilder must be an int >= 1. Got {min_frames!r} instead."
            )
        self.frames, self.min_frames, self.smoothing = frames, min_frames, smoothing
        self.classes = list(classes) if classes is not None else None
        self.samples: list[Sample] = []
        self.dropped: list[tuple[str, str]] = []  # (sequence, reason)
        self.neutral_sources: list[str] = []
        self.neutral_seed: Optional[int] = None

    def add_sequence(
        self,
        sequence: str,
        landmarks: np.ndarray,
        label: str,
        subject: str,
        valid: Optional[np.ndarray] = None,
        frame_numbers: Optional[np.ndarray] = None,
        fps: float = float("nan"),
        interval: Optional[tuple[int, int, int]] = None,
    ) -> bool:
        """Add one sequence of (T, 68, 2) landmarks; return False (and record why) when it is dropped."""
        landmarks = np.asarray(landmarks, dtype=np.float32)
        if landmarks.ndim != 3 or landmarks.shape[1:] != (68, 2):
            raise OptionError(f"landmarks of {sequence!r} must have shape (T, 68, 2). Got {landmarks.shape} instead.")
        count = len(landmarks)
        valid = np.isfinite(landmarks).all(axis=(1, 2)) if valid is None else np.asarray(valid, bool)
        valid = valid & np.isfinite(landmarks).all(axis=(1, 2))
        frame_numbers = np.arange(count) if frame_numbers is None else np.asarray(frame_numbers)
        if self.classes is not None and label not in self.classes:
            self.dropped.append((sequence, f"class {label!r} not selected"))
            return False
        if count < self.min_frames:
            self.dropped.append((sequence, f"{count} frames, fewer than min_frames={self.min_frames}"))
            return False
        if valid.sum() < min(self.min_frames, count):
            self.dropped.append((sequence, f"a face on only {int(valid.sum())} of {count} frames"))
            return False
        if self.smoothing is not None:
            landmarks = smooth_landmarks(landmarks, valid, fps, self.smoothing)
        chosen = _nearest_valid(resample_indices(count, self.frames), valid)
        self.samples.append(
            Sample(
                sequence, subject, label, landmarks[chosen], frame_numbers[chosen].astype(np.int32), interval=interval
            )
        )
        return True

    def add_track(
        self,
        track: Track,
        label: Optional[str] = None,
        subject: Optional[str] = None,
        sequence: Optional[str] = None,
        frames: Optional[slice] = None,
        interval: Optional[tuple[int, int, int]] = None,
    ) -> bool:
        """Add a stored track (or the frames ``frames`` of it); label and subject default to the track's."""
        part = frames or slice(None)
        return self.add_sequence(
            sequence or track.id,
            track.landmarks[part],
            label if label is not None else track.label,
            subject if subject is not None else track.subject,
            track.valid[part],
            track.frame_index[part],
            track.fps,
            interval,
        )

    def add_neutral(self, count: int, seed: int = 0, label: str = "neutral") -> list[str]:
        """Add ``count`` synthetic neutral samples: random sequences' first frame repeated (the paper's rule).

        Sources are drawn without replacement from the real samples added so far; they are returned and
        recorded. Each neutral sample keeps its source's subject, so subject-grouped splits stay honest.
        """
        real = [s for s in self.samples if not s.synthetic]
        if count > len(real):
            raise OptionError(f"add_neutral: {count} neutral samples asked for but only {len(real)} sequences added.")
        picks = sorted(np.random.default_rng(seed).choice(len(real), size=count, replace=False).tolist())
        for index in picks:
            source = real[index]
            self.samples.append(
                Sample(
                    f"{source.sequence}{NEUTRAL_SUFFIX}",
                    source.subject,
                    label,
                    np.repeat(source.landmarks[:1], self.frames, 0),
                    np.repeat(source.source_frames[:1], self.frames),
                    synthetic=True,
                )
            )
            self.neutral_sources.append(source.sequence)
        self.neutral_seed = seed
        return [real[i].sequence for i in picks]

    def build(self, **attrs: Any) -> Dataset:
        """The dataset; ``attrs`` (e.g. backend, source paths) are recorded with the preparation choices."""
        if not self.samples:
            raise OptionError("The dataset is empty: no sequence was added or every one was dropped.")
        present = {s.label for s in self.samples}
        # Neutral first (class 0), as in CK+'s emotion codes; then the others in name order.
        classes = self.classes or sorted(present, key=lambda name: (name != "neutral", name))
        missing = sorted(present - set(classes))
        if missing:  # synthetic neutrals added to a builder with a fixed class list
            classes = [*missing, *classes]
        index = {name: i for i, name in enumerate(classes)}
        intervals = None
        if any(s.interval is not None for s in self.samples):
            intervals = np.array([s.interval or (-1, -1, -1) for s in self.samples], dtype=np.int32)
        record = {
            "frames": self.frames,
            "min_frames": self.min_frames,
            "resampling": RESAMPLING,
            "smoothing": json.dumps(self.smoothing.describe() if self.smoothing else None),
            "neutral_sources": json.dumps(self.neutral_sources),
            "neutral_seed": -1 if self.neutral_seed is None else self.neutral_seed,
            "dropped": json.dumps(self.dropped),
            "landmarkset_version": __version__,
            **{
                key: value if isinstance(value, (int, float, str)) else json.dumps(value)
                for key, value in attrs.items()
            },
        }
        return Dataset(
            X=np.stack([s.landmarks for s in self.samples]).astype(np.float32),
            y=np.array([index[s.label] for s in self.samples], dtype=np.int64),
            classes=list(classes),
            subject=[s.subject for s in self.samples],
            sequence=[s.sequence for s in self.samples],
            synthetic=np.array([s.synthetic for s in self.samples], dtype=bool),
            source_frames=np.stack([s.source_frames for s in self.samples]).astype(np.int32),
            attrs=record,
            intervals=intervals,
        )


def write_dataset(path: str, dataset: Dataset) -> None:
    """Write (or replace) the ``/dataset`` group of ``path`` (a track store, created if needed), crash-safely."""

    def change(file: h5py.File) -> None:
        if "dataset" in file:
            del file["dataset"]
        group = file.create_group("dataset")
        group.attrs.update(
            {
                "encoding-type": DATASET_TYPE,
                "encoding-version": DATASET_VERSION,
                "classes": json.dumps(dataset.classes),
                "counts": json.dumps(dataset.counts()),
                **dataset.attrs,
            }
        )
        group.create_dataset("X", data=dataset.X, compression="gzip", compression_opts=4, shuffle=True)
        group.create_dataset("y", data=dataset.y)
        group.create_dataset("subject", data=np.array(dataset.subject, dtype=object), dtype=_STRINGS)
        group.create_dataset("sequence", data=np.array(dataset.sequence, dtype=object), dtype=_STRINGS)
        group.create_dataset("synthetic", data=dataset.synthetic)
        group.create_dataset("source_frames", data=dataset.source_frames)
        if dataset.intervals is not None:
            group.create_dataset("intervals", data=dataset.intervals)

    with CrashSafeFile(path, _initialise) as file:
        file.update(change)


def _strings(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def read_dataset(path: str) -> Dataset:
    """The ``/dataset`` group of ``path``. Raises StoreError when it is missing or from a newer version."""
    try:
        file = h5py.File(path, "r")
    except (FileNotFoundError, OSError) as error:
        raise StoreError(f"{path}: cannot open ({error})") from None
    with file:
        if "dataset" not in file:
            raise StoreError(f"{path} has no /dataset group: build one with landmarkset build-ckplus / build-samm")
        group = file["dataset"]
        _check_element(group, DATASET_TYPE, DATASET_VERSION, f"{path}:/dataset")
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
        )
