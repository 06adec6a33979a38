"""Trained spotters, scored leave-one-subject-out: which features a spotter reads, its per-frame model,
and the protocol that keeps the left-out subject out of every choice.

A spotter declares, in :data:`SPOTTERS`, the per-frame features it reads (landmark region motion, region
optical flow, or both) and whether it is trained. A trained one fits one per-frame classifier
(scikit-learn's HistGradientBoostingClassifier: frames inside any interval against the rest, the latter
subsampled to three per interval frame); its probability is the score curve, its intervals are the runs
of frames above a probability threshold, so their length follows the expression (the recipe's [peak - k,
peak + k] has one length per type, and a 0.15 s micro-expression inside a 0.4 s proposal cannot reach
IoU 0.5), and each is typed by its duration (micro under 0.5 s), as the MEGC types proposals. The
training-free baseline's curve is the mean region motion (eyes masked), its intervals the recipe's.

Protocol (:func:`evaluate_spotter`): a fold per subject. In each, the threshold (the recipe's ``p`` for
the baseline, the probability for a trained spotter) is chosen on the training subjects only: their
curves come from an inner leave-one-subject-out (each training subject scored by a model that never saw
it), and the threshold is the grid value with the best pooled F1 there. The left-out subject's videos are
then scored once, by the model fitted on all training subjects, with that threshold. Nothing about the
left-out subject takes part in fitting or in choosing the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np
from scipy.ndimage import uniform_filter1d

from landmarkset.errors import InputError, OptionError
from landmarkset.flow import REGION_FLOW, parse_lag
from landmarkset.track import Track

from ..evaluation.megc import KINDS, Interval, spotting_score
from .features import region_motion, spotting_score_curve
from .proposals import propose

__all__ = [
    "ANY",
    "MODEL_PREFIX",
    "P_GRID",
    "SPOTTERS",
    "FrameClassifier",
    "SpotterSpec",
    "VideoData",
    "evaluate_spotter",
    "fit_spotter",
    "frame_features",
    "frame_labels",
    "micro_limit",
    "runs_above",
    "spotter_spec",
]

P_GRID = (*(round(p, 2) for p in np.arange(0.05, 0.96, 0.05)), 0.97, 0.99)


@dataclass(frozen=True)
class SpotterSpec:
    """A spotter: the features it reads, whether it is trained, and what it is in one line."""

    name: str
    features: tuple[str, ...]  # "landmarks" (region motion), "flow" (the tracks' region_flow extra)
    trained: bool
    description: str


SPOTTERS: dict[str, SpotterSpec] = {
    spec.name: spec
    for spec in (
        SpotterSpec("baseline", ("landmarks",), False, "training-free: mean landmark region motion, eyes masked"),
        SpotterSpec("landmarks", ("landmarks",), True, "trained on landmark region motion"),
        SpotterSpec("flow", ("flow",), True, "trained on region optical flow"),
        SpotterSpec("both", ("landmarks", "flow"), True, "trained on landmark region motion and region flow"),
    )
}


MODEL_PREFIX = "model:"  # a registered model over landmark windows as a spotter: "model:tcn" (windows.py)


def spotter_spec(name: str) -> SpotterSpec:
    """The spotter ``name``: one of SPOTTERS, or ``model:NAME`` for a registered model over landmark windows;
    OptionError naming the choices otherwise."""
    if name.startswith(MODEL_PREFIX):
        from .windows import model_spotter_name

        model = model_spotter_name(name)
        return SpotterSpec(name, ("windows",), True, f"the registered model {model!r} over landmark windows")
    if name not in SPOTTERS:
        raise OptionError(
            f"unknown spotter {name!r}; spotters: {', '.join(SPOTTERS)}, or model:NAME (a registered model)"
        )
    return SPOTTERS[name]


class FrameClassifier:
    """A scikit-learn classifier over a video's per-frame features; ``curve`` is its per-frame probability."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def curve(self, video: VideoData) -> np.ndarray:
        return self.estimator.predict_proba(video.features)[:, 1]


def _context(values: np.ndarray, half: int) -> list[np.ndarray]:
    """``values`` (frames, n) at t, t - half and t + half, and averaged over 2 half + 1 frames."""
    shifted_back = np.vstack([np.full((half, values.shape[1]), np.nan), values[:-half]]) if half else values
    shifted_on = np.vstack([values[half:], np.full((half, values.shape[1]), np.nan)]) if half else values
    mean = uniform_filter1d(np.nan_to_num(values), size=2 * half + 1, axis=0, mode="nearest")
    return [values, shifted_back, shifted_on, mean]


