"""What a model declares about itself, read by training, evaluation, explanation and the CLI.

A model class sets ``spec = ModelSpec(...)`` and is registered with :func:`register_model`; nothing else
in landmarkset knows model names. The declaration holds:

- ``input``: the kind of samples it takes (:data:`~landmarkset.models.inputs.LANDMARKS` or ``CROPS``), and so
  how they are read, preprocessed, augmented and explained;
- ``arguments``: the constructor arguments for data of given dimensions and number of classes;
- ``layout``: prepared input (the kind's layout) -> the network's own input;
- ``training``: the paper's training defaults for it (``TrainConfig`` fields, e.g. momentum);
- ``layer`` and ``layer_axes``: the layer whose activations layer methods (Grad-CAM) use, and what its
  spatial dimensions run over, named like the input's map axes (``None``: the model has no such layer).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
from torch import nn

from landmarkset.errors import OptionError

from .inputs import InputKind

ENTRY_POINT_GROUP = "landmarkset.models"


def _same(x: torch.Tensor) -> torch.Tensor:
    return x


@dataclass(frozen=True)
class ModelSpec:
    name: str
    input: InputKind
    arguments: Callable[[dict[str, int], int], dict[str, Any]]
    description: str = ""
    layout: Callable[[torch.Tensor], torch.Tensor] = _same
    training: dict[str, Any] = field(default_factory=dict)
    layer: Optional[str] = None
    layer_axes: tuple[str, ...] = ()

    def explained_layer(self, model: nn.Module) -> nn.Module:
        """The module named by ``layer`` in ``model``; OptionError when the model declares none."""
        if self.layer is None:
            raise OptionError(
                f"The {self.name!r} model declares no layer for layer methods such as Grad-CAM; use another --method"
            )
        return model.get_submodule(self.layer)


_MODELS: dict[str, type] = {}


def register_model(model_class: type) -> type:
    """Class decorator: register a model class by its ``spec.name``; a duplicate name is an error."""
    spec = getattr(model_class, "spec", None)
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"{model_class.__name__} needs a class attribute spec = ModelSpec(...) to be registered")
    if spec.name in _MODELS and _MODELS[spec.name] is not model_class:
        raise ValueError(f"A model named {spec.name!r} is already registered")
    _MODELS[spec.name] = model_class
    return model_class


def _load_plugins() -> None:
    """Register model classes that installed packages declare under the ``landmarkset.models`` entry point."""
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _MODELS:
            register_model(entry.load())


def list_models() -> list[str]:
    _load_plugins()
    return sorted(_MODELS)


def get_model_class(name: str) -> type:
    """The registered class ``name``; an unknown name lists the valid ones."""
    if name not in _MODELS:
        _load_plugins()
    if name not in _MODELS:
        raise OptionError(f"Unknown model {name!r}. Valid models: {', '.join(list_models())}.")
    return _MODELS[name]


def get_spec(name: str) -> ModelSpec:
    return get_model_class(name).spec


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model ``name`` with constructor arguments ``kwargs``."""
    return get_model_class(name)(**kwargs)
