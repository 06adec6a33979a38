"""The MEGC spotting metric against hand-computed cases and the published baseline's arithmetic."""

from __future__ import annotations

import pytest
from landmarkset.models.evaluation.megc import SpottingScore, interval_iou, spotting_score

from landmarkset.intervals import Interval


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((1, 10), (1, 10), 1.0),
        ((1, 10), (6, 15), 5 / 15),  # frames 6..10 shared: I = 5, U = 10 + 10 - 5
        ((1, 10), (10, 19), 1 / 19),  # one shared frame
        ((1, 4), (7, 9), 1 / 6),  # disjoint: the baseline still counts I = 1 (U = 4 + 3 - 1)
        ((5, 5), (5, 5), 0.0),  # end <= start scores 0
        ((1, 100), (21, 80), 60 / 100),
    ],
)
def test_iou_by_hand(a, b, expected):
    assert interval_iou(a, b) == pytest.approx(expected)
    assert interval_iou(b, a) == pytest.approx(expected)


def test_true_positives_count_ground_truth_hit_once_per_video_and_kind():
    truth = [Interval("v1", 100, 200), Interval("v1", 400, 450, "micro"), Interval("v2", 100, 200)]
    predictions = [
        Interval("v1", 110, 210),
        Interval("v1", 120, 205),  # two hits on one interval: one TP
        Interval("v2", 400, 450, "micro"),  # right frames, wrong video
        Interval("v1", 400, 450),  # right frames, wrong kind (macro)
        Interval("v1", 402, 448, "micro"),
    ]
    scores = spotting_score(truth, predictions)
    assert scores["macro"] == SpottingScore(2, 3, 1)
    assert scores["micro"] == SpottingScore(1, 2, 1)
    assert scores["overall"] == SpottingScore(3, 5, 2)
    assert scores["overall"].precision == pytest.approx(0.4) and scores["overall"].recall == pytest.approx(2 / 3)


def test_published_baseline_arithmetic():
    # MEGC 2020 baseline on SAMM Long Videos (shared/reference/datasets.md).
    macro, micro = SpottingScore(343, 356, 22), SpottingScore(159, 1436, 29)
    assert (round(macro.precision, 4), round(macro.recall, 4), round(macro.f1, 4)) == (0.0618, 0.0641, 0.0629)
    assert round(micro.f1, 4) == 0.0364
    overall = SpottingScore(343 + 159, 356 + 1436, 22 + 29)
    assert overall.true_positives == 51 and round(overall.f1, 4) == 0.0445


def test_empty_inputs_score_zero():
    score = spotting_score([], [])["overall"]
    assert (score.precision, score.recall, score.f1) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="type must be 'macro' or 'micro'"):
        Interval("v", 1, 2, "mezzo")
