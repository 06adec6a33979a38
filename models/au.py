"""Face regions of the 68 landmarks, the Action Units that move them, and the AUs the paper expects per emotion."""

from __future__ import annotations

import numpy as np

# Finer than landmarkset.regions.REGIONS: the groups the paper reads its maps by.
AU_REGIONS: dict[str, tuple[int, ...]] = {
    "brows": tuple(range(17, 27)),
    "eyes/lids": tuple(range(36, 48)),
    "nose": tuple(range(27, 36)),
    "cheeks": (1, 2, 3, 13, 14, 15),
    "lip corners": (48, 54, 60, 64),
    "lips": tuple(i for i in range(49, 68) if i not in (54, 60, 64)),
    "jaw": (0, *range(4, 13), 16),
}
assert sorted(i for group in AU_REGIONS.values() for i in group) == list(range(68))

# Action Units whose movement shows at each region's landmarks (FACS).
REGION_AUS: dict[str, tuple[int, ...]] = {
    "brows": (1, 2, 4),
    "eyes/lids": (5, 6, 7, 43),
    "nose": (9, 10),
    "cheeks": (6, 9, 12),
    "lip corners": (12, 13, 14, 15, 20),
    "lips": (10, 16, 18, 22, 23, 24, 25, 26),
    "jaw": (17, 26, 27),
}

# The paper's expected Action Units per emotion (neutral: no motion).
EXPECTED_AUS: dict[str, tuple[int, ...]] = {
    "happy": (6, 12),
    "surprise": (1, 2, 5, 26),
    "anger": (4, 5, 7, 23),
    "disgust": (9, 15, 16),
    "sadness": (1, 4, 15),
    "fear": (1, 2, 4, 5, 7, 20, 26),
    "neutral": (),
}


def region_shares(landmark_scores: np.ndarray) -> dict[str, float]:
    """Share of the total (non-negative) activation held by each region's landmarks."""
    scores = np.clip(np.asarray(landmark_scores, dtype=np.float64), 0, None)
    total = scores.sum()
    return {
        name: float(scores[list(points)].sum() / total) if total > 0 else 0.0 for name, points in AU_REGIONS.items()
    }


def expected_regions(emotion: str) -> list[str]:
    """Regions moved by at least one of the emotion's expected AUs."""
    aus = set(EXPECTED_AUS.get(emotion, ()))
    return [name for name, moved_by in REGION_AUS.items() if aus & set(moved_by)]


def agreement(shares: dict[str, float], emotion: str) -> tuple[float, float]:
    """(share of activation in the emotion's expected regions, that share / the regions' landmark share).

    The second figure is the lift over a uniform map: 1 means no better than spreading activation evenly.
    NaN for classes without expected AUs (neutral) or unknown to the paper's table.
    """
    regions = expected_regions(emotion)
    if not regions:
        return float("nan"), float("nan")
    inside = sum(shares[name] for name in regions)
    uniform = sum(len(AU_REGIONS[name]) for name in regions) / 68
    return inside, inside / uniform