def frame_features(track: Track, spec: SpotterSpec, ks: dict[str, int]) -> np.ndarray:
    """(frames, features) for ``spec``'s features of one track; InputError when the track lacks them."""
    if "windows" in spec.features:  # a model spotter reads the landmarks themselves (windows.py)
        return np.zeros((track.n_frames, 0))
    parts: list[np.ndarray] = []
    half = max(1, ks["micro"] // 2)
    if "landmarks" in spec.features:
        for kind in KINDS:
            parts += _context(region_motion(track, ks[kind]), half)
    if "flow" in spec.features:
        flow = track.extras.get(REGION_FLOW.name)
        if flow is None:
            raise InputError(
                f"track {track.id!r} has no region flow: extract it with -O region_flow=LAG (e.g. 40 frames at 200 "
                "fps, or 0.2s for videos)"
            )
        flow = flow.astype(np.float64)
        magnitude = np.linalg.norm(flow, axis=-1)
        parts += _context(magnitude, half)
        parts += _context(flow.reshape(len(flow), -1), half)  # the direction: a brow goes up, a lid down
        # Displacement over the macro window: the lag's flows chained (t - macro ... t in steps of the lag).
        lag = _flow_lag(track)
        steps = max(1, round(ks["macro"] / max(lag, 1)))
        chained = sum(np.roll(np.nan_to_num(flow), j * lag, axis=0) for j in range(steps))
        parts.append(np.linalg.norm(chained, axis=-1))
    return np.hstack(parts)


def _flow_lag(track: Track) -> int:
    """The frames the track's region flow spans (its recorded ``region_flow`` option)."""
    lag = parse_lag(track.backend_options.get("region_flow", "1"))
    if not lag.seconds:
        return int(lag.value)
    if not np.isfinite(track.fps) or track.fps <= 0:
        raise InputError(f"track {track.id!r}: its region flow lag is {lag} but it records no frame rate")
    return max(1, round(lag.value * track.fps))


def frame_labels(frames: int, intervals: list[Interval], kind: str) -> np.ndarray:
    """1 for the frames inside an interval of ``kind`` (1-based inclusive), else 0."""
    labels = np.zeros(frames, dtype=np.int64)
    for interval in intervals:
        if interval.kind == kind:
            labels[max(0, interval.start - 1) : min(frames, interval.end)] = 1
    return labels


NEGATIVES_PER_POSITIVE = 3  # frames outside the intervals kept per frame inside (a random draw)


def _classifier(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.1, random_state=seed)


def _balanced(y: np.ndarray, seed: int) -> np.ndarray:
    """Indices of every interval frame and NEGATIVES_PER_POSITIVE times as many others: interval frames are a
    few percent of a long video, and a fit on all frames would learn to say "no expression" everywhere."""
    rng = np.random.default_rng(seed)
    positive, negative = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    keep = min(len(negative), NEGATIVES_PER_POSITIVE * len(positive))
    return np.sort(np.concatenate([positive, rng.choice(negative, size=keep, replace=False)]))


@dataclass
class VideoData:
    """One video ready for a spotter: its id, subject, features, truth and windows."""

    video: str
    subject: str
    features: np.ndarray
    truth: list[Interval]
    ks: dict[str, int]
    track: Track = field(repr=False)


ANY = "any"  # a trained spotter's one pass: frames inside any interval, typed afterwards by duration
MICRO_LIMIT_SECONDS = 0.5
MICRO_WINDOW_SECONDS = 0.2  # what the micro window k stands for when a track has no frame rate


def _passes(spec: SpotterSpec) -> tuple[str, ...]:
    return KINDS if not spec.trained else (ANY,)


def micro_limit(video: VideoData) -> float:
    """Frames under which an interval is micro (0.5 s; from the micro window when the fps is unknown)."""
    fps = video.track.fps
    if not np.isfinite(fps) or fps <= 0:
        fps = video.ks["micro"] / MICRO_WINDOW_SECONDS
    return MICRO_LIMIT_SECONDS * fps


def _curves(spec: SpotterSpec, models: dict[str, Any], video: VideoData) -> dict[str, np.ndarray]:
    if not spec.trained:
        return {kind: spotting_score_curve(region_motion(video.track, video.ks[kind])) for kind in KINDS}
    return {ANY: models[ANY].curve(video)}


def fit_spotter(spec: SpotterSpec, videos: list[VideoData], seed: int) -> dict[str, Any]:
    """The per-frame classifier of a trained spotter fitted on ``videos`` ({ANY: classifier}; {} untrained)."""
    if not spec.trained:
        return {}
    X = np.vstack([v.features for v in videos])
    labels = [np.maximum(*(frame_labels(len(v.features), v.truth, kind) for kind in KINDS)) for v in videos]
    y = np.concatenate(labels)
    if y.min() == y.max():
        raise InputError("the training videos hold no interval: a spotter cannot be trained")
    if "windows" in spec.features:
        from .windows import WindowModel, model_spotter_name

        return {ANY: WindowModel(model_spotter_name(spec.name), seed).fit(videos, labels)}
    chosen = _balanced(y, seed)
    return {ANY: FrameClassifier(_classifier(seed).fit(X[chosen], y[chosen]))}


def runs_above(curve: np.ndarray, threshold: float, k: int) -> list[tuple[int, int]]:
    """Intervals (1-based, inclusive) where ``curve``, smoothed over k / 4 frames, is above ``threshold``;
    runs closer than k / 4 frames are one, and runs shorter than k / 4 frames are left out."""
    width = max(1, k // 4)
    smoothed = uniform_filter1d(np.nan_to_num(np.asarray(curve, dtype=np.float64)), size=width, mode="nearest")
    above = np.concatenate([[False], smoothed > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    runs: list[list[int]] = []
    for start, stop in zip(edges[::2], edges[1::2]):  # [start, stop) in 0-based frames
        if runs and start - runs[-1][1] < width:
            runs[-1][1] = stop
        else:
            runs.append([start, stop])
    return [(int(start) + 1, int(stop)) for start, stop in runs if stop - start >= width]


def _proposals(spec: SpotterSpec, curve: np.ndarray, video: VideoData, kind: str, setting: float) -> list[Interval]:
    """The recipe's peaks of pass ``kind`` (training-free: ``setting`` is p), or the runs above a probability
    (trained: ``setting`` is the threshold), each typed by its duration."""
    if not spec.trained:
        return [Interval(video.video, q.onset, q.offset, kind) for q in propose(curve, video.ks[kind], setting)]
    limit = micro_limit(video)
    return [
        Interval(video.video, start, end, "micro" if end - start + 1 < limit else "macro")
        for start, end in runs_above(curve, setting, video.ks["micro"])
    ]


def _best_setting(
    spec: SpotterSpec, curves: list[tuple[VideoData, dict[str, np.ndarray]]], kind: str
) -> tuple[float, float]:
    """The grid value with the best pooled F1 (of ``kind``, or overall for a trained spotter's one pass) on
    (video, curves) pairs, and that F1."""
    scored = "overall" if kind == ANY else kind
    truth = [i for video, _ in curves for i in video.truth if kind == ANY or i.kind == kind]
    best = (P_GRID[len(P_GRID) // 2], -1.0)
    for setting in P_GRID:
        found = [i for video, curve in curves for i in _proposals(spec, curve[kind], video, kind, setting)]
        f1 = spotting_score(truth, found)[scored].f1
        if f1 > best[1] + 1e-12:
            best = (setting, f1)
    return best


@dataclass
class SpotterEvaluation:
    """A spotter scored leave-one-subject-out: pooled MEGC figures, and each fold's choices."""

    spotter: str
    description: str
    megc: dict[str, dict[str, float]]
    folds: list[dict[str, Any]]
    proposals: list[Interval] = field(repr=False, default_factory=list)


def evaluate_spotter(
    name: str, videos: list[VideoData], *, seed: int = 0, on_fold: Optional[Callable[[], None]] = None
) -> SpotterEvaluation:
    """Leave-one-subject-out MEGC figures of spotter ``name`` on ``videos`` (see the module doc)."""
    spec = spotter_spec(name)
    subjects = sorted({v.subject for v in videos})
    if len(subjects) < 3:
        raise InputError(f"leave-one-subject-out needs at least 3 subjects (p is chosen on 2 or more); got {subjects}")
    folds, found = [], []
    for left_out in subjects:
        train = [v for v in videos if v.subject != left_out]
        test = [v for v in videos if v.subject == left_out]
        inner: list[tuple[VideoData, dict[str, np.ndarray]]] = []
        for inner_out in sorted({v.subject for v in train}):
            models = fit_spotter(spec, [v for v in train if v.subject != inner_out], seed)
            inner += [(v, _curves(spec, models, v)) for v in train if v.subject == inner_out]
        chosen = {kind: _best_setting(spec, inner, kind) for kind in _passes(spec)}
        models = fit_spotter(spec, train, seed)
        for video in test:
            curves = _curves(spec, models, video)
            for kind in _passes(spec):
                found += _proposals(spec, curves[kind], video, kind, chosen[kind][0])
        folds.append(
            {
                "test_subject": left_out,
                "training_subjects": sorted({v.subject for v in train}),
                **{
                    f"{'p' if not spec.trained else 'threshold'}_{kind}": float(chosen[kind][0])
                    for kind in _passes(spec)
                },
                **{f"inner_f1_{kind}": round(chosen[kind][1], 4) for kind in _passes(spec)},
            }
        )
        if on_fold is not None:
            on_fold()
    truth = [i for v in videos for i in v.truth]
    scores = {kind: score.as_dict() for kind, score in spotting_score(truth, found).items()}
    return SpotterEvaluation(name, spec.description, scores, folds, found)
