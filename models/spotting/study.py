"""`landmarkset train-spotter`: every spotter of :data:`~.trained.SPOTTERS` scored leave-one-subject-out
on the same tracks and sheet, in one table (report.json, table.md)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np
from tqdm.auto import tqdm

from landmarkset.errors import InputError, OptionError
from landmarkset.io import open_tracks

from ..evaluation.megc import KINDS
from ..prediction.driver import Span
from ..runinfo import JsonReport
from .driver import DEFAULT_WINDOWS, truth_by_video
from .recognise import STRS_RULE, labelled_truth, load_recogniser, reader_of_tracks, strs_scores
from .report import SpotReport
from .saved import TrainedSpotter, save_spotter
from .trained import (
    ANY,
    SPOTTERS,
    SpotterEvaluation,
    SpotterSpec,
    VideoData,
    evaluate_spotter,
    fit_spotter,
    frame_features,
    spotter_spec,
)

__all__ = ["SpotterStudy", "train_spotters"]


@dataclass
class SpotterStudy(JsonReport):
    """Each spotter's pooled leave-one-subject-out MEGC figures on one set of tracks."""

    tracks: str
    annotations: str
    videos: int
    subjects: list[str]
    windows: dict[str, str]
    results: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # spotter, why it could not run
    failed_rows: list[tuple[str, str]] = field(default_factory=list)  # sheet rows left out, and why
    recogniser: str = ""  # the recognition model of the STRS column, if any
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        return content

    def table(self) -> str:
        strs = any("strs" in r for r in self.results)
        lines = [
            "| spotter | micro F1 | macro F1 | overall F1 | overall P / R | TP / proposals / GT |"
            + (" STRS (recognised / spotted) |" if strs else ""),
            "|---|---|---|---|---|---|" + ("---|" if strs else ""),
        ]
        for r in self.results:
            o = r["megc"]["overall"]
            line = (
                f"| {r['spotter']} ({r['description']}) | {r['megc']['micro']['f1']:.3f} "
                f"| {r['megc']['macro']['f1']:.3f} "
                f"| {o['f1']:.3f} | {o['precision']:.3f} / {o['recall']:.3f} | {o['tp']} / {o['predictions']} / "
                f"{o['ground_truth']} |"
            )
            if strs:
                line += f" {r['strs']['strs']:.3f} ({r['strs']['tp']} / {r['strs']['spotted']}) |"
            lines.append(line)
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [f"{len(self.subjects)} subjects, {self.videos} videos, leave-one-subject-out:", self.table()]
        if self.recogniser:
            lines.append(f"STRS: intervals classified by {self.recogniser}; {STRS_RULE}")
        lines += [f"SKIPPED {name}: {why}" for name, why in self.skipped]
        lines += [f"FAILED {row}: {why}" for row, why in self.failed_rows]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)


def _subject_of(track: Any) -> str:
    return track.subject or track.id.rsplit("_", 1)[0]  # SAMM long videos: "006_1" is subject 006's video 1


def train_spotters(
    tracks_path: str,
    annotations: str,
    out_dir: str,
    *,
    spotters: Sequence[str] = tuple(SPOTTERS),
    windows: Optional[dict[str, Span]] = None,
    seed: int = 0,
    recogniser: Optional[str] = None,
    progress: Optional[bool] = None,
) -> SpotterStudy:
    """Score each of ``spotters`` leave-one-subject-out on the tracks of ``tracks_path`` that the SAMM long
    video sheet ``annotations`` annotates; write report.json and table.md into ``out_dir``. With
    ``recogniser`` (a model file), each spotter's intervals are also classified and scored jointly (STRS,
    landmarkset.models.spotting.recognise)."""
    specs = {name: spotter_spec(name) for name in spotters}  # OptionError for an unknown one, before any work
    windows = {**DEFAULT_WINDOWS, **(windows or {})}
    recognition = load_recogniser(recogniser) if recogniser is not None else None  # a bad model fails first
    sheet = SpotReport(tracks_path, "", {}, 0.0, [], 0.0)  # collects the sheet's rows that fail
    truth = truth_by_video(annotations, sheet)
    study = SpotterStudy(tracks_path, annotations, 0, [], {kind: str(span) for kind, span in windows.items()})
    study.failed_rows = sheet.failed
    with open_tracks(tracks_path) as store:
        tracks = [store[name] for name in store.ids() if name in truth]
    if not tracks:
        raise InputError(f"{tracks_path}: no track is a video of {annotations} (track ids are the sheet's video names)")
    study.videos, study.subjects = len(tracks), sorted({_subject_of(t) for t in tracks})
    spotted = {track.id for track in tracks}
    labelled = [t for t in labelled_truth(annotations) if t.interval.video in spotted] if recognition else []
    study.recogniser = recogniser or ""
    os.makedirs(out_dir, exist_ok=True)
    disable = None if progress is None else not progress
    with tqdm(total=len(spotters) * len(study.subjects), desc="spotters x folds", disable=disable) as bar:
        for name in spotters:
            spec = specs[name]
            try:
                videos = []
                for track in tracks:
                    ks = {kind: windows[kind].frames(track.fps) for kind in KINDS}
                    videos.append(
                        VideoData(
                            track.id, _subject_of(track), frame_features(track, spec, ks), truth[track.id], ks, track
                        )
                    )
                evaluation: SpotterEvaluation = evaluate_spotter(name, videos, seed=seed, on_fold=bar.update)
            except (InputError, OptionError) as error:
                study.skipped.append((name, str(error)))
                bar.update(len(study.subjects))
                continue
            result = {
                "spotter": name,
                "description": evaluation.description,
                "megc": evaluation.megc,
                "folds": evaluation.folds,
            }
            if spec.trained:  # the delivered spotter: fitted on every subject, the folds' median threshold
                result["file"] = save_spotter(
                    os.path.join(out_dir, f"{name.replace(':', '-')}.spotter"),
                    _delivered(spec, videos, evaluation, windows, seed, study),
                )
            if recognition is not None:
                model, record = recognition
                read = reader_of_tracks({t.id: t for t in tracks})
                result["strs"] = strs_scores(labelled, evaluation.proposals, read, model, record)
            study.results.append(result)
    with open(os.path.join(out_dir, "table.md"), "w") as handle:
        handle.write(study.table() + "\n")
    study.files = {
        "report": study.write(os.path.join(out_dir, "report.json")),
        "table": os.path.join(out_dir, "table.md"),
    }
    return study


def _delivered(
    spec: SpotterSpec,
    videos: list[VideoData],
    evaluation: SpotterEvaluation,
    windows: dict[str, Span],
    seed: int,
    study: SpotterStudy,
) -> TrainedSpotter:
    """``spec`` fitted on every video, at the median of the folds' thresholds (each chosen without its test
    subject), recording what it was trained and scored on."""
    threshold = float(np.median([fold[f"threshold_{ANY}"] for fold in evaluation.folds]))
    lags = {str(v.track.backend_options.get("region_flow")) for v in videos if "flow" in spec.features}
    return TrainedSpotter(
        spec.name,
        fit_spotter(spec, videos, seed)[ANY],
        threshold,
        {kind: (span.value, span.seconds) for kind, span in windows.items()},
        lags.pop() if len(lags) == 1 else None,
        {
            "tracks": os.path.abspath(study.tracks),
            "annotations": os.path.abspath(study.annotations),
            "videos": [v.video for v in videos],
            "subjects": study.subjects,
            "seed": seed,
            "threshold_rule": "median of the leave-one-subject-out folds' thresholds",
            "loso_megc": evaluation.megc,
        },
    )
