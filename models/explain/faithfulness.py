"""How faithful a map is: deletion / insertion curves against random orders, Captum's infidelity and
sensitivity, and precision@k against truly moved landmarks.

Deleting a feature (a landmark, or a crop patch) freezes it at the sample's first frame: it no longer moves.
Inserting it restores its real motion. Features go in the map's order (highest first) and in random orders
for comparison; the class probability is read after each step. A faithful map makes the deletion curve
fall faster (lower area) and the insertion curve rise faster (higher area) than random orders.

Captum's ``infidelity`` (normalised: the attributions are scaled to fit best, so methods of different
scales compare) measures how well attribution x perturbation predicts the change of the output under small
noise (lower is better). ``sensitivity_max`` is the largest change of the explanation under perturbations
of radius 2 % of the sample's largest motion; it is divided here by the explanation's own norm, so that it
is a relative change (lower is steadier).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import numpy as np
import torch
from captum.metrics import infidelity, sensitivity_max

from landmarkset.regions import N_LANDMARKS

from .methods import Problem, get_method

Scorer = Callable[[torch.Tensor], np.ndarray]  # prepared input (N, ...) -> probabilities (N, classes)
STEPS = 17  # points on each curve
PERTURBATIONS = 4  # per sample, for infidelity and sensitivity


def _kept(delta: torch.Tensor, ids: torch.Tensor, removed: np.ndarray) -> torch.Tensor:
    """``delta`` with the features in ``removed`` frozen (no motion)."""
    mask = torch.isin(ids, torch.as_tensor(removed, dtype=ids.dtype))
    return torch.where(mask, torch.zeros_like(delta), delta)


def curves(
    score: Scorer, delta: torch.Tensor, base: torch.Tensor, ids: torch.Tensor, target: int, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k, deletion, insertion) for one sample: target probability with the first k features of ``order``
    frozen / the only ones moving."""
    ks = np.unique(np.linspace(0, len(order), STEPS).round().astype(int))
    every = np.arange(len(order))
    batch = [_kept(delta, ids, order[:k]) for k in ks]
    batch += [_kept(delta, ids, np.setdiff1d(every, order[:k])) for k in ks]
    probabilities = score(base[None] + torch.stack(batch))[:, target]
    return ks, probabilities[: len(ks)], probabilities[len(ks) :]


def area(ks: np.ndarray, values: np.ndarray) -> float:
    """Area under a curve over the fraction of features (0..1)."""
    fraction = ks / ks[-1]
    return float(np.sum((fraction[1:] - fraction[:-1]) * (values[1:] + values[:-1]) / 2))


def deletion_insertion(
    score: Scorer,
    delta: torch.Tensor,
    base: torch.Tensor,
    ids: torch.Tensor,
    target: int,
    feature_scores: np.ndarray,
    random_orders: int = 8,
    seed: int = 0,
) -> dict[str, float]:
    """Deletion and insertion areas of the map's order and of random orders (mean), for one sample."""
    order = np.argsort(-np.asarray(feature_scores), kind="stable")
    ks, deletion, insertion = curves(score, delta, base, ids, target, order)
    rng = np.random.default_rng(seed)
    random_del, random_ins = [], []
    for _ in range(random_orders):
        _, d, i = curves(score, delta, base, ids, target, rng.permutation(len(order)))
        random_del.append(area(ks, d))
        random_ins.append(area(ks, i))
    return {
        "deletion_auc": area(ks, deletion),
        "insertion_auc": area(ks, insertion),
        "random_deletion_auc": float(np.mean(random_del)),
        "random_insertion_auc": float(np.mean(random_ins)),
    }


def captum_metrics(problem: Problem, attributions: torch.Tensor, method: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Captum's normalised infidelity and relative max-sensitivity, per sample of ``problem``."""
    torch.manual_seed(seed)
    delta, base, target = problem.delta, problem.base, problem.target
    size = delta.flatten(1).abs().amax(1).clamp_min(1e-6).view(-1, *[1] * (delta.dim() - 1))

    def perturb(inputs: torch.Tensor, baselines: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn_like(inputs) * 0.05 * baselines  # 5 % of the sample's largest motion
        return noise, inputs - noise

    with torch.enable_grad():
        infidelities = infidelity(
            problem.forward,
            perturb,
            delta,
            attributions,
            baselines=size.expand_as(delta),
            additional_forward_args=(base,),
            target=target,
            n_perturb_samples=PERTURBATIONS,
            normalize=True,
        )
    chosen = get_method(method)

    def explanation(inputs, target: torch.Tensor, additional_forward_args: tuple) -> tuple[torch.Tensor]:
        inputs = inputs[0] if isinstance(inputs, tuple) else inputs  # Captum passes a tuple of tensors
        again = Problem(problem.model, problem.spec, inputs.detach(), additional_forward_args[0], target)
        with torch.enable_grad():
            return (chosen.compute(again).detach().contiguous(),)  # a tuple, as Captum compares tuples

    radius = float(0.02 * size.max())
    sensitivities = sensitivity_max(
        explanation,
        delta,
        perturb_radius=radius,
        n_perturb_samples=PERTURBATIONS,
        target=target,
        additional_forward_args=(base,),
    )
    norms = attributions.flatten(1).norm(dim=1).clamp_min(1e-12)
    moving = size.flatten() > 1e-6
    relative = torch.where(moving, sensitivities / norms, torch.full_like(norms, float("nan")))
    problem.model.zero_grad(set_to_none=True)
    # A sample without motion (e.g. synthetic neutral) has an empty explanation: no relative change is defined.
    return {"infidelity": infidelities.detach().cpu().numpy(), "sensitivity": relative.detach().cpu().numpy()}


def precision_at_k(landmark_scores: np.ndarray, moved: Sequence[int], k: int) -> float:
    """Share of the map's top-k landmarks that truly moved."""
    top = np.argsort(-np.asarray(landmark_scores), kind="stable")[:k]
    return float(np.isin(top, list(moved)).mean())


def random_precision_at_k(moved: Sequence[int], k: int, n_landmarks: int = N_LANDMARKS) -> float:
    """Expected precision@k of a random ranking: the moved share."""
    return len(set(moved)) / n_landmarks if k else 0.0
