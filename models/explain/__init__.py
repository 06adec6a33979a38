"""The explain stage: attribution methods (Captum), faithfulness, post-processing, Action Unit tables,
figures, the typed :class:`ExplainReport`, and the driver :func:`explain_dataset` (docs/explain.md)."""

from .driver import TRUTH_FILE, explain_dataset, moved_landmarks
from .methods import DEFAULT_METHOD, METHODS, attribute, input_attributions
from .postprocess import PostProcessing, postprocess, quantile_postprocess
from .report import ExplainReport

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "TRUTH_FILE",
    "ExplainReport",
    "PostProcessing",
    "attribute",
    "explain_dataset",
    "input_attributions",
    "moved_landmarks",
    "postprocess",
    "quantile_postprocess",
]
