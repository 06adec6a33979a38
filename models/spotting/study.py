"""`landmarkset train-spotter`: every spotter of :data:`~.trained.SPOTTERS` scored leave-one-subject-out
on the same tracks and sheet, in one table (report.json, table.md)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from tqdm.auto import tqdm

from landmarkset.errors import InputError, OptionError
from landmarkset.io import open_tracks

from ..evaluation.megc import KINDS
from ..prediction.driver import Span
from ..runinfo import JsonReport
from .driver import DEFAULT_WINDOWS, truth_by_video
from .report import SpotReport
from .trained import SPOTTERS, SpotterEvaluation, VideoData, evaluate_spotter, frame_features

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
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        return content

    def table(self) -> str:
        lines = [
            "| spotter | micro F1 | macro F1 | overall F1 | overall P / R | TP / proposals / GT |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.results:
            o = r["megc"]["overall"]
            lines.append(
                f"| {r['spotter']} ({r['description']}) | {r['megc']['micro']['f1']:.3f} "
                f"| {r['megc']['macro']['f1']:.3f} "
                f"| {o['f1']:.3f} | {o['precision']:.3f} / {o['recall']:.3f} | {o['tp']} / {o['predictions']} / "
                f"{o['ground_truth']} |"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [f"{len(self.subjects)} subjects, {self.videos} videos, leave-one-subject-out:", self.table()]
        lines += [f"SKIPPED {name}: {why}" for name, why in self.skipped]
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
    progress: Optional[bool] = None,
) -> SpotterStudy:
    """Score each of ``spotters`` leave-one-subject-out on the tracks of ``tracks_path`` that the SAMM long
    video sheet ``annotations`` annotates; write report.json and table.md into ``out_dir``."""
    unknown = [name for name in spotters if name not in SPOTTERS]
    if unknown:
        raise OptionError(f"unknown spotter {unknown[0]!r}; spotters: {', '.join(SPOTTERS)}")
    windows = {**DEFAULT_WINDOWS, **(windows or {})}
    sink = SpotReport(tracks_path, "", {}, 0.0, [], 0.0)
    truth = truth_by_video(annotations, sink)
    study = SpotterStudy(tracks_path, annotations, 0, [], {kind: str(span) for kind, span in windows.items()})
    with open_tracks(tracks_path) as store:
        tracks = [store[name] for name in store.ids() if name in truth]
    if not tracks:
        raise InputError(f"{tracks_path}: no track is a video of {annotations} (track ids are the sheet's video names)")
    study.videos, study.subjects = len(tracks), sorted({_subject_of(t) for t in tracks})
    disable = None if progress is None else not progress
    with tqdm(total=len(spotters) * len(study.subjects), desc="spotters x folds", disable=disable) as bar:
        for name in spotters:
            spec = SPOTTERS[name]
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
            study.results.append(
                {
                    "spotter": name,
                    "description": evaluation.description,
                    "megc": evaluation.megc,
                    "folds": evaluation.folds,
                }
            )
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "table.md"), "w") as handle:
        handle.write(study.table() + "\n")
    study.files = {
        "report": study.write(os.path.join(out_dir, "report.json")),
        "table": os.path.join(out_dir, "table.md"),
    }
    return study
