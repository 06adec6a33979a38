"""Cross-validation protocols: each is an object that makes the folds and the inner validation split.

- ``subject`` (default): stratified subject-grouped k-fold (scikit-learn's StratifiedGroupKFold); no
  subject is in two folds, and synthetic neutral samples, which keep their source's subject, follow it.
  The inner validation split that drives early stopping is grouped by subject too.
- ``paper``: six random 85/15 splits by sequence, as published; the same subject can then be in training
  and test, which inflates accuracy. Reported side by side with ``subject`` so the difference is visible.
- ``loso``: leave one subject out, a fold per subject (the micro-expression field's protocol, with UF1
  and UAR in every report).

Add a protocol by subclassing :class:`Protocol` and adding it to :data:`PROTOCOLS`; training and the CLI
read only this table.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, LeaveOneGroupOut, ShuffleSplit, StratifiedGroupKFold

from landmarkset.errors import OptionError
from landmarkset.io import Dataset

from .config import LEARNING_RATE, PAPER_LEARNING_RATE

MIN_TRAINING = 4  # samples a training part needs: an inner validation split and a batch of two to fit

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Protocol:
    """How a dataset is split into folds (train, test) and a training part into (fit, validation)."""

    name: ClassVar[str]
    description: ClassVar[str]
    allows_augmentation: ClassVar[bool] = True
    learning_rate: ClassVar[float] = LEARNING_RATE  # a TrainConfig's lr when it gives none

    def splits(self, dataset: Dataset, folds: int, seed: int) -> list[Split]:
        raise NotImplementedError

    def inner_split(self, dataset: Dataset, train: np.ndarray, validation: float, seed: int) -> Split:
        raise NotImplementedError


@dataclass(frozen=True)
class SubjectProtocol(Protocol):
    name: ClassVar[str] = "subject"
    description: ClassVar[str] = "stratified subject-grouped k-fold"

    def splits(self, dataset: Dataset, folds: int, seed: int) -> list[Split]:
        indices = np.arange(len(dataset))
        subjects = np.array(dataset.subject)
        if len(set(subjects)) < folds:
            fix = "Use fewer --folds." if len(set(subjects)) >= 2 else (
                "Two folds are the fewest: build a dataset with more subjects, or use --protocol paper (splits by "
                "sequence, subjects may repeat)."
            )  # fmt: skip
            raise OptionError(
                f"{folds} subject-grouped folds need at least {folds} subjects; the data has "
                f"{len(set(subjects))}. {fix}"
            )
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        with warnings.catch_warnings():  # "least populated class has fewer members than folds": expected
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            try:
                parts = [(train, test) for train, test in splitter.split(indices, dataset.y, groups=subjects)]
            except ValueError as error:  # e.g. a class with fewer samples than folds
                raise OptionError(f"{folds} subject-grouped folds cannot be made: {error} Use fewer --folds.") from None
        fewest = min(len(set(subjects[train])) for train, _ in parts)
        if fewest < 2 or min(len(train) for train, _ in parts) < MIN_TRAINING:
            raise OptionError(
                f"{folds} subject-grouped folds of {len(dataset)} samples from {len(set(subjects))} subjects leave "
                f"a training part with {fewest} subject(s), too few to train and validate. Use fewer --folds."
            )
        return parts

    def inner_split(self, dataset: Dataset, train: np.ndarray, validation: float, seed: int) -> Split:
        splitter = GroupShuffleSplit(n_splits=1, test_size=validation, random_state=seed)
        fit_part, val = next(splitter.split(train, groups=np.array(dataset.subject)[train]))
        return train[fit_part], train[val]


@dataclass(frozen=True)
class PaperProtocol(Protocol):
    name: ClassVar[str] = "paper"
    description: ClassVar[str] = "random 85/15 splits by sequence, as published (subjects may repeat)"
    allows_augmentation: ClassVar[bool] = False  # the paper used none
    learning_rate: ClassVar[float] = PAPER_LEARNING_RATE  # the paper's

    def splits(self, dataset: Dataset, folds: int, seed: int) -> list[Split]:
        indices = np.arange(len(dataset))
        parts = list(ShuffleSplit(n_splits=folds, test_size=0.15, random_state=seed).split(indices))
        if min(len(train) for train, _ in parts) < MIN_TRAINING:
            raise OptionError(
                f"{len(dataset)} samples are too few to train and test ({MIN_TRAINING + 1} at least; --folds only "
                "sets how many random splits are made): build a larger dataset."
            )
        return parts

    def inner_split(self, dataset: Dataset, train: np.ndarray, validation: float, seed: int) -> Split:
        fit_part, val = next(ShuffleSplit(n_splits=1, test_size=validation, random_state=seed).split(train))
        return train[fit_part], train[val]


@dataclass(frozen=True)
class LeaveOneSubjectOut(SubjectProtocol):
    """One fold per subject, its test part that subject alone: the micro-expression field's protocol
    (MEGC); ``folds`` is not used."""

    name: ClassVar[str] = "loso"
    description: ClassVar[str] = "leave one subject out: a fold per subject (--folds not used)"

    def splits(self, dataset: Dataset, folds: int, seed: int) -> list[Split]:
        subjects = np.array(dataset.subject)
        if len(set(subjects)) < 3:
            raise OptionError(
                f"leave-one-subject-out needs at least 3 subjects (2 to train and validate on); the data has "
                f"{len(set(subjects))}: use --protocol paper, or build a dataset with more subjects"
            )
        parts = list(LeaveOneGroupOut().split(np.arange(len(dataset)), dataset.y, groups=subjects))
        if min(len(train) for train, _ in parts) < MIN_TRAINING:
            raise OptionError(f"{len(dataset)} samples are too few to leave one subject out and still train")
        return parts


PROTOCOLS: dict[str, Protocol] = {
    protocol.name: protocol for protocol in (SubjectProtocol(), PaperProtocol(), LeaveOneSubjectOut())
}
DEFAULT_PROTOCOL = "subject"


def get_protocol(name: str) -> Protocol:
    """The protocol ``name``; OptionError listing the valid ones."""
    if name not in PROTOCOLS:
        raise OptionError(f"The 'protocol' parameter must be one of {', '.join(PROTOCOLS)}. Got {name!r} instead.")
    return PROTOCOLS[name]


def splits(dataset: Dataset, protocol: str, folds: int, seed: int) -> list[Split]:
    """(train, test) index arrays for each fold of ``protocol``; OptionError (with the fix) when the data is
    too small for them."""
    return get_protocol(protocol).splits(dataset, folds, seed)
