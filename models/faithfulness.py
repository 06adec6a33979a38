"""How faithful a map is: deletion / insertion curves, and precision@k against truly moved landmarks.

Deleting a landmark freezes it at its first-frame position for the whole sample (it no longer moves);
inserting it restores its real motion. Landmarks go in the map's order (highest first) and in random
orders for comparison; the class probability is read after each step. A faithful map makes the deletion
curve fall faster (lower area) and the insertion curve rise faster (higher area) than random orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import numpy as np

Scorer = Callable[[np.ndarray], np.ndarray]  # raw samples (N, F, 68, 2) -> probabilities (N, classes)


def _frozen(sample: np.ndarray, points: Sequence[int]) -> np.ndarray:
    out = sample.copy()
    out[:, list(points)] = sample[:1, list(points)]
    return out


def curves(
    score: Scorer, sample: np.ndarray, target: int, order: np.ndarray, steps: int = 17
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k, deletion, insertion): target probability with the first k landmarks of ``order`` frozen / moving."""
    ks = np.unique(np.linspace(0, len(order), steps).round().astype(int))
    everything = np.arange(sample.shape[1])
    batch = [_frozen(sample, order[:k]) for k in ks]
    batch += [_frozen(sample, np.setdiff1d(everything, order[:k])) for k in ks]
    probabilities = score(np.stack(batch))[:, target]
    return ks, probabilities[: len(ks)], probabilities[len(ks) :]


def area(ks: np.ndarray, values: np.ndarray) -> float:
    """Area under a curve over the fraction of landmarks (0..1)."""
    fraction = ks / ks[-1]
    return float(np.sum((fraction[1:] - fraction[:-1]) * (values[1:] + values[:-1]) / 2))


def faithfulness(
    score: Scorer, sample: np.ndarray, target: int, landmark_scores: np.ndarray, random_orders: int = 8, seed: int = 0
) -> dict[str, float]:
    """Deletion and insertion areas of the map's order and of random orders (mean), for one sample."""
    order = np.argsort(-np.asarray(landmark_scores), kind="stable")
    ks, deletion, insertion = curves(score, sample, target, order)
    rng = np.random.default_rng(seed)
    random_del, random_ins = [], []
    for _ in range(random_orders):
        _, d, i = curves(score, sample, target, rng.permutation(len(order)))
        random_del.append(area(ks, d))
        random_ins.append(area(ks, i))
    return {
        "deletion_auc": area(ks, deletion),
        "insertion_auc": area(ks, insertion),
        "random_deletion_auc": float(np.mean(random_del)),
        "random_insertion_auc": float(np.mean(random_ins)),
    }


def precision_at_k(landmark_scores: np.ndarray, moved: Sequence[int], k: int) -> float:
    """Share of the map's top-k landmarks that truly moved."""
    top = np.argsort(-np.asarray(landmark_scores), kind="stable")[:k]
    return float(np.isin(top, list(moved)).mean())


def random_precision_at_k(moved: Sequence[int], k: int, n_landmarks: int = 68) -> float:
    """Expected precision@k of a random ranking: the moved share."""
    return len(set(moved)) / n_landmarks if k else 0.0
