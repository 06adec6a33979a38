"""The training stage: settings (config), protocols (splitters), one model's fit, scores and figures, the
typed report, and the driver :func:`cross_validate` (docs/training.md)."""

from .config import PRECISIONS, TrainConfig, native_bf16, resolve_config
from .driver import RUN_FILES, cross_validate
from .fitting import fit
from .protocols import DEFAULT_PROTOCOL, PROTOCOLS, Protocol, get_protocol, splits
from .report import FoldResult, TrainReport

__all__ = [
    "DEFAULT_PROTOCOL",
    "PRECISIONS",
    "PROTOCOLS",
    "RUN_FILES",
    "FoldResult",
    "Protocol",
    "TrainConfig",
    "TrainReport",
    "cross_validate",
    "fit",
    "get_protocol",
    "native_bf16",
    "resolve_config",
    "splits",
]
