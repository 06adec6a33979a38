"""Checks and option groups shared by several commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable, Optional

import click


def check_device(device: str) -> str:
    """``device`` when torch can use it here; an OptionError saying what to use instead."""
    import torch

    from landmarkset.errors import OptionError

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise OptionError(f"--device {device!r} is not a torch device: use cpu, cuda, cuda:N or mps") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise OptionError(f"--device {device}: this torch has no usable CUDA GPU; use --device cpu")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise OptionError(f"--device {device}: MPS is not available here; use --device cpu")
    return device


class LibraryChoice(click.Choice):
    """A choice whose values come from the library, read when first needed: the CLI never retypes them, and
    commands that do not use them start without importing torch."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load
        self._loaded: Optional[tuple[str, ...]] = None
        self.case_sensitive = True

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded


def model_names() -> list[str]:
    from landmarkset.models import list_models

    return list_models()


def method_names() -> list[str]:
    from landmarkset.models import METHODS

    return list(METHODS)


def preprocessing_names(kind: Optional[str] = None) -> Callable[[], list[str]]:
    """The preprocessing choices of one input kind, or of all."""

    def load() -> list[str]:
        from landmarkset.models import INPUT_KINDS

        kinds = [INPUT_KINDS[kind]] if kind else list(INPUT_KINDS.values())
        return list(dict.fromkeys(name for each in kinds for name in each.preprocessing))

    return load
