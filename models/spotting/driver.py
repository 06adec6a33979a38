"""`landmarkset spot`: the training-free spotter over every track of a store, and its MEGC evaluation.

Each track is a whole video (extract the long videos themselves, e.g. ``SAMM_longvideos/006_1``). For
each expression type the per-frame region motion over its window k (features) becomes a score curve,
and the recipe (proposals) turns it into intervals; a proposal's type is then decided by its duration
(shorter than 0.5 s: micro). With a SAMM long-video sheet the proposals are scored as MEGC does
(IoU >= 0.5, 1-based inclusive frames, per video, pooled over the videos that have a track).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from typing import Optional

import numpy as np
from tqdm.auto import tqdm

from landmarkset.errors import InputError, OptionError
from landmarkset.io import TrackFile, open_tracks
from landmarkset.regions import EYE_REGIONS, SPOT_REGIONS

from ..evaluation.megc import KINDS, Interval, spotting_score
from ..prediction.driver import Span
from .features import streamed_score_curves
from .figures import plot_spots
from .proposals import propose, smoothed_curve, threshold_of
from .recognise import labelled_truth, load_recogniser, reader_of_store, recognise, strs_of_classes
from .report import SpotReport, VideoSpots
from .saved import load_spotter
from .trained import ANY

__all__ = ["DEFAULT_WINDOWS", "MICRO_LIMIT_SECONDS", "SPOT_FILES", "spot_tracks"]

SPOT_FILES = ("intervals.csv", "report.json", "curves/")
EMOTION_COLUMNS = ("emotion", "emotion_probability")  # intervals.csv with a recogniser: empty where no face
MICRO_LIMIT_SECONDS = 0.5  # shorter is micro (the SAMM long-video paper's boundary)
# k per type, in seconds: the reference's windows, CAS(ME)^2 6 / 18 frames at 30 fps (0.2 / 0.6 s) and
# SAMM-LV 37 / 174 at 200 fps (0.19 / 0.87 s), k = (N + 1) / 2 of the mean interval length N.
DEFAULT_WINDOWS = {"micro": Span(0.2, seconds=True), "macro": Span(0.8, seconds=True)}
DEFAULT_P = 0.5  # threshold = mean + p (max - mean); a setting to choose on training videos, never on test ones
METHOD = "landmark motion (training-free: mean region motion, eyes masked, head motion removed)"


def truth_by_video(path: str, report: SpotReport) -> dict[str, list[Interval]]:
    from landmarkset.datasets.samm import read_annotations

    sheet = read_annotations(path)
    report.failed += [(failure.path, failure.reason) for failure in sheet.failed]
    truth: dict[str, list[Interval]] = {}
    for row in sheet.rows:
        video = row.filename.rsplit("_", 1)[0]  # "006_1_2": interval 2 of video 006_1
        truth.setdefault(video, []).append(Interval(video, row.onset, row.offset, row.kind))
    return truth


def _recipe(
    tracks: TrackFile, track_id: str, entry: VideoSpots, ks: dict[str, int], masked: Sequence[str], p: float
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The training-free pass: each type's proposals into ``entry``; its smoothed curves and thresholds."""
    scores = streamed_score_curves(tracks, track_id, ks, masked)
    smoothed, thresholds = {}, {}
    for kind in KINDS:
        curve = scores[kind]
        smoothed[kind] = smoothed_curve(curve, ks[kind])
        thresholds[kind] = threshold_of(smoothed[kind], p)
        for proposal in propose(curve, ks[kind], p):
            length = proposal.offset - proposal.onset + 1
            limit = MICRO_LIMIT_SECONDS * entry.fps if math.isfinite(entry.fps) else 2 * ks["micro"] + 1
            found = "micro" if length < limit else "macro"
            entry.proposals.append({"onset": proposal.onset, "offset": proposal.offset, "type": found,
                                    "score": round(proposal.score, 6), "pass": kind})  # fmt: skip
    return smoothed, thresholds


