"""A registered model over landmark windows as a spotter (`train-spotter --spotter model:NAME`).

Any model whose input kind reads track stores (the TCN, or one a package registers) can spot: it is
trained, through its own declaration (arguments, preprocessing, augmentation), to tell windows centred on
a frame inside an annotated interval from the others, and its probability, computed every ``stride``
frames and interpolated between them, is the spotter's per-frame curve. A window spans 2 k_micro + 1
frames around its centre and is resampled to the model's frames as dataset samples are (frames without a
face take the nearest frame with one; a window with none scores 0). The protocol around it is every
spotter's (trained.evaluate_spotter): thresholds chosen on the training subjects only.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from landmarkset.errors import InputError, OptionError

from ..evaluation.megc import Interval
from ..inference import network_input, predict_proba
from ..modelfile import ModelRecord
from ..spec import get_model, get_spec
from ..training.config import TrainConfig, resolve_config, steps_per_epoch
from ..training.fitting import fit, seed_everything
from .recognise import interval_samples, reader_of_tracks

__all__ = ["EPOCHS", "STEPS", "WINDOW_FRAMES", "WindowModel", "model_spotter_name"]

WINDOW_FRAMES = 20  # the model's frames per window (the paper's sample length)
STEPS = 300  # optimiser steps per fit (a spotter is fitted once per subject and inner subject)
EPOCHS: Optional[int] = None  # None: STEPS steps, at least MIN_EPOCHS epochs
MIN_EPOCHS = 5
WINDOWS_PER_STRIDE = 4  # windows every k_micro / 4 frames
NEGATIVES_PER_POSITIVE = 3
CLASSES = ["none", "expression"]


def model_spotter_name(name: str) -> str:
    """The registered model of a ``model:NAME`` spotter; OptionError when it cannot read landmark tracks."""
    model = name.split(":", 1)[1]
    spec = get_spec(model)  # an unknown name lists the registered models
    if not spec.input.reads_tracks:
        raise OptionError(
            f"the {model!r} model takes {spec.input.name}, which are not in a track store: a spotter needs a model "
            "over landmarks"
        )
    return model


def _centres(frames: int, stride: int) -> np.ndarray:
    return np.arange(0, frames, stride)


def _windows(videos: list[Any], centres: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(N, WINDOW_FRAMES, 68, 2) landmark windows of 2 k_micro + 1 frames around each centre (0-based), and
    which have a face (the interval's kind is unused: any will do)."""
    tracks = {video.video: video.track for video in videos}
    intervals = [
        Interval(video.video, int(c) + 1 - video.ks["micro"], int(c) + 1 + video.ks["micro"], "micro")
        for video, mine in zip(videos, centres)
        for c in mine
    ]
    return interval_samples(reader_of_tracks(tracks), intervals, WINDOW_FRAMES)


class WindowModel:
    """A registered model trained on landmark windows; ``curve(video)`` is its per-frame probability."""

    def __init__(self, model: str, seed: int = 0, steps: Optional[int] = None) -> None:
        self.model_name, self.seed, self.steps = model, seed, steps or STEPS
        self.spec = get_spec(model)
        self.network: Any = None
        self.record: Any = None

    def fit(self, videos: list[Any], labels: list[np.ndarray]) -> WindowModel:
        """Train on windows centred every stride frames of ``videos``, labelled by ``labels`` (1 inside an
        interval), the negatives subsampled to NEGATIVES_PER_POSITIVE per positive."""
        rng = np.random.default_rng(self.seed)
        centres = []
        for video, y in zip(videos, labels):
            mine = _centres(len(y), self._stride(video))
            positive, negative = mine[y[mine] == 1], mine[y[mine] == 0]
            keep = min(len(negative), NEGATIVES_PER_POSITIVE * max(len(positive), 1))
            centres.append(np.sort(np.concatenate([positive, rng.choice(negative, size=keep, replace=False)])))
        x, usable = _windows(videos, centres)
        y = np.concatenate([labels_of[c] for labels_of, c in zip(labels, centres)])[usable]
        x = x[usable]
        if len(np.unique(y)) < 2:
            raise InputError("the training videos hold no interval with a face: a model spotter cannot be trained")
        order = rng.permutation(len(x))
        held = order[: max(2, len(x) // 7)]  # an inner split for early stopping, inside the training subjects
        kept = order[len(held) :]
        # STEPS optimiser steps, at least MIN_EPOCHS epochs: the "at least 30 epochs" of small datasets would be
        # thousands of steps on the windows of long videos
        epochs = EPOCHS or max(MIN_EPOCHS, math.ceil(self.steps / steps_per_epoch(len(kept), TrainConfig.batch_size)))
        config = resolve_config(self.spec, TrainConfig(seed=self.seed, steps=self.steps, epochs=epochs))
        arguments = self.spec.arguments(self.spec.input.dimensions(x), len(CLASSES))
        seed_everything(self.seed)
        network = get_model(self.model_name, **arguments)
        augmenter = self.spec.input.augmenter(jitter=config.jitter) if config.augment else None
        fitted = fit(
            network,
            lambda samples: network_input(self.spec, config.preprocessing, samples),
            x[kept],
            y[kept],
            x[held],
            y[held],
            config,
            None,
            augmenter,
        )
        self.network = fitted.model.eval()
        self.record = ModelRecord(
            model=self.model_name,
            arguments=arguments,
            classes=list(CLASSES),
            input={
                "kind": self.spec.input.name,
                "preprocessing": config.preprocessing,
                "dimensions": self.spec.input.dimensions(x),
            },
        )
        return self

    def curve(self, video: Any) -> np.ndarray:
        """P(expression) for every frame of ``video``: computed every stride frames, interpolated between."""
        frames = len(video.features)
        centres = _centres(frames, self._stride(video))
        x, usable = _windows([video], [centres])
        probability = np.zeros(len(centres))
        if usable.any():
            probability[usable] = predict_proba(self.network, self.record, x[usable])[:, 1]
        return np.interp(np.arange(frames), centres, probability)

    @staticmethod
    def _stride(video: Any) -> int:
        return max(1, video.ks["micro"] // WINDOWS_PER_STRIDE)

    def __getstate__(self) -> dict[str, Any]:  # saved spotters: the weights, not the live module
        state = dict(self.__dict__)
        if self.network is not None:
            state["network"] = {key: value.cpu() for key, value in self.network.state_dict().items()}
        state.pop("spec", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.spec = get_spec(self.model_name)
        if isinstance(self.network, dict):
            network = get_model(self.model_name, **self.record.arguments)
            network.load_state_dict(self.network)
            self.network = network.eval()
