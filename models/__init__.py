"""Models (installed as ``landmarkset.models``; needs torch): the paper's TCN and SCN, declared by a
:class:`ModelSpec` and registered by name, their training, inference, model files and explanations.

``landmarkset.models.train`` cross-validates any registered model; ``landmarkset.models.evaluate`` scores
one on another set; ``landmarkset.models.explain`` explains its predictions (docs/training.md,
docs/explain.md).
"""

from .attribution import DEFAULT_METHOD, METHODS, attribute
from .inputs import CROPS, INPUT_KINDS, LANDMARKS
from .modelfile import ModelRecord, load_model, save_model
from .postprocess import postprocess, quantile_postprocess
from .scn import SCN
from .spec import ModelSpec, get_model, get_spec, list_models, register_model
from .tcn import TCN, count_parameters

__all__ = [
    "CROPS",
    "DEFAULT_METHOD",
    "INPUT_KINDS",
    "LANDMARKS",
    "METHODS",
    "SCN",
    "TCN",
    "ModelRecord",
    "ModelSpec",
    "attribute",
    "count_parameters",
    "get_model",
    "get_spec",
    "list_models",
    "load_model",
    "postprocess",
    "quantile_postprocess",
    "register_model",
    "save_model",
]
