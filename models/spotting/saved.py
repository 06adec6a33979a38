"""A trained spotter delivered to new videos: fitted on every training subject, its threshold the median
of the leave-one-subject-out folds' (each chosen on that fold's training subjects only), saved by
`landmarkset train-spotter` and applied by `landmarkset spot --spotter FILE`.

The file holds a scikit-learn classifier or a registered model's weights, so it is a pickle: like any
pickle, load only a file you made or trust (``load_spotter`` checks the format and version before using
what it read). It records the windows the features were computed with, the region-flow lag of the
training tracks (a flow spotter refuses tracks of another lag: their features mean something else) and
what it was trained and scored on.
"""

from __future__ import annotations

import math
import os
import pickle
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from landmarkset.errors import InputError, OptionError
from landmarkset.track import Track

from ..evaluation.megc import KINDS, Interval
from ..prediction.driver import Span
from .trained import SpotterSpec, VideoData, frame_features, micro_limit, runs_above, spotter_spec

__all__ = ["SPOTTER_FORMAT", "TrainedSpotter", "load_spotter", "save_spotter"]

SPOTTER_FORMAT = "landmarkset-spotter"
SPOTTER_FORMAT_VERSION = 1


@dataclass
class TrainedSpotter:
    """A fitted per-frame spotter and everything needed to apply it as it was scored."""

    spotter: str  # its name in SPOTTERS: the features it reads
    classifier: Any = field(repr=False)
    threshold: float  # probability above which a frame is inside an expression
    windows: dict[str, tuple[float, bool]]  # k per type: (value, in seconds)
    flow_lag: Optional[str]  # the training tracks' region_flow option (flow features only)
    trained_on: dict[str, Any] = field(default_factory=dict)  # tracks, sheet, videos, subjects, LOSO figures

    @property
    def spec(self) -> SpotterSpec:
        return spotter_spec(self.spotter)

    def spans(self) -> dict[str, Span]:
        return {kind: Span(value, seconds=seconds) for kind, (value, seconds) in self.windows.items()}

    def video(self, track: Track, subject: str = "") -> VideoData:
        """``track`` ready for this spotter; InputError when its features cannot be made as in training."""
        if "flow" in self.spec.features:
            lag = track.backend_options.get("region_flow")
            if lag is not None and str(lag) != str(self.flow_lag):
                raise InputError(
                    f"track {track.id!r} has region flow over {lag}, the spotter was trained on {self.flow_lag}: "
                    f"extract with -O region_flow={self.flow_lag}"
                )
        ks = {kind: span.frames(track.fps) for kind, span in self.spans().items()}
        return VideoData(track.id, subject, frame_features(track, self.spec, ks), [], ks, track)

    def curve(self, video: VideoData) -> np.ndarray:
        """The per-frame probability of being inside an expression."""
        return self.classifier.curve(video)

    def intervals(self, video: VideoData, curve: np.ndarray) -> list[Interval]:
        """Runs above the threshold, typed by duration (micro under 0.5 s), as in the scoring."""
        limit = micro_limit(video)
        return [
            Interval(video.video, start, end, "micro" if end - start + 1 < limit else "macro")
            for start, end in runs_above(curve, self.threshold, video.ks["micro"])
        ]


def save_spotter(path: str, spotter: TrainedSpotter) -> str:
    """Write ``spotter`` to ``path`` (through a temporary file: a crash leaves no half-written file)."""
    content = {
        "format": SPOTTER_FORMAT,
        "format_version": SPOTTER_FORMAT_VERSION,
        "spotter": spotter.spotter,
        "classifier": spotter.classifier,
        "threshold": float(spotter.threshold),
        "windows": {kind: [float(v), bool(s)] for kind, (v, s) in spotter.windows.items()},
        "flow_lag": spotter.flow_lag,
        "trained_on": spotter.trained_on,
    }
    partial = f"{path}.part"
    with open(partial, "wb") as handle:
        pickle.dump(content, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    return path


def load_spotter(path: str) -> TrainedSpotter:
    """A spotter file written by :func:`save_spotter`; OptionError in one line for anything else."""
    try:
        with open(path, "rb") as handle:
            content = pickle.load(handle)  # a spotter file is a pickle: see the module doc
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as error:
        raise OptionError(f"{path}: not a spotter file of landmarkset train-spotter ({error})") from None
    if not isinstance(content, dict) or content.get("format") != SPOTTER_FORMAT:
        raise OptionError(f"{path}: not a spotter file of landmarkset train-spotter")
    if content.get("format_version") != SPOTTER_FORMAT_VERSION:
        raise OptionError(
            f"{path}: spotter format {content.get('format_version')}, this landmarkset reads "
            f"{SPOTTER_FORMAT_VERSION}: train it again with landmarkset train-spotter"
        )
    try:
        known = spotter_spec(str(content.get("spotter"))).trained
    except OptionError as error:
        raise OptionError(f"{path}: {error}") from None
    if not known:
        raise OptionError(f"{path}: {content.get('spotter')!r} is not a trained spotter")
    windows = {kind: (float(v), bool(s)) for kind, (v, s) in content["windows"].items()}
    if set(windows) != set(KINDS) or not all(math.isfinite(v) and v > 0 for v, _ in windows.values()):
        raise OptionError(f"{path}: its windows {content['windows']} are not a micro and a macro window")
    return TrainedSpotter(
        content["spotter"],
        content["classifier"],
        float(content["threshold"]),
        windows,
        content.get("flow_lag"),
        dict(content.get("trained_on", {})),
    )
