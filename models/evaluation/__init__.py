"""The evaluation stage: a trained model scored on another built dataset (:func:`evaluate`), the MEGC
spotting metric (``megc``) and the typed :class:`EvaluationReport`."""

from .driver import EVALUATION_FILES, evaluate, megc_scores
from .megc import Interval, SpottingScore, interval_iou, spotting_score
from .report import EvaluationReport

__all__ = [
    "EVALUATION_FILES",
    "EvaluationReport",
    "Interval",
    "SpottingScore",
    "evaluate",
    "interval_iou",
    "megc_scores",
    "spotting_score",
]
