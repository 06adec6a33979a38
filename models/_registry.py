"""Model registry: ``get_model(name, **shape)`` / ``list_models()``, torchvision-style."""

from __future__ import annotations

from typing import Any, Callable

_MODELS: dict[str, Callable[..., Any]] = {}


def register_model(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Class decorator registering a model factory under ``name``; a duplicate name is an error."""

    def register(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _MODELS:
            raise ValueError(f"A model named {name!r} is already registered")
        _MODELS[name] = factory
        return factory

    return register


def list_models() -> list[str]:
    return sorted(_MODELS)


def get_model(name: str, **kwargs: Any) -> Any:
    """Build the model ``name``; an unknown name lists the valid ones."""
    from landmarkset.errors import OptionError

    if name not in _MODELS:
        raise OptionError(f"Unknown model {name!r}. Valid models: {', '.join(list_models())}.")
    return _MODELS[name](**kwargs)
