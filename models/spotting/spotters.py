"""Spotters, declared like models: each is a class that says what it reads and how it turns a video into
intervals; `spot`, `train-spotter`, the leave-one-subject-out protocol and the spotter file read the declaration.

A spotter (:class:`Spotter`) declares

- ``name`` and ``description``;
- ``passes``: the score curves it makes per video (the recipe: one per expression type; a trained spotter: one
  for any expression, its intervals typed afterwards by their duration);
- ``setting``: what is chosen per pass on training subjects (the recipe's ``p``, a trained spotter's probability
  ``threshold``) from ``grid``; ``trained``: whether :meth:`~Spotter.fit` learns from annotated videos;

and implements ``features`` (what it reads of a stored track), ``fit``, ``curves``, ``intervals`` and, when
trained, ``state`` / ``load_state`` (what its file holds: plain settings and members that load without
running code, see :mod:`.files`).

Built-in spotters are registered through the entry-point group ``landmarkset.spotters``, as a package's are;
``model:NAME`` makes any registered model over landmarks a spotter (:class:`ModelSpotter`).
"""

from __future__ import annotations

import importlib.metadata
import io
import math
from typing import Any, Optional

import numpy as np

from landmarkset.errors import InputError, OptionError
from landmarkset.intervals import MICRO, TYPES, Proposal, type_by_duration
from landmarkset.io import TrackFile
from landmarkset.regions import EYE_REGIONS, SPOT_REGIONS
from landmarkset.windows import window_samples

from .features import FRAME_FEATURES, streamed_score_curves
from .recipe import recipe_peaks, runs_above, smoothed_curve, threshold_of
from .videos import SpotVideo

__all__ = [
    "ANY",
    "ENTRY_POINTS",
    "MODEL_PREFIX",
    "P_GRID",
    "BaselineSpotter",
    "FrameSpotter",
    "LandmarkMotionSpotter",
    "ModelSpotter",
    "MotionAndFlowSpotter",
    "RegionFlowSpotter",
    "Spotter",
    "frame_labels",
    "get_spotter",
    "list_spotters",
]

ENTRY_POINTS = "landmarkset.spotters"
MODEL_PREFIX = "model:"  # "model:tcn": a registered model over landmark windows as a spotter
ANY = "any"  # a trained spotter's one pass: frames inside any interval, typed afterwards by duration
P_GRID = (*(round(p, 2) for p in np.arange(0.05, 0.96, 0.05)), 0.97, 0.99)


def frame_labels(video: SpotVideo) -> np.ndarray:
    """1 for the frames of ``video`` inside any of its annotated intervals (1-based inclusive), else 0."""
    labels = np.zeros(video.frames, dtype=np.int64)
    for interval in video.truth:
        labels[max(0, interval.onset - 1) : min(video.frames, interval.offset)] = 1
    return labels


def _proposal(video: SpotVideo, onset: int, offset: int, score: float) -> Proposal:
    """An interval of ``video``, typed by its duration (landmarkset.intervals' one rule)."""
    kind = type_by_duration(onset, offset, video.micro_limit)
    return Proposal(video.video, onset, offset, kind, subject=video.subject, score=score)


