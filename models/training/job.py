"""One model trained on samples through its declaration: the training stage's one job, used by every fold of
cross-validation, the delivered model and the model spotters (landmarkset.models.spotting)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np
from tqdm import tqdm

from ..inference import network_input
from ..modelfile import ModelRecord
from ..spec import ModelSpec, get_model
from .config import Budget, TrainConfig
from .fitting import Fitted, fit

__all__ = ["TrainingJob"]


@dataclass
class TrainingJob:
    """A model's declaration, the shape of its samples and the resolved settings it trains with."""

    spec: ModelSpec
    samples: np.ndarray  # every sample of the job (its shape gives the model's dimensions)
    config: TrainConfig
    classes: list[str]

    def arguments(self) -> dict[str, Any]:
        return self.spec.arguments(self.spec.input.dimensions(self.samples), len(self.classes))

    def record(self, **fields: Any) -> ModelRecord:
        """The model file's record of a model this job trains (``fields``: training, data, versions...)."""
        return ModelRecord(
            model=self.spec.name,
            arguments=self.arguments(),
            classes=list(self.classes),
            input={
                "kind": self.spec.input.name,
                "preprocessing": self.config.preprocessing,
                "dimensions": self.spec.input.dimensions(self.samples),
            },
            **fields,
        )

    def train(
        self,
        fit_x: np.ndarray,
        fit_y: np.ndarray,
        val_x: np.ndarray,
        val_y: np.ndarray,
        budget: Budget,
        bar: Optional[tqdm] = None,
        *,
        early_stopping: bool = True,
    ) -> Fitted:
        """A new model fitted on (fit_x, fit_y), stopped on (val_x, val_y) within ``budget``."""
        model = get_model(self.spec.name, **self.arguments())
        augmenter = self.spec.input.augmenter(jitter=self.config.jitter) if self.config.augment else None
        return fit(
            model,
            lambda samples: network_input(self.spec, self.config.preprocessing, samples),
            fit_x,
            fit_y,
            val_x,
            val_y,
            replace(self.config, epochs=budget.epochs, patience=budget.patience),
            bar,
            augmenter,
            early_stopping=early_stopping,
        )
