"""Explanation maps read against Action Units: each region's share of a map, which regions an emotion's
prototype AUs move (``landmarkset.facs``), and how much of the map falls there."""

from __future__ import annotations

import numpy as np

from landmarkset.facs import au_numbers
from landmarkset.regions import AU_REGIONS, N_LANDMARKS

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


def region_shares(landmark_scores: np.ndarray) -> dict[str, float]:
    """Share of the total (non-negative) activation held by each region's landmarks (all 0 for an empty map)."""
    scores = np.clip(np.asarray(landmark_scores, dtype=np.float64), 0, None)
    total = scores.sum()
    return {
        name: float(scores[list(points)].sum() / total) if total > 0 else 0.0 for name, points in AU_REGIONS.items()
    }


def top_region(shares: dict[str, float]) -> str:
    """The region with the largest share, or "" when no region holds any (an empty map names none)."""
    best = max(shares, key=shares.get)
    return best if shares[best] > 0 else ""


def expected_regions(emotion: str) -> list[str]:
    """Regions moved by at least one of the emotion's prototype AUs."""
    aus = set(au_numbers(emotion))
    return [name for name, moved_by in REGION_AUS.items() if aus & set(moved_by)]


def agreement(shares: dict[str, float], emotion: str) -> tuple[float, float]:
    """(share of activation in the emotion's expected regions, that share / the regions' landmark share).

    The second figure is the lift over a uniform map: 1 means no better than spreading activation evenly.
    NaN for classes without expected AUs (neutral) or unknown to the prototype table.
    """
    regions = expected_regions(emotion)
    if not regions:
        return float("nan"), float("nan")
    inside = sum(shares[name] for name in regions)
    uniform = sum(len(AU_REGIONS[name]) for name in regions) / N_LANDMARKS
    return inside, inside / uniform
