"""Models (installed as ``landmarkset.models``): the paper's TCN and SCN, with a registry (needs torch).

``landmarkset.models.train`` cross-validates them (subject-grouped or the paper's protocol) and writes a
run directory; ``landmarkset.models.evaluate`` scores a trained model on another set (docs/training.md).
"""

from ._registry import get_model, list_models, register_model
from .cam import explain, postprocess
from .scn import SCN
from .tcn import TCN, count_parameters

__all__ = ["SCN", "TCN", "count_parameters", "explain", "get_model", "list_models", "postprocess", "register_model"]
