"""The evaluation stage: a trained model scored on another built dataset (:func:`evaluate`), the MEGC
spotting metric (``megc``), STRS (``strs``) and the typed :class:`EvaluationReport`."""

from .driver import EVALUATION_FILES, evaluate, megc_scores
from .megc import SpottingScore, interval_iou, spotting_score
from .report import EvaluationReport
from .strs import StrsScore, strs_score

__all__ = [
    "EVALUATION_FILES",
    "EvaluationReport",
    "SpottingScore",
    "StrsScore",
    "evaluate",
    "interval_iou",
    "megc_scores",
    "spotting_score",
    "strs_score",
]
