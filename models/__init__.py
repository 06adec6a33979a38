"""Models (installed as ``landmarkset.models``; needs torch), in the shape of the data half:

- declarations: :class:`ModelSpec` and the registry (``spec``), the input kinds (``inputs``), the registered
  models (``tcn``, ``scn``), model files (``modelfile``) and predictions (``inference``);
- ``training``: settings, protocols, one model's fit, scores, :class:`TrainReport`, driver ``cross_validate``;
- ``evaluation``: a model on another set, the MEGC metric, :class:`EvaluationReport`, driver ``evaluate``;
- ``prediction``: a model slid over whole tracks, :class:`PredictionReport`, driver ``predict_tracks``;
- ``spotting``: micro- and macro-expression intervals in long videos, :class:`SpotReport`, driver
  ``spot_tracks`` (scored the MEGC way with a sheet);
- ``explain``: methods, faithfulness, post-processing, AU tables, figures, :class:`ExplainReport`, driver
  ``explain_dataset`` (docs/training.md, docs/explain.md).
"""

from .evaluation import EvaluationReport, evaluate
from .explain import (
    DEFAULT_METHOD,
    METHODS,
    ExplainReport,
    PostProcessing,
    attribute,
    explain_dataset,
    postprocess,
    quantile_postprocess,
)
from .inference import predict, predict_proba
from .inputs import CROPS, INPUT_KINDS, LANDMARKS, InputKind
from .modelfile import ModelRecord, load_model, save_model
from .prediction import PredictionReport, predict_tracks
from .scn import SCN
from .spec import ModelSpec, get_model, get_spec, list_models, register_model
from .spotting import SpotReport, spot_tracks
from .tcn import TCN, count_parameters
from .training import PROTOCOLS, TrainConfig, TrainReport, cross_validate

__all__ = [
    "CROPS",
    "DEFAULT_METHOD",
    "INPUT_KINDS",
    "LANDMARKS",
    "METHODS",
    "PROTOCOLS",
    "SCN",
    "TCN",
    "EvaluationReport",
    "ExplainReport",
    "InputKind",
    "ModelRecord",
    "ModelSpec",
    "PostProcessing",
    "PredictionReport",
    "SpotReport",
    "TrainConfig",
    "TrainReport",
    "attribute",
    "count_parameters",
    "cross_validate",
    "evaluate",
    "explain_dataset",
    "get_model",
    "get_spec",
    "list_models",
    "load_model",
    "postprocess",
    "predict",
    "predict_proba",
    "predict_tracks",
    "quantile_postprocess",
    "register_model",
    "save_model",
    "spot_tracks",
]
