"""Models (installed as ``landmarkset.models``): the paper's temporal CNN, with a registry.

Needs torch. Training, the stacked-image CNN and class activation maps arrive with later work.
"""

from ._registry import get_model, list_models, register_model
from .tcn import TCN, count_parameters

__all__ = ["TCN", "count_parameters", "get_model", "list_models", "register_model"]
