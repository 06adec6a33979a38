"""Spotters scored leave-one-subject-out, nothing about the left-out subject taking part in any choice.

A fold per subject (scikit-learn's ``LeaveOneGroupOut``). In each, every pass's setting (the recipe's ``p``, a
trained spotter's probability threshold) is chosen on the training subjects only: their curves come from an
inner leave-one-subject-out (each training subject scored by a spotter fitted without it), and the setting is
the grid value with the best pooled F1 there (of the pass's expression type; overall for a trained spotter's
one pass). The spotter fitted on all training subjects then scores the left-out subject once, at that
setting. MEGC figures are pooled over the folds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut

from landmarkset.errors import InputError
from landmarkset.intervals import Proposal

from ..evaluation.megc import spotting_score
from .spotters import ANY, Spotter
from .videos import SpotVideo

__all__ = ["FoldChoice", "SpotterEvaluation", "best_setting", "evaluate_spotter"]


@dataclass
class FoldChoice:
    """One fold: its left-out subject, the subjects it trained on, the setting chosen per pass and the inner F1."""

    test_subject: str
    training_subjects: list[str]
    settings: dict[str, float]
    inner_f1: dict[str, float]


@dataclass
class SpotterEvaluation:
    """A spotter scored leave-one-subject-out: pooled MEGC figures, each fold's choices and the proposals."""

    spotter: str
    description: str
    setting: str  # what the folds chose: "p" or "threshold"
    megc: dict[str, dict[str, float]]
    folds: list[FoldChoice]
    proposals: list[Proposal] = field(repr=False, default_factory=list)

    def median_settings(self) -> dict[str, float]:
        """Per pass, the median of the folds' settings (each chosen without that fold's test subject)."""
        passes = self.folds[0].settings if self.folds else {}
        return {name: float(np.median([fold.settings[name] for fold in self.folds])) for name in passes}


def best_setting(
    spotter: Spotter, scored: list[tuple[SpotVideo, dict[str, np.ndarray]]], name: str
) -> tuple[float, float]:
    """The grid value of pass ``name`` with the best pooled F1 on (video, curves) pairs, and that F1."""
    kind = "overall" if name == ANY else name
    truth = [interval for video, _ in scored for interval in video.truth]
    best = (spotter.grid[len(spotter.grid) // 2], -1.0)
    for value in spotter.grid:
        found = [p for video, curves in scored for p in spotter.intervals(video, {name: curves[name]}, {name: value})]
        f1 = spotting_score(truth, found)[kind].f1
        if f1 > best[1] + 1e-12:
            best = (value, f1)
    return best


def _subjects(videos: list[SpotVideo]) -> list[str]:
    return [video.subject for video in videos]


def evaluate_spotter(
    spotter: Spotter, videos: list[SpotVideo], *, seed: int = 0, on_fold: Optional[Callable[[], None]] = None
) -> SpotterEvaluation:
    """Leave-one-subject-out MEGC figures of ``spotter`` on annotated ``videos`` (see the module doc)."""
    subjects = sorted(set(_subjects(videos)))
    if len(subjects) < 3:
        raise InputError(
            f"leave-one-subject-out needs at least 3 subjects (settings are chosen on 2 or more); got {subjects}"
        )
    folds, found = [], []
    for train_rows, test_rows in LeaveOneGroupOut().split(videos, groups=_subjects(videos)):
        train, test = [videos[i] for i in train_rows], [videos[i] for i in test_rows]
        inner: list[tuple[SpotVideo, dict[str, np.ndarray]]] = []
        for fit_rows, score_rows in LeaveOneGroupOut().split(train, groups=_subjects(train)):
            fitted = spotter.fit([train[i] for i in fit_rows], seed)
            inner += [(train[i], fitted.curves(train[i])) for i in score_rows]
        chosen = {name: best_setting(spotter, inner, name) for name in spotter.passes}
        fitted = spotter.fit(train, seed)
        settings = {name: value for name, (value, _) in chosen.items()}
        for video in test:
            found += fitted.intervals(video, fitted.curves(video), settings)
        folds.append(FoldChoice(test[0].subject, sorted(set(_subjects(train))), settings,
                                {name: round(f1, 4) for name, (_, f1) in chosen.items()}))  # fmt: skip
        if on_fold is not None:
            on_fold()
    truth = [interval for video in videos for interval in video.truth]
    megc = {kind: score.as_dict() for kind, score in spotting_score(truth, found).items()}
    return SpotterEvaluation(spotter.name, spotter.description, spotter.setting, megc, folds, found)