def spot_tracks(
    tracks_path: str,
    out_dir: str,
    *,
    windows: Optional[dict[str, Span]] = None,
    p: float = DEFAULT_P,
    masked: Optional[Sequence[str]] = None,
    annotations: Optional[str] = None,
    sequences: Optional[list[str]] = None,
    curves: bool = True,
    recogniser: Optional[str] = None,
    spotter: Optional[str] = None,
    progress: Optional[bool] = None,
) -> SpotReport:
    """Spot micro- and macro-expressions in every track (or ``sequences``) of ``tracks_path``; write OUT_DIR.

    ``windows``: k per type ("micro", "macro"), frames or seconds; ``masked``: regions left out of the score
    (None: the eyes, whose blinks are the main false positives). ``recogniser``: a model file over
    landmarks that classifies each proposal (intervals.csv's emotion columns); with ``annotations``, spot-then-
    recognise is scored too (STRS, :mod:`.recognise`). ``spotter``: a file of `landmarkset train-spotter`
    (:mod:`.saved`) whose per-frame probability, above its threshold, gives the intervals instead of the
    training-free recipe (its windows are its training's).
    """
    trained = load_spotter(spotter) if spotter else None
    if trained is not None and windows:
        raise OptionError(
            f"{spotter} spots with the windows it was trained with "
            f"({', '.join(f'{k} {s}' for k, s in trained.spans().items())}): drop --micro and --macro"
        )
    windows = trained.spans() if trained is not None else {**DEFAULT_WINDOWS, **(windows or {})}
    masked = EYE_REGIONS if masked is None else tuple(masked)
    unknown = sorted(set(masked) - set(SPOT_REGIONS))
    if unknown:
        raise OptionError(f"unknown region {unknown[0]!r} to mask; regions: {', '.join(SPOT_REGIONS)}")
    if not 0 <= p <= 1:
        raise OptionError(f"-p must be between 0 and 1 (the threshold's place between mean and max); got {p}")
    given = {kind: str(span) for kind, span in windows.items()}
    report = SpotReport(tracks_path, METHOD, given, p, list(masked), MICRO_LIMIT_SECONDS, annotations=annotations)
    if trained is not None:
        report.method = f"the trained spotter {spotter} ({trained.spec.description})"
        report.spotter, report.threshold, report.masked = spotter, trained.threshold, []
    truth = truth_by_video(annotations, report) if annotations else {}
    recognition = load_recogniser(recogniser) if recogniser else None
    report.recogniser = recogniser
    os.makedirs(os.path.join(out_dir, "curves"), exist_ok=True)
    rows: list[list] = []
    with open_tracks(tracks_path) as tracks:
        ids = sequences or tracks.ids()
        missing = [name for name in ids if name not in tracks]
        if missing:
            raise OptionError(f"{tracks_path} has no sequence {missing[0]!r}; `landmarkset info -s` lists them")
        for track_id in tqdm(ids, desc="spotting", unit="video", disable=None if progress is None else not progress):
            attrs = tracks.sequence_attrs(track_id)  # streamed: the track is read in blocks, never whole
            fps, frames = float(attrs.get("fps", math.nan)), tracks.frame_count(track_id)
            try:
                ks = {kind: windows[kind].frames(fps) for kind in KINDS}
                video = trained.video(tracks[track_id]) if trained is not None else None
            except (OptionError, InputError) as error:
                report.failed.append((track_id, str(error)))
                continue
            fps = fps if math.isfinite(fps) and fps > 0 else math.nan
            entry = VideoSpots(track_id, frames, fps, ks)
            if trained is not None and video is not None:
                curve = trained.curve(video)  # a trained spotter reads the whole track's features
                smoothed, thresholds = {ANY: curve}, {ANY: trained.threshold}
                for interval in trained.intervals(video, curve):
                    entry.proposals.append({"onset": interval.start, "offset": interval.end, "type": interval.kind,
                                            "score": round(float(curve[interval.start - 1 : interval.end].max()), 6),
                                            "pass": ANY})  # fmt: skip
            else:
                smoothed, thresholds = _recipe(tracks, track_id, entry, ks, masked, p)
            entry.proposals.sort(key=lambda item: (item["onset"], item["offset"]))
            if recognition is not None:
                found = [Interval(track_id, q["onset"], q["offset"], q["type"]) for q in entry.proposals]
                for proposal, guess in zip(entry.proposals, recognise(found, reader_of_store(tracks), *recognition)):
                    proposal["emotion"], proposal["emotion_probability"] = guess if guess else (None, None)
            rows += [[track_id, q["onset"], q["offset"], q["type"], q["score"]]
                     + ([q["emotion"] or "", "" if q["emotion"] is None else round(q["emotion_probability"], 4)]
                        if recognition is not None else []) for q in entry.proposals]  # fmt: skip
            if annotations:
                mine = truth.get(track_id, [])
                entry.truth = [{"onset": i.start, "offset": i.end, "type": i.kind} for i in mine]
                found_intervals = [Interval(track_id, q["onset"], q["offset"], q["type"]) for q in entry.proposals]
                entry.scores = {k: s.as_dict() for k, s in spotting_score(mine, found_intervals).items()}
            if curves:
                name = "".join(c if c.isalnum() or c in "-_." else "_" for c in track_id)
                plot_spots(smoothed, thresholds, entry.proposals, entry.truth, fps,
                           os.path.join(out_dir, "curves", f"{name}.png"), track_id)  # fmt: skip
            report.videos.append(entry)
    if annotations:
        spotted = {entry.video for entry in report.videos}
        report.unmatched_annotations = sorted(set(truth) - spotted)
        pooled_truth = [interval for video in spotted for interval in truth.get(video, [])]
        pooled = [Interval(v.video, q["onset"], q["offset"], q["type"]) for v in report.videos for q in v.proposals]
        report.megc = {kind: score.as_dict() for kind, score in spotting_score(pooled_truth, pooled).items()}
        if recognition is not None:
            labelled = [t for t in labelled_truth(annotations) if t.interval.video in spotted]
            classes = [q["emotion"] for v in report.videos for q in v.proposals]
            report.strs = strs_of_classes(labelled, pooled, classes, list(recognition[1].classes))
    with open(os.path.join(out_dir, "intervals.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["video", "onset", "offset", "type", "score"] + (list(EMOTION_COLUMNS) if recogniser else []))
        writer.writerows(rows)
    report.files = {
        "intervals": os.path.join(out_dir, "intervals.csv"),
        "report": report.write(os.path.join(out_dir, "report.json")),
        "curves": os.path.join(out_dir, "curves"),
    }
    return report
