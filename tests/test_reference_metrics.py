"""Published figures equal the reference code's, on the references' own examples: STRS as
genbing99/STRS-Metric computes it (its README's example), UF1 / UAR as scikit-learn and the MEGC 2019
composite code average them (a class predicted but absent from the truth counts)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

from landmarkset.intervals import Interval


def _rows(rows):
    return [Interval(video, onset, offset, "micro", emotion=emotion, subject=str(subject))
            for subject, video, onset, offset, emotion in rows]  # fmt: skip


def test_strs_equals_the_reference_readme_example():
    from landmarkset.models.evaluation.strs import strs_score

    # The "Brief Example" of the STRS-Metric README: the reference prints STRS 0.2.
    predictions = _rows([
        (1, "EP02_01f", 10, 70, "happiness"),
        (1, "EP03_02", 100, 170, "others"),
        (1, "EP04_02", 0, 70, "others"),
        (2, "EP01_11f", 20, 90, "happiness"),
        (2, "EP02_04f", 70, 140, "happiness"),
    ])  # fmt: skip
    truth = _rows([
        (1, "EP02_01f", 45, 85, "happiness"),
        (1, "EP03_02", 130, 160, "others"),
        (1, "EP04_02", 20, 75, "others"),
        (2, "EP01_11f", 45, 95, "repression"),
        (2, "EP02_04f", 30, 140, "repression"),
    ])  # fmt: skip
    score = strs_score(truth, predictions)
    assert round(score.strs, 4) == 0.2
    # spotting: 3 pairs with IoU >= 0.5 (EP04_02, EP01_11f, EP02_04f), 2 predictions hit nothing, 2 intervals missed
    assert (score.spotting_tp, score.spotting_fp, score.spotting_fn) == (3, 2, 2)
    assert score.spotting_f1 == pytest.approx(0.6)
    # analysis over the three emotions: only "others" is right (P = R = 1); happiness and repression score 0;
    # the F1 of the mean precision (1/3) and the mean recall (1/3)
    assert score.emotions == ["happiness", "others", "repression"]
    assert score.analysis_precision == pytest.approx(1 / 3) and score.analysis_recall == pytest.approx(1 / 3)
    assert score.analysis_f1 == pytest.approx(1 / 3) and score.recognised == 1


def test_strs_counts_pairs_ignores_subjects_without_predictions_and_scores_missing_emotions_zero():
    from landmarkset.models.evaluation.strs import strs_score

    truth = _rows([(1, "a", 10, 40, "x"), (1, "a", 12, 40, "y"), (2, "b", 10, 40, "x")])
    # one prediction hits both intervals of video a (two pairs, as the reference counts them); subject 2 has no
    # prediction, so its interval is not a miss; a prediction in a video without intervals is not scored
    predictions = _rows([(1, "a", 11, 40, "x"), (1, "elsewhere", 1, 50, "x")])
    score = strs_score(truth, predictions)
    assert (score.spotting_tp, score.spotting_fp, score.spotting_fn) == (2, 0, 0)
    # x: P 1/2 (one of its two pairs is y's), R 1; y: never predicted, P = R = 0
    assert score.analysis_precision == pytest.approx(1 / 4) and score.analysis_recall == pytest.approx(1 / 2)
    no_face = strs_score(truth, [Interval("a", 11, 40, "micro", emotion=None, subject="1")])
    assert no_face.spotting_tp == 2 and no_face.recognised == 0 and no_face.strs == 0


def test_uf1_and_uar_count_a_class_predicted_but_absent_from_the_truth():
    from landmarkset.models.training.metrics import classification_scores

    # The hand case: classes a, b, c; the truth holds a and b only, the model also says c once.
    truth, guess = np.array([0, 1, 1]), np.array([0, 1, 2])
    scores = classification_scores(truth, guess, ["a", "b", "c", "d"])
    assert scores["macro_f1"] == pytest.approx(f1_score(truth, guess, average="macro", zero_division=0))
    assert scores["uar"] == pytest.approx(recall_score(truth, guess, average="macro", zero_division=0))
    assert round(scores["macro_f1"], 3) == 0.556 and scores["uar"] == pytest.approx(0.5)
    # d, neither true nor predicted, is not averaged; classes present only would give 0.833 / 0.750
    assert scores["per_class"]["d"]["support"] == 0
