"""Spot, then recognise: each spotted interval classified by a recognition model over landmarks.

An interval's frames (1-based inclusive) become one sample of the model's frames by the one rule of
landmarkset.windows (frames spread evenly, faceless frames from their nearest face, no sample when fewer than
half have a face: such a proposal gets no class). Spot-then-recognise is scored by STRS as its reference code
computes it (:mod:`landmarkset.models.evaluation.strs`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from landmarkset.errors import OptionError
from landmarkset.intervals import Proposal
from landmarkset.io import TrackFile
from landmarkset.windows import FrameReader, window_samples

from ..inference import predict_proba
from ..modelfile import load_model

__all__ = ["load_recogniser", "reader_of_store", "recognise"]


def load_recogniser(path: str) -> tuple[Any, Any]:
    """A recognition model and its record; OptionError when its input cannot be cut from landmark tracks."""
    model, record = load_model(path)
    kind = record.spec.input
    if not kind.reads_tracks:
        raise OptionError(
            f"{path}: the {record.model!r} model takes {kind.name}, which are not in a track store; a recogniser of "
            "spotted intervals needs a model over landmarks"
        )
    return model, record


def reader_of_store(store: TrackFile) -> FrameReader:
    """A frame reader over an open store: only each interval's frames are read (long videos stream)."""

    def read(video: str, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        landmarks, valid, _ = store.frame_block(video, start, stop)
        return landmarks, valid

    return read


def recognise(proposals: list[Proposal], read: FrameReader, model: Any, record: Any) -> list[Proposal]:
    """``proposals`` with the model's class and its probability (no class where an interval gives no sample)."""
    windows = [(p.video, p.onset - 1, p.offset) for p in proposals]
    samples, usable = window_samples(read, windows, int(record.dimensions["frames"]))
    found = list(proposals)
    if usable.any():
        probabilities = predict_proba(model, record, samples[usable])
        for row, p in zip(np.flatnonzero(usable), probabilities):
            best = int(p.argmax())
            found[row] = dataclasses.replace(found[row], emotion=record.classes[best],
                                             emotion_probability=float(p[best]))  # fmt: skip
    return found
