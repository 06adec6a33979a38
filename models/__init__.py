"""Models (installed as ``landmarkset.models``): the paper's temporal CNN, with a registry.

Needs torch. ``landmarkset.models.train`` cross-validates the TCN (subject-grouped or the paper's
protocol) and writes a run directory; its command (train-tcn), the stacked-image CNN, evaluation and
class activation maps are still to come (issue 6).
"""

from ._registry import get_model, list_models, register_model
from .tcn import TCN, count_parameters

__all__ = ["TCN", "count_parameters", "get_model", "list_models", "register_model"]
