"""The MEGC spotting metric (He et al., MEGC 2020 baseline: ``HeyingGithub/Baseline-project-for-MEGC2020_spotting``,
``MDMD_results/result_helper.py``), exactly as published.

Intervals (:class:`landmarkset.intervals.Interval`) are [onset, offset] frame numbers, 1-based and inclusive, per
video. Macro- and micro-expressions are scored separately; "overall" pools their counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from landmarkset.intervals import TYPES, Interval

__all__ = ["SpottingScore", "interval_iou", "spotting_score"]


def interval_iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """IoU of two [start, end] intervals as the MEGC baseline computes it.

    0 when either interval has end <= start. The intersection is max(0, min(ends) - max(starts)) + 1,
    so two disjoint intervals still share "1 frame"; with both intervals at least 2 frames long this
    never reaches the 0.5 threshold, and it is kept for exact comparability with published figures.
    """
    (a_start, a_end), (b_start, b_end) = a, b
    if a_end <= a_start or b_end <= b_start:
        return 0.0
    intersection = max(0, min(a_end, b_end) - max(a_start, b_start)) + 1
    union = (a_end - a_start + 1) + (b_end - b_start + 1) - intersection
    return intersection / union


@dataclass(frozen=True)
class SpottingScore:
    """Counts and the derived precision, recall and F1 (0 where undefined)."""

    ground_truth: int
    predictions: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predictions if self.predictions else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.ground_truth if self.ground_truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "ground_truth": self.ground_truth,
            "predictions": self.predictions,
            "tp": self.true_positives,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def _true_positives(truth: list[Interval], predictions: list[Interval], threshold: float) -> int:
    """Ground-truth intervals hit by at least one prediction of the same video with IoU >= threshold."""
    by_video: dict[str, list[Interval]] = {}
    for prediction in predictions:
        by_video.setdefault(prediction.video, []).append(prediction)
    return sum(
        any(interval_iou((g.onset, g.offset), (p.onset, p.offset)) >= threshold for p in by_video.get(g.video, []))
        for g in truth
    )


def spotting_score(
    ground_truth: Iterable[Interval], predictions: Iterable[Interval], threshold: float = 0.5
) -> dict[str, SpottingScore]:
    """MEGC scores: {"macro": ..., "micro": ..., "overall": ...} (overall pools the two kinds' counts)."""
    truth, predicted = list(ground_truth), list(predictions)
    scores = {}
    for kind in TYPES:
        g = [i for i in truth if i.type == kind]
        p = [i for i in predicted if i.type == kind]
        scores[kind] = SpottingScore(len(g), len(p), _true_positives(g, p, threshold))
    scores["overall"] = SpottingScore(
        *(sum(getattr(scores[k], field) for k in TYPES) for field in ("ground_truth", "predictions", "true_positives"))
    )
    return scores
