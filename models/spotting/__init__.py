"""Spotting: where in a long video the face makes an expression (micro or macro), scored the MEGC way.

- ``spotters``: the spotters, declared like models (what each reads, how it turns a video into intervals),
  and their registry; ``features``: what they read; ``recipe``: from a curve to intervals;
- ``videos``: a stored track made ready for a spotter; ``protocol``: leave-one-subject-out scoring;
- ``driver``: :func:`spot_tracks` (`landmarkset spot`); ``study``: :func:`train_spotters` (`train-spotter`);
- ``files``: the delivered spotter file (no code runs when it is opened); ``recognise``: spot, then recognise;
- ``report`` and ``figures``: spot's typed result and its score curves.

Intervals, their types and spans are landmarkset.intervals'; the metrics are landmarkset.models.evaluation's.
"""

from .driver import DEFAULT_WINDOWS, SPOT_FILES, spot_tracks
from .features import region_motion, spotting_score_curve
from .files import DeliveredSpotter, load_spotter, save_spotter
from .protocol import SpotterEvaluation, evaluate_spotter
from .report import SpotReport, VideoSpots
from .spotters import ModelSpotter, Spotter, get_spotter, list_spotters
from .study import DEFAULT_SPOTTERS, SpotterResult, SpotterStudy, train_spotters
from .videos import SpotVideo, load_video

__all__ = [
    "DEFAULT_SPOTTERS",
    "DEFAULT_WINDOWS",
    "SPOT_FILES",
    "DeliveredSpotter",
    "ModelSpotter",
    "SpotReport",
    "SpotVideo",
    "Spotter",
    "SpotterEvaluation",
    "SpotterResult",
    "SpotterStudy",
    "VideoSpots",
    "evaluate_spotter",
    "get_spotter",
    "list_spotters",
    "load_spotter",
    "load_video",
    "region_motion",
    "save_spotter",
    "spot_tracks",
    "spotting_score_curve",
    "train_spotters",
]
