"""The prediction stage: a trained model slid over whole tracks (:func:`predict_tracks`), per-window and
per-frame class probabilities, a timeline per sequence and the typed :class:`PredictionReport`."""

from landmarkset.intervals import Span, parse_span

from .driver import PREDICTION_FILES, predict_tracks
from .report import PredictionReport, SequencePrediction

__all__ = ["PREDICTION_FILES", "PredictionReport", "SequencePrediction", "Span", "parse_span", "predict_tracks"]
