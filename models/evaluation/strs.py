"""STRS, the spot-then-recognise score of MEGC 2023 onwards, computed as its reference code computes it
(``genbing99/STRS-Metric``, ``strs_metric.py``, ``Evaluator.evaluate_STRS``; Liong et al. 2023).

STRS = spotting F1 x analysis F1, where

- **spotting**: per video, every (prediction, annotated interval) pair with IoU >= 0.5 is a TP (one prediction
  may make several, and an interval may be hit several times), a prediction that hits none is an FP, an
  interval hit by none an FN; IoU is the share of frames the two intervals have in common (as sets of frame
  numbers); micro- and macro-expressions are not told apart. Only subjects with at least one prediction are
  scored, and in them only videos with annotated intervals (the reference's loops);
- **analysis**: over the TP pairs, for every emotion of the truth or the predictions, one-vs-rest precision and
  recall (0 where undefined, also for an emotion with no pair at all, where the reference code stops);
  their means over the emotions, and the F1 of those two means (not the mean of the per-emotion F1s, given
  beside it as ``uf1``).

A prediction without an emotion (a recogniser that found no face) is no emotion's prediction: it is right for
no interval. Intervals need ``subject`` and ``emotion`` (see :class:`landmarkset.intervals.Interval`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from landmarkset.intervals import Interval

__all__ = ["StrsScore", "set_iou", "strs_score"]

RULE = (
    "STRS as the reference code (genbing99/STRS-Metric) computes it: spotting F1 over (prediction, interval) pairs "
    "with IoU >= 0.5, micro and macro pooled, x the F1 of the mean precision and mean recall of every emotion over "
    "the spotted pairs"
)


def set_iou(a: Interval, b: Interval) -> float:
    """Frames in common over frames in either, the intervals as sets of frame numbers (the STRS reference's IoU)."""
    inter = max(0, min(a.offset, b.offset) - max(a.onset, b.onset) + 1)
    union = max(0, a.length) + max(0, b.length) - inter
    return inter / union if union > 0 else 0.0


def _ratio(top: int, bottom: int) -> float:
    return top / bottom if bottom else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True)
class StrsScore:
    """STRS and its parts (see the module doc)."""

    strs: float
    spotting_tp: int
    spotting_fp: int
    spotting_fn: int
    spotting_precision: float
    spotting_recall: float
    spotting_f1: float
    analysis_precision: float
    analysis_recall: float
    analysis_f1: float
    uf1: float  # the mean of the emotions' F1 over the spotted pairs (reported by the reference, not in STRS)
    recognised: int  # spotted pairs whose predicted emotion is the annotated one
    emotions: list[str] = field(default_factory=list)
    per_emotion: dict[str, dict[str, float]] = field(default_factory=dict)
    rule: str = RULE

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _spotted_pairs(truth: list[Interval], predictions: list[Interval], threshold: float):
    """(TP pairs (interval, prediction), FP, FN) over the subjects with predictions and their annotated videos."""
    pairs: list[tuple[Interval, Interval]] = []
    false_positives = false_negatives = 0
    for subject in dict.fromkeys(p.subject for p in predictions):
        annotated: dict[str, list[Interval]] = {}
        for interval in truth:
            if interval.subject == subject:
                annotated.setdefault(interval.video, []).append(interval)
        for video, intervals in annotated.items():
            hit: set[int] = set()
            for prediction in (p for p in predictions if p.subject == subject and p.video == video):
                matches = [i for i, interval in enumerate(intervals) if set_iou(prediction, interval) >= threshold]
                pairs += [(intervals[i], prediction) for i in matches]
                hit.update(matches)
                false_positives += not matches
            false_negatives += len(intervals) - len(hit)
    return pairs, false_positives, false_negatives


def strs_score(truth: Iterable[Interval], predictions: Iterable[Interval], threshold: float = 0.5) -> StrsScore:
    """STRS of ``predictions`` (their ``emotion`` the recognised class) against ``truth`` (see the module doc)."""
    truth, predictions = list(truth), list(predictions)
    pairs, false_positives, false_negatives = _spotted_pairs(truth, predictions, threshold)
    emotions = sorted({i.emotion for i in truth + predictions if i.emotion is not None})
    per_emotion = {}
    for emotion in emotions:
        tp = sum(g.emotion == emotion and p.emotion == emotion for g, p in pairs)
        fp = sum(g.emotion != emotion and p.emotion == emotion for g, p in pairs)
        fn = sum(g.emotion == emotion and p.emotion != emotion for g, p in pairs)
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_emotion[emotion] = {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}
    mean = {key: sum(s[key] for s in per_emotion.values()) / len(emotions) if emotions else 0.0
            for key in ("precision", "recall", "f1")}  # fmt: skip
    tp = len(pairs)
    spotting_p, spotting_r = _ratio(tp, tp + false_positives), _ratio(tp, tp + false_negatives)
    spotting_f1, analysis_f1 = _f1(spotting_p, spotting_r), _f1(mean["precision"], mean["recall"])
    return StrsScore(
        strs=spotting_f1 * analysis_f1,
        spotting_tp=tp,
        spotting_fp=false_positives,
        spotting_fn=false_negatives,
        spotting_precision=spotting_p,
        spotting_recall=spotting_r,
        spotting_f1=spotting_f1,
        analysis_precision=mean["precision"],
        analysis_recall=mean["recall"],
        analysis_f1=analysis_f1,
        uf1=mean["f1"],
        recognised=sum(g.emotion is not None and g.emotion == p.emotion for g, p in pairs),
        emotions=emotions,
        per_emotion=per_emotion,
    )
