"""`landmarkset train-spotter`: spotters scored leave-one-subject-out on the same tracks and sheet, in one table
(report.json, table.md), each trained one delivered fitted on every subject (NAME.spotter)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from tqdm.auto import tqdm

from landmarkset.datasets.registry import read_intervals
from landmarkset.errors import InputError, OptionError
from landmarkset.intervals import Interval, Span
from landmarkset.io import TrackFile, open_tracks
from landmarkset.names import file_stem
from landmarkset.outcome import exit_code
from landmarkset.runfolder import RunFolder, atomic_file

from ..evaluation.strs import RULE as STRS_RULE
from ..evaluation.strs import strs_score
from ..runinfo import JsonReport
from .driver import DEFAULT_WINDOWS
from .files import DeliveredSpotter, save_spotter
from .protocol import FoldChoice, SpotterEvaluation, evaluate_spotter
from .recognise import load_recogniser, reader_of_store, recognise
from .spotters import Spotter, get_spotter
from .videos import SpotVideo, check_video, load_video

__all__ = ["DEFAULT_SPOTTERS", "SpotterResult", "SpotterStudy", "train_spotters"]

DEFAULT_SPOTTERS = ("baseline", "landmarks", "flow", "both")


@dataclass
class SpotterResult:
    """One spotter's pooled leave-one-subject-out MEGC figures, its folds' choices and its delivered file."""

    spotter: str
    description: str
    setting: str
    megc: dict[str, dict[str, float]]
    folds: list[FoldChoice]
    file: Optional[str] = None  # the delivered spotter (trained spotters only)
    strs: Optional[dict[str, Any]] = None  # spot-then-recognise with the study's recogniser


@dataclass
class SpotterStudy(JsonReport):
    """Each spotter's pooled leave-one-subject-out MEGC figures on one set of tracks."""

    tracks: str
    annotations: str
    layout: str
    videos: int
    subjects: list[str]
    windows: dict[str, str]
    results: list[SpotterResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # spotter, why it could not run
    failed_videos: list[tuple[str, str]] = field(default_factory=list)  # videos left out, and why
    sheet_failed: list[tuple[str, str]] = field(default_factory=list)  # sheet rows that could not be read
    sheet_dropped: list[tuple[str, str]] = field(default_factory=list)  # rows a policy left out, repeats
    recogniser: str = ""  # the recognition model of the STRS column, if any
    files: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0: every spotter ran on every video and row; 1: some were skipped or failed (named); 2: none ran."""
        return exit_code(len(self.results), len(self.skipped) + len(self.failed_videos) + len(self.sheet_failed))

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        return content

    def table(self) -> str:
        strs = any(r.strs for r in self.results)
        lines = [
            "| spotter | micro F1 | macro F1 | overall F1 | overall P / R | TP / proposals / GT |"
            + (" STRS (recognised / spotted pairs) |" if strs else ""),
            "|---|---|---|---|---|---|" + ("---|" if strs else ""),
        ]
        for r in self.results:
            o = r.megc["overall"]
            line = (
                f"| {r.spotter} ({r.description}) | {r.megc['micro']['f1']:.3f} | {r.megc['macro']['f1']:.3f} "
                f"| {o['f1']:.3f} | {o['precision']:.3f} / {o['recall']:.3f} | {o['tp']} / {o['predictions']} / "
                f"{o['ground_truth']} |"
            )
            if strs and r.strs:
                line += f" {r.strs['strs']:.3f} ({r.strs['recognised']} / {r.strs['spotting_tp']}) |"
            lines.append(line)
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [f"{len(self.subjects)} subjects, {self.videos} videos, leave-one-subject-out:", self.table()]
        if self.recogniser:
            lines.append(f"STRS: intervals classified by {self.recogniser}; {STRS_RULE}")
        delivered = [r.file for r in self.results if r.file]
        if delivered:
            lines.append(f"delivered {len(delivered)} spotter(s) for `landmarkset spot --spotter`:")
            lines += [f"  {path}" for path in delivered]
        lines += [f"SKIPPED {name}: {why}" for name, why in self.skipped]
        lines += [f"DROPPED {row}: {why}" for row, why in self.sheet_dropped]
        lines += [f"FAILED {row}: {why}" for row, why in self.sheet_failed]
        lines += [f"FAILED {video}: {why}" for video, why in self.failed_videos]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)


def train_spotters(
    tracks_path: str,
    annotations: str,
    out_dir: str,
    *,
    layout: str = "samm",
    spotters: Sequence[str] = DEFAULT_SPOTTERS,
    windows: Optional[dict[str, Span]] = None,
    seed: int = 0,
    recogniser: Optional[str] = None,
    progress: Optional[bool] = None,
    overwrite: bool = False,
) -> SpotterStudy:
    """Score each of ``spotters`` leave-one-subject-out on the tracks of ``tracks_path`` that the long-video
    sheet ``annotations`` (read by ``layout``) annotates; write report.json, table.md and each trained spotter
    (fitted on every subject, at the median of its folds' settings) into ``out_dir``, a run folder
    (landmarkset.runfolder: another command's or run's is refused unless ``overwrite``). With ``recogniser`` (a
    model file), each spotter's intervals are also classified and STRS reported."""
    chosen = {name: get_spotter(name) for name in dict.fromkeys(spotters)}  # an unknown name fails before any work
    windows = {**DEFAULT_WINDOWS, **(windows or {})}
    recognition = load_recogniser(recogniser) if recogniser is not None else None  # a bad model fails first
    sheet = read_intervals(layout, annotations)
    truth = sheet.by_video()
    study = SpotterStudy(tracks_path, annotations, layout, 0, [], {kind: str(span) for kind, span in windows.items()})
    study.sheet_failed = [(failure.path, failure.reason) for failure in sheet.failed]
    study.sheet_dropped, study.recogniser = list(sheet.dropped), recogniser or ""
    settings = {"layout": layout, "spotters": list(chosen), "windows": study.windows, "seed": seed}
    writes = ("report.json", "table.md", *(f"{file_stem(name.replace(':', '-'))}.spotter" for name in chosen))
    with open_tracks(tracks_path) as store:
        usable = _usable_videos(store, tracks_path, annotations, truth, windows, study)
        with RunFolder(out_dir, "train-spotter", settings, [tracks_path, annotations, recogniser],
                       overwrite=overwrite, writes=writes):  # fmt: skip
            disable = None if progress is None else not progress
            with tqdm(total=len(chosen) * len(study.subjects), desc="spotters x folds", disable=disable) as bar:
                for name, spotter in chosen.items():
                    try:
                        videos = [load_video(store, video, spotter, windows, truth[video]) for video in usable]
                        evaluation = evaluate_spotter(spotter, videos, seed=seed, on_fold=bar.update)
                    except (InputError, OptionError) as error:
                        study.skipped.append((name, " ".join(str(error).split())))
                        bar.update(len(study.subjects))
                        continue
                    result = SpotterResult(name, evaluation.description, evaluation.setting, evaluation.megc,
                                           evaluation.folds)  # fmt: skip
                    if spotter.trained:
                        path = os.path.join(out_dir, f"{file_stem(name.replace(':', '-'))}.spotter")
                        result.file = save_spotter(path, _delivered(spotter, videos, evaluation, windows, seed, study))
                    if recognition is not None:
                        classified = recognise(evaluation.proposals, reader_of_store(store), *recognition)
                        result.strs = strs_score([i for v in videos for i in v.truth], classified).as_dict()
                    study.results.append(result)
            with atomic_file(os.path.join(out_dir, "table.md")) as handle:
                handle.write(study.table() + "\n")
            study.files = {
                "report": study.write(os.path.join(out_dir, "report.json")),
                "table": os.path.join(out_dir, "table.md"),
            }
    return study


def _usable_videos(
    store: TrackFile,
    tracks_path: str,
    annotations: str,
    truth: dict[str, list[Interval]],
    windows: dict[str, Span],
    study: SpotterStudy,
) -> list[str]:
    """The annotated videos of ``store`` that can be spotted (the others named in ``study.failed_videos``), with
    the study's subjects set; InputError when none is annotated or fewer than 3 subjects remain."""
    annotated = [name for name in store.ids() if name in truth]
    if not annotated:
        raise InputError(f"{tracks_path}: no track is a video of {annotations} (track ids are the sheet's videos)")
    usable = []
    for name in annotated:
        try:
            check_video(store, name, windows)
            usable.append(name)
        except (InputError, OptionError) as error:
            study.failed_videos.append((name, " ".join(str(error).split())))
    subjects = sorted({interval.subject or name for name in usable for interval in truth[name]})
    if len(subjects) < 3:
        raise InputError(
            f"leave-one-subject-out needs at least 3 subjects (settings are chosen on 2 or more); {tracks_path} has "
            f"{len(subjects)} with usable annotated videos ({', '.join(subjects) or 'none'})"
        )
    study.videos, study.subjects = len(usable), subjects
    return usable


def _delivered(
    spotter: Spotter,
    videos: list[SpotVideo],
    evaluation: SpotterEvaluation,
    windows: dict[str, Span],
    seed: int,
    study: SpotterStudy,
) -> DeliveredSpotter:
    """``spotter`` fitted on every video, at the median of the folds' settings (each chosen without its test
    subject), recording what it was trained and scored on and the landmark source of its tracks."""
    backends = {(v.source.get("backend"), v.source.get("backend_version")) for v in videos}
    backend, version = backends.pop() if len(backends) == 1 else ("", "")
    return DeliveredSpotter(
        spotter.fit(videos, seed),
        evaluation.median_settings(),
        dict(windows),
        {"backend": backend, "backend_version": version},
        {
            "tracks": os.path.abspath(study.tracks),
            "annotations": os.path.abspath(study.annotations),
            "layout": study.layout,
            "videos": [v.video for v in videos],
            "subjects": study.subjects,
            "seed": seed,
            "setting_rule": f"median of the leave-one-subject-out folds' {evaluation.setting}s",
            "loso_megc": evaluation.megc,
        },
    )