class Spotter:
    """The declaration and behaviour of a spotter (see the module doc); subclass it and register the class."""

    name: str = ""
    description: str = ""
    trained: bool = False
    passes: tuple[str, ...] = (ANY,)
    setting: str = "threshold"
    grid: tuple[float, ...] = P_GRID

    def features(self, store: TrackFile, track_id: str, ks: dict[str, int]) -> np.ndarray:
        """(frames, n) of what this spotter reads of a stored track; InputError when the track lacks it."""
        raise NotImplementedError

    def fit(self, videos: list[SpotVideo], seed: int = 0) -> Spotter:
        """This spotter fitted on annotated ``videos`` (a training-free one returns itself)."""
        return self

    def curves(self, video: SpotVideo) -> dict[str, np.ndarray]:
        """One per-frame curve per pass."""
        raise NotImplementedError

    def intervals(self, video: SpotVideo, curves: dict[str, np.ndarray], settings: dict[str, float]) -> list[Proposal]:
        """The proposals of ``video`` at ``settings`` (a value per pass): runs above the threshold."""
        (curve,) = curves.values()
        (threshold,) = settings.values()
        return [_proposal(video, onset, offset, float(np.nanmax(curve[onset - 1 : offset])))
                for onset, offset in runs_above(curve, threshold, video.ks[MICRO])]  # fmt: skip

    def shown(
        self, video: SpotVideo, curves: dict[str, np.ndarray], settings: dict[str, float]
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The curves and thresholds a figure of ``video`` draws."""
        return curves, settings

    def state(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """What a spotter file keeps of a fitted spotter: plain settings (JSON) and named binary members."""
        return {}, {}

    def load_state(self, settings: dict[str, Any], members: dict[str, bytes], origin: str) -> Spotter:
        """A fitted spotter from :meth:`state`'s output (read from the file ``origin``); OptionError if unusable."""
        return self


class BaselineSpotter(Spotter):
    """The training-free recipe of the field's public spotters on landmark region motion (features.py), per
    expression type at its own window k; ``masked`` regions are left out of the score (the eyes by default:
    blinks are the main false positives)."""

    name = "baseline"
    description = "training-free: mean landmark region motion, eyes masked"
    passes = TYPES
    setting = "p"

    def __init__(self, masked: Optional[tuple[str, ...]] = None) -> None:
        self.masked = EYE_REGIONS if masked is None else tuple(masked)
        unknown = sorted(set(self.masked) - set(SPOT_REGIONS))
        if unknown:
            raise OptionError(f"unknown region {unknown[0]!r} to mask; regions: {', '.join(SPOT_REGIONS)}")

    def features(self, store: TrackFile, track_id: str, ks: dict[str, int]) -> np.ndarray:
        curves = streamed_score_curves(store, track_id, {kind: ks[kind] for kind in self.passes}, self.masked)
        return np.column_stack([curves[kind] for kind in self.passes])

    def curves(self, video: SpotVideo) -> dict[str, np.ndarray]:
        return {kind: video.features[:, column] for column, kind in enumerate(self.passes)}

    def intervals(self, video: SpotVideo, curves: dict[str, np.ndarray], settings: dict[str, float]) -> list[Proposal]:
        found = [
            _proposal(video, peak.onset, peak.offset, peak.score)  # the passes given (one, to choose its p)
            for kind in curves
            for peak in recipe_peaks(curves[kind], video.ks[kind], settings[kind])
        ]
        return sorted(found, key=lambda proposal: (proposal.onset, proposal.offset))  # fmt: skip

    def shown(
        self, video: SpotVideo, curves: dict[str, np.ndarray], settings: dict[str, float]
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        smoothed = {kind: smoothed_curve(curves[kind], video.ks[kind]) for kind in self.passes}
        return smoothed, {kind: threshold_of(smoothed[kind], settings[kind]) for kind in self.passes}


NEGATIVES_PER_POSITIVE = 3  # frames outside the intervals kept per frame inside (a random draw)
# The one scikit-learn type a frame spotter's file may build besides scikit-learn's estimators (skops.io refuses
# any other it does not trust by default).
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def _balanced(y: np.ndarray, seed: int) -> np.ndarray:
    """Indices of every interval frame and NEGATIVES_PER_POSITIVE times as many others: interval frames are a
    few percent of a long video, and a fit on all frames would learn to say "no expression" everywhere."""
    rng = np.random.default_rng(seed)
    positive, negative = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    keep = min(len(negative), NEGATIVES_PER_POSITIVE * len(positive))
    return np.sort(np.concatenate([positive, rng.choice(negative, size=keep, replace=False)]))


def _labels(videos: list[SpotVideo]) -> list[np.ndarray]:
    labels = [frame_labels(video) for video in videos]
    if not any(y.any() for y in labels):
        raise InputError("the training videos hold no interval: a spotter cannot be trained")
    return labels


class FrameSpotter(Spotter):
    """One per-frame classifier (scikit-learn's HistGradientBoostingClassifier: frames inside any interval
    against the others, subsampled to three per interval frame) over the named ``feature_names`` of
    features.FRAME_FEATURES; its probability is the curve, the runs above a threshold its intervals."""

    trained = True
    feature_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.estimator: Any = None
        self.flow_lag: Optional[str] = None  # the training tracks' region-flow lag, when it reads flow

    def features(self, store: TrackFile, track_id: str, ks: dict[str, int]) -> np.ndarray:
        track = store[track_id]
        if "flow" in self.feature_names and self.flow_lag is not None:
            lag = track.backend_options.get("region_flow")
            if lag is not None and str(lag) != self.flow_lag:
                raise InputError(
                    f"track {track_id!r} has region flow over {lag}, the spotter was trained on {self.flow_lag}: "
                    f"extract with -O region_flow={self.flow_lag}"
                )
        return np.hstack([FRAME_FEATURES[name](track, ks) for name in self.feature_names])

    def fit(self, videos: list[SpotVideo], seed: int = 0) -> Spotter:
        from sklearn.ensemble import HistGradientBoostingClassifier

        y = np.concatenate(_labels(videos))
        chosen = _balanced(y, seed)
        fitted = type(self)()
        x = np.vstack([video.features for video in videos])
        fitted.estimator = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, random_state=seed)
        fitted.estimator.fit(x[chosen], y[chosen])
        lags = {video.source.get("region_flow") for video in videos}
        fitted.flow_lag = lags.pop() if "flow" in self.feature_names and len(lags) == 1 else None
        return fitted

    def curves(self, video: SpotVideo) -> dict[str, np.ndarray]:
        return {ANY: self.estimator.predict_proba(video.features)[:, 1]}

    def state(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        import skops.io

        return {"flow_lag": self.flow_lag}, {"classifier.skops": skops.io.dumps(self.estimator)}

    def load_state(self, settings: dict[str, Any], members: dict[str, bytes], origin: str) -> Spotter:
        import skops.io

        data = members.get("classifier.skops")
        if data is None:
            raise OptionError(f"{origin}: the spotter file holds no classifier.skops")
        try:
            estimator = skops.io.loads(data, trusted=TRUSTED_TYPES)  # builds only trusted types, runs no code
        except Exception as error:  # skops raises many types for a file it refuses or cannot read
            raise OptionError(f"{origin}: its classifier cannot be read safely ({type(error).__name__})") from None
        if not callable(getattr(estimator, "predict_proba", None)):
            raise OptionError(f"{origin}: its classifier is a {type(estimator).__name__}, not a classifier")
        fitted = type(self)()
        fitted.estimator = estimator
        lag = settings.get("flow_lag")
        fitted.flow_lag = None if lag is None else str(lag)
        return fitted


class LandmarkMotionSpotter(FrameSpotter):
    name = "landmarks"
    description = "trained on landmark region motion"
    feature_names = ("landmarks",)


class RegionFlowSpotter(FrameSpotter):
    name = "flow"
    description = "trained on region optical flow"
    feature_names = ("flow",)


class MotionAndFlowSpotter(FrameSpotter):
    name = "both"
    description = "trained on landmark region motion and region flow"
    feature_names = ("landmarks", "flow")


WINDOW_FRAMES = 20  # a model spotter's frames per window (the paper's sample length)
STEPS = 300  # optimiser steps per fit (a spotter is fitted once per subject and inner subject)
MIN_EPOCHS = 5
WINDOWS_PER_STRIDE = 4  # windows every k_micro / 4 frames
WINDOW_CLASSES = ["none", "expression"]


class ModelSpotter(Spotter):
    """A registered model over landmarks as a spotter, trained through its own declaration (the training
    stage's one job) to tell landmark windows centred on a frame inside an annotated interval from the others:
    windows of 2 k_micro + 1 frames every k_micro / 4 frames, made into samples as a dataset's are
    (landmarkset.windows), negatives subsampled to three per positive, STEPS optimiser steps (at least
    MIN_EPOCHS epochs) with early stopping on a split of the training windows. Its probability at the window
    centres, interpolated between them, is its curve."""

    trained = True
    epochs: Optional[int] = None  # None: STEPS steps, at least MIN_EPOCHS epochs (tests set a fixed count)

    def __init__(self, model: str) -> None:
        from ..spec import get_spec

        spec = get_spec(model)  # an unknown name lists the registered models
        if not spec.input.reads_tracks:
            raise OptionError(
                f"the {model!r} model takes {spec.input.name}, which are not in a track store: a spotter needs a "
                "model over landmarks"
            )
        self.model_name, self.spec = model, spec
        self.name = f"{MODEL_PREFIX}{model}"
        self.description = f"the registered model {model!r} over landmark windows"
        self.network: Any = None
        self.record: Any = None

    def features(self, store: TrackFile, track_id: str, ks: dict[str, int]) -> np.ndarray:
        landmarks, valid, _ = store.frame_block(track_id, 0, store.frame_count(track_id))
        return np.hstack([landmarks.reshape(len(landmarks), -1), valid[:, None]]).astype(np.float32)

    @staticmethod
    def _stride(video: SpotVideo) -> int:
        return max(1, video.ks[MICRO] // WINDOWS_PER_STRIDE)

    @staticmethod
    def _samples(videos: list[SpotVideo], centres: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Samples of the windows of 2 k_micro + 1 frames around each centre (0-based), and which have one."""
        by_name = {video.video: video.features for video in videos}

        def read(name: str, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
            part = by_name[name][start:stop]
            return part[:, :-1].reshape(len(part), 68, 2), part[:, -1] > 0.5

        windows = [(video.video, int(c) - video.ks[MICRO], int(c) + video.ks[MICRO] + 1)
                   for video, mine in zip(videos, centres) for c in mine]  # fmt: skip
        return window_samples(read, windows, WINDOW_FRAMES)

    def fit(self, videos: list[SpotVideo], seed: int = 0) -> Spotter:
        from dataclasses import replace

        from ..training.config import TrainConfig, resolve_config, training_budget
        from ..training.fitting import seed_everything
        from ..training.job import TrainingJob

        rng = np.random.default_rng(seed)
        centres, labels = [], []
        for video, y in zip(videos, _labels(videos)):
            mine = np.arange(0, video.frames, self._stride(video))
            positive, negative = mine[y[mine] == 1], mine[y[mine] == 0]
            keep = min(len(negative), NEGATIVES_PER_POSITIVE * max(len(positive), 1))
            chosen = np.sort(np.concatenate([positive, rng.choice(negative, size=keep, replace=False)]))
            centres.append(chosen)
            labels.append(y[chosen])
        x, usable = self._samples(videos, centres)
        y = np.concatenate(labels)[usable]
        x = x[usable]
        if len(np.unique(y)) < 2:
            raise InputError("the training videos hold no interval with a face: a model spotter cannot be trained")
        order = rng.permutation(len(x))
        held = order[: max(2, len(x) // 7)]  # an inner split for early stopping, inside the training subjects
        kept = order[len(held) :]
        config = resolve_config(self.spec, TrainConfig(seed=seed, steps=STEPS))
        # STEPS optimiser steps, at least MIN_EPOCHS epochs: the "at least 30 epochs" of small datasets would be
        # thousands of steps on the windows of long videos
        per_epoch = training_budget(replace(config, epochs=1), len(kept)).steps_per_epoch
        epochs = self.epochs or max(MIN_EPOCHS, math.ceil(STEPS / per_epoch))
        budget = training_budget(replace(config, epochs=epochs), len(kept))
        job = TrainingJob(self.spec, x, config, list(WINDOW_CLASSES))
        seed_everything(seed)
        fitted = ModelSpotter(self.model_name)
        fitted.network = job.train(x[kept], y[kept], x[held], y[held], budget).model.eval()
        fitted.record = job.record()
        return fitted

    def curves(self, video: SpotVideo) -> dict[str, np.ndarray]:
        from ..inference import predict_proba

        centres = np.arange(0, video.frames, self._stride(video))
        x, usable = self._samples([video], [centres])
        probability = np.zeros(len(centres))
        if usable.any():
            probability[usable] = predict_proba(self.network, self.record, x[usable])[:, 1]
        return {ANY: np.interp(np.arange(video.frames), centres, probability)}

    def state(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        from ..modelfile import save_model

        buffer = io.BytesIO()
        save_model(buffer, self.network, self.record)
        return {}, {"model.pt": buffer.getvalue()}

    def load_state(self, settings: dict[str, Any], members: dict[str, bytes], origin: str) -> Spotter:
        from ..modelfile import load_model

        data = members.get("model.pt")
        if data is None:
            raise OptionError(f"{origin}: the spotter file holds no model.pt")
        try:
            network, record = load_model(f"{origin} (its model.pt)", data=io.BytesIO(data))  # weights only
        except InputError as error:
            raise OptionError(str(error)) from None
        if record.model != self.model_name or list(record.classes) != WINDOW_CLASSES:
            raise OptionError(f"{origin}: its model.pt is not a {self.name} spotter's model")
        fitted = ModelSpotter(self.model_name)
        fitted.network, fitted.record = network, record
        return fitted


_REGISTERED: dict[str, type[Spotter]] = {}


def _registered() -> dict[str, type[Spotter]]:
    """Spotter classes by name, from the entry-point group (landmarkset's own first); read once."""
    if not _REGISTERED:
        ours_first = lambda entry: (entry.dist is None or entry.dist.name != "landmarkset", entry.name)  # noqa: E731
        entries = sorted(importlib.metadata.entry_points(group=ENTRY_POINTS), key=ours_first)
        for entry in entries:
            if entry.name in _REGISTERED:
                continue  # landmarkset's own names win
            spotter_class = entry.load()
            if not (isinstance(spotter_class, type) and issubclass(spotter_class, Spotter)):
                raise OptionError(f"the spotter {entry.name!r} ({entry.value}) is not a Spotter subclass")
            _REGISTERED[entry.name] = spotter_class
    return _REGISTERED


def list_spotters() -> list[str]:
    """The registered spotters' names (``model:NAME`` besides them, for any registered model over landmarks)."""
    return list(_registered())


def get_spotter(name: str, **options: Any) -> Spotter:
    """A new (unfitted) spotter ``name``; OptionError naming the choices otherwise."""
    if name.startswith(MODEL_PREFIX):
        return ModelSpotter(name[len(MODEL_PREFIX) :])
    found = _registered()
    if name not in found:
        raise OptionError(f"unknown spotter {name!r}; spotters: {', '.join(found)}, or model:NAME (a registered model)")
    return found[name](**options)
