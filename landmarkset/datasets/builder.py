"""Training-ready datasets from any data: fixed-length landmark samples with every rule recorded.

    builder = DatasetBuilder(frames=20, min_frames=10)
    builder.add_sequence("S005_001", landmarks, label="happy", subject="S005")   # (T, 68, 2) normalised
    builder.add_track(track, label="anger")                                     # or tracks from a store
    builder.add_track(track, interval=(onset, apex, offset), span="onset-apex")  # one expression of a video
    builder.add_neutral(50, seed=0)            # first frames repeated: the paper's synthetic neutral class
    dataset = builder.build()
    write_dataset("data.h5", dataset)          # /dataset and the tracks the samples came from

Every sequence (or the span of its interval) is resampled to ``frames`` frames spread evenly from its
first to its last frame (frames repeat when it is shorter); frames without a face follow the one policy of
:mod:`landmarkset.windows` (the nearest frame with a face; a sequence with a face on fewer than half its
frames is dropped), and which source frame each sample frame came from is kept (``source_frames``).
Sequences shorter than ``min_frames`` are dropped, and every drop is recorded with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .._version import __version__
from ..errors import OptionError
from ..io.datasets import NEUTRAL_SUFFIX, Dataset
from ..names import name_problem
from ..smoothing import Smoothing, smooth_landmarks
from ..track import Track
from ..windows import FACELESS_POLICY, RESAMPLING, enough_faces, nearest_face, resample_indices

__all__ = ["ONSET_APEX", "ONSET_OFFSET", "RESAMPLING", "DatasetBuilder", "resample_indices"]

ONSET_APEX, ONSET_OFFSET = "onset-apex", "onset-offset"  # the spans of an interval a sample can cover
SPANS = (ONSET_APEX, ONSET_OFFSET)
COORDINATE_RANGE = (-1.0, 2.0)  # normalised landmarks lie in [0, 1], a little outside for faces at the border


def interval_frames(interval: tuple[int, int, int], span: str, frames: int) -> np.ndarray:
    """The 1-based frame numbers a sample of ``frames`` frames takes from ``span`` of ``interval``."""
    onset, apex, offset = interval
    end = apex if span == ONSET_APEX else offset
    return onset + resample_indices(end - onset + 1, frames)


def _check_interval(sequence: str, interval: Any, span: str) -> tuple[int, int, int]:
    if span not in SPANS:
        raise OptionError(f"The 'span' of {sequence!r} must be one of {', '.join(SPANS)}. Got {span!r} instead.")
    try:
        onset, apex, offset = (int(value) for value in interval)
    except (TypeError, ValueError):
        raise OptionError(f"The interval of {sequence!r} must be (onset, apex, offset). Got {interval!r}.") from None
    if not 1 <= onset <= apex <= offset:
        raise OptionError(
            f"The interval of {sequence!r} must be 1-based frame numbers with onset <= apex <= offset. "
            f"Got {interval!r} instead."
        )
    return onset, apex, offset


@dataclass
class Sample:
    sequence: str
    subject: str
    label: str
    landmarks: np.ndarray  # (F, 68, 2)
    source_frames: np.ndarray  # (F,) frame positions in the source sequence
    synthetic: bool = False
    interval: Optional[tuple[int, int, int]] = None  # onset, apex, offset (1-based frame numbers)
    track: Optional[Track] = None  # the track it came from, when added with add_track


class DatasetBuilder:
    """Collects sequences, applies the resampling, length and neutral rules, and builds a :class:`Dataset`."""

    def __init__(
        self,
        *,
        frames: int = 20,
        min_frames: int = 10,
        classes: Optional[Sequence[str]] = None,
        smoothing: Optional[Smoothing] = None,
    ) -> None:
        if not isinstance(frames, int) or isinstance(frames, bool) or frames < 2:
            raise OptionError(f"The 'frames' parameter of DatasetBuilder must be an int >= 2. Got {frames!r} instead.")
        if not isinstance(min_frames, int) or isinstance(min_frames, bool) or min_frames < 1:
            raise OptionError(
                f"The 'min_frames' parameter of DatasetBuilder must be an int >= 1. Got {min_frames!r} instead."
            )
        self.frames, self.min_frames, self.smoothing = frames, min_frames, smoothing
        self.classes = list(classes) if classes is not None else None
        self.samples: list[Sample] = []
        self.dropped: list[tuple[str, str]] = []  # (sequence, reason)
        self.neutral_sources: list[str] = []
        self.neutral_seed: Optional[int] = None
        self._names: set[str] = set()

    def _drop(self, sequence: str, reason: str) -> bool:
        self.dropped.append((sequence, reason))
        return False

    def add_sequence(
        self,
        sequence: str,
        landmarks: np.ndarray,
        *,
        label: str,
        subject: str,
        valid: Optional[np.ndarray] = None,
        frame_numbers: Optional[np.ndarray] = None,
        fps: float = float("nan"),
        interval: Optional[tuple[int, int, int]] = None,
        span: str = ONSET_OFFSET,
        track: Optional[Track] = None,
    ) -> bool:
        """Add one sequence of (T, 68, 2) normalised landmarks; return False (and record why) when it is dropped.

        ``frame_numbers`` are the frames' 0-based positions in their source (default 0..T-1). With
        ``interval`` (onset, apex, offset as 1-based frame numbers, i.e. position + 1), the sample covers
        only ``span`` of it: "onset-offset" or "onset-apex". Raises OptionError for a bad call: a name
        that is taken or unusable, no label, landmarks that are not normalised, a malformed interval.
        """
        problem = name_problem(sequence)
        if problem is not None:
            raise OptionError(f"The sequence name {sequence!r} cannot be used: {problem}.")
        if sequence in self._names:
            raise OptionError(f"Sequence {sequence!r} was already added: sequence names must be unique.")
        if not isinstance(label, str) or not label.strip():
            raise OptionError(f"Sequence {sequence!r} has no label: pass label= (the class name).")
        landmarks = np.asarray(landmarks, dtype=np.float32)
        if landmarks.ndim != 3 or landmarks.shape[1:] != (68, 2):
            raise OptionError(f"landmarks of {sequence!r} must have shape (T, 68, 2). Got {landmarks.shape} instead.")
        finite = landmarks[np.isfinite(landmarks)]
        if finite.size and (finite.min() < COORDINATE_RANGE[0] or finite.max() > COORDINATE_RANGE[1]):
            raise OptionError(
                f"landmarks of {sequence!r} reach {finite.min():.4g}..{finite.max():.4g}, but they must be "
                "normalised (x / width, y / height, within about [0, 1]): divide pixel coordinates by the frame size."
            )
        if interval is not None:
            interval = _check_interval(sequence, interval, span)
        self._names.add(sequence)
        count = len(landmarks)
        valid = np.isfinite(landmarks).all(axis=(1, 2)) if valid is None else np.asarray(valid, bool)
        valid = valid & np.isfinite(landmarks).all(axis=(1, 2))
        frame_numbers = np.arange(count) if frame_numbers is None else np.asarray(frame_numbers, dtype=np.int64)
        if len(valid) != count or len(frame_numbers) != count:
            raise OptionError(f"valid and frame_numbers of {sequence!r} must have one value per frame ({count}).")
        if self.classes is not None and label not in self.classes:
            return self._drop(sequence, f"class {label!r} not selected")
        if interval is None:
            rows, length = np.arange(count), count
            targets = resample_indices(count, self.frames) if count else np.zeros(0, np.int64)
        else:
            wanted = interval_frames(interval, span, self.frames)
            length = int(wanted[-1] - wanted[0] + 1)
            numbers = frame_numbers + 1
            rows = np.flatnonzero((numbers >= wanted[0]) & (numbers <= wanted[-1]))
            lookup = {int(numbers[row]): position for position, row in enumerate(rows)}
            if length >= self.min_frames:
                absent = [int(n) for n in wanted if int(n) not in lookup]
                if absent:
                    return self._drop(sequence, f"frame {absent[0]} of its {span} span is not in the track")
            targets = np.array([lookup.get(int(n), 0) for n in wanted], dtype=np.int64)
        if length < self.min_frames:
            return self._drop(sequence, f"{length} frames, fewer than min_frames={self.min_frames}")
        span_valid = valid[rows]
        if not enough_faces(span_valid):
            return self._drop(sequence, f"a face on only {int(span_valid.sum())} of {len(rows)} frames (half needed)")
        if self.smoothing is not None:
            landmarks = smooth_landmarks(landmarks, valid, fps, self.smoothing)
        chosen = rows[nearest_face(targets, span_valid)]
        self.samples.append(
            Sample(
                sequence,
                subject,
                label,
                landmarks[chosen],
                frame_numbers[chosen].astype(np.int32),
                interval=interval,
                track=track,
            )
        )
        return True

    def add_track(
        self,
        track: Track,
        *,
        label: Optional[str] = None,
        subject: Optional[str] = None,
        sequence: Optional[str] = None,
        frames: Optional[slice] = None,
        interval: Optional[tuple[int, int, int]] = None,
        span: str = ONSET_OFFSET,
    ) -> bool:
        """Add a stored track (or the frames ``frames`` of it, or the ``span`` of ``interval``).

        Label and subject default to the track's; the track itself is kept, so that
        :func:`write_dataset` stores it beside the samples.
        """
        part = frames or slice(None)
        return self.add_sequence(
            sequence or track.id,
            track.landmarks[part],
            label=label if label is not None else track.label,
            subject=subject if subject is not None else track.subject,
            valid=track.valid[part],
            frame_numbers=track.frame_index[part],
            fps=track.fps,
            interval=interval,
            span=span,
            track=track,
        )

    def add_neutral(self, count: int, *, seed: int = 0, label: str = "neutral") -> list[str]:
        """Add ``count`` synthetic neutral samples: random sequences' first frame repeated (the paper's rule).

        Sources are drawn without replacement from the real samples that have no neutral sample yet; they
        are returned and recorded. Each neutral sample keeps its source's subject, so subject-grouped splits
        stay honest.
        """
        real = [s for s in self.samples if not s.synthetic and s.sequence not in self.neutral_sources]
        if count > len(real):
            raise OptionError(
                f"add_neutral: {count} neutral samples asked for but only {len(real)} sequences are left without one."
            )
        picks = sorted(np.random.default_rng(seed).choice(len(real), size=count, replace=False).tolist())
        for index in picks:
            source = real[index]
            name = f"{source.sequence}{NEUTRAL_SUFFIX}"
            if name in self._names:
                raise OptionError(f"add_neutral: a sequence named {name!r} exists already; rename it.")
            self._names.add(name)
            self.samples.append(
                Sample(
                    name,
                    source.subject,
                    label,
                    np.repeat(source.landmarks[:1], self.frames, 0),
                    np.repeat(source.source_frames[:1], self.frames),
                    synthetic=True,
                    track=source.track,
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
            "faceless_frames": FACELESS_POLICY,
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
            tracks={s.track.id: s.track for s in self.samples if s.track is not None},
        )
