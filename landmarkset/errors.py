"""Exceptions that carry a message meant for the user.

The CLI prints any :class:`LandmarksetError` as one line and exits 2 (1 when some inputs failed);
everything else is a bug and is reported as such.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "LandmarksetError",
    "MissingDependencyError",
    "OptionError",
    "ProvenanceError",
    "StoreBusyError",
    "StoreError",
    "WeightsError",
]


class LandmarksetError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class OptionError(LandmarksetError, ValueError):
    """A parameter or backend option has a bad name or value."""


class MissingDependencyError(LandmarksetError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class InputError(LandmarksetError):
    """An input file or folder cannot be read; the message names it."""


class StoreError(LandmarksetError):
    """A track store is missing, malformed, unwritable, or from an unsupported version."""


class StoreBusyError(StoreError):
    """Another process is writing the store; the message names it."""


class ProvenanceError(StoreError):
    """A stored track was made otherwise than a run asks (other backend, frames or source): nothing was written."""


class WeightsError(LandmarksetError):
    """Model weights are missing or do not match; the message lists each file and where to put it."""


class TrainingError(LandmarksetError):
    """Training failed (a diverging loss) or delivered a model that fails its check: the message says why and
    what to change."""
