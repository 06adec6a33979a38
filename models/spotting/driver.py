"""`landmarkset spot`: a spotter over every track of a store (whole videos), with the MEGC evaluation when a
sheet is given and spot-then-recognise (STRS) when a recogniser is too.

The spotter is the training-free recipe (:class:`~.spotters.BaselineSpotter`, ``p`` per expression type) or a
delivered one (``NAME.spotter`` of `train-spotter`, at its chosen threshold). Each video that cannot be
spotted (listed frames, windows in seconds without a frame rate, too short, features it lacks) fails alone in
one line; the others complete.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

from tqdm.auto import tqdm

from landmarkset.datasets.registry import read_intervals
from landmarkset.errors import InputError, OptionError, StoreError
from landmarkset.individuals import PersonRule
from landmarkset.intervals import MACRO, MICRO, Interval, Span
from landmarkset.io import TrackFile, open_tracks
from landmarkset.names import file_stem
from landmarkset.provenance import source_warning
from landmarkset.runfolder import RunFolder, atomic_file

from ..evaluation.megc import spotting_score
from ..evaluation.strs import strs_score
from ..inference import landmark_warning
from .figures import plot_spots
from .files import DeliveredSpotter, load_spotter
from .recognise import load_recogniser, reader_of_store, recognise
from .report import SpotReport, VideoSpots
from .spotters import BaselineSpotter, Spotter
from .videos import load_video

__all__ = ["DEFAULT_P", "DEFAULT_WINDOWS", "SPOT_FILES", "spot_tracks"]

SPOT_FILES = ("intervals.csv", "report.json", "curves/")
INTERVAL_COLUMNS = ("video", "subject", "onset", "offset", "type", "score")
EMOTION_COLUMNS = ("emotion", "emotion_probability")  # with a recogniser: empty where an interval has no sample
# k per type, in seconds: the reference's windows, CAS(ME)^2 6 / 18 frames at 30 fps (0.2 / 0.6 s) and
# SAMM-LV 37 / 174 at 200 fps (0.19 / 0.87 s), k = (N + 1) / 2 of the mean interval length N.
DEFAULT_WINDOWS = {MICRO: Span(0.2, seconds=True), MACRO: Span(0.8, seconds=True)}
DEFAULT_P = 0.5  # threshold = mean + p (max - mean); a setting to choose on training videos, never on test ones


@dataclass
class _Spotting:
    """What every video of one spot run shares: the spotter at its settings and windows, the sheet's intervals
    by video, the recogniser, and where figures go (None: none)."""

    spotter: Spotter
    settings: dict[str, float]
    windows: dict[str, Span]
    truth: Optional[dict[str, list[Interval]]]
    recognition: Optional[tuple[Any, Any]]
    curves: Optional[str]
    delivered: Optional[DeliveredSpotter] = None

    def video(self, store: TrackFile, track_id: str, report: SpotReport, individual: str = "") -> None:
        """Spot one video (the person ``store.person`` picks, named ``individual`` in the tables) into ``report``
        (or name why it cannot be, in ``report.failed``)."""
        try:
            video = load_video(store, track_id, self.spotter, self.windows, (self.truth or {}).get(track_id, []))
        except (OptionError, InputError) as error:
            report.failed.append((track_id, " ".join(str(error).split())))
            return
        if self.delivered is not None:
            warning = source_warning(f"{report.spotter} was trained", self.delivered.source, video.source, track_id)
            report.warnings += [warning] if warning else []
        curves = self.spotter.curves(video)
        proposals = self.spotter.intervals(video, curves, self.settings)
        if self.recognition is not None:
            model, record = self.recognition
            warning = landmark_warning(report.recogniser or "the recogniser", record, video.source, track_id)
            if warning and warning.split(":", 1)[1] not in {w.split(":", 1)[1] for w in report.warnings}:
                report.warnings.append(warning)
            proposals = recognise(proposals, reader_of_store(store), model, record)
        entry = VideoSpots(video.video, video.subject, video.frames, video.fps, video.ks, proposals, video.truth,
                           individual=individual)  # fmt: skip
        if self.truth is not None:
            entry.scores = {kind: s.as_dict() for kind, s in spotting_score(video.truth, proposals).items()}
        if self.curves is not None:
            shown, thresholds = self.spotter.shown(video, curves, self.settings)
            stem = file_stem(track_id) + (f"__person{individual}" if individual else "")
            output = os.path.join(self.curves, f"{stem}.png")
            plot_spots(shown, thresholds, proposals, video.truth, video.fps, output, track_id)
        report.videos.append(entry)

    def pool(self, report: SpotReport) -> None:
        """The pooled MEGC figures (and STRS) over the videos spotted."""
        if self.truth is None:
            return
        spotted = {entry.video for entry in report.videos}
        report.unmatched_annotations = sorted(set(self.truth) - spotted)
        pooled_truth = [interval for video in spotted for interval in self.truth.get(video, [])]
        pooled = [proposal for entry in report.videos for proposal in entry.proposals]
        report.megc = {kind: score.as_dict() for kind, score in spotting_score(pooled_truth, pooled).items()}
        if self.recognition is not None:
            report.strs = strs_score(pooled_truth, pooled).as_dict()


def spot_tracks(
    tracks_path: str,
    out_dir: str,
    *,
    windows: Optional[dict[str, Span]] = None,
    p: Union[float, dict[str, float]] = DEFAULT_P,
    masked: Optional[Sequence[str]] = None,
    annotations: Optional[str] = None,
    layout: str = "samm",
    sequences: Optional[list[str]] = None,
    curves: bool = True,
    recogniser: Optional[str] = None,
    spotter: Optional[str] = None,
    progress: Optional[bool] = None,
    overwrite: bool = False,
    person: Optional[str] = None,
) -> SpotReport:
    """Spot micro- and macro-expressions in every track (or ``sequences``) of ``tracks_path``; write OUT_DIR.

    ``windows``: k per type ("micro", "macro"), frames or seconds; ``p``: the recipe's threshold place, or one
    per type (as train-spotter's folds choose them); ``masked``: regions left out of the recipe's score (None:
    the eyes). ``annotations``: the long-video sheet of the videos, read by the ``layout`` that knows it (samm,
    casme-sq, smic-e, or a package's): the proposals are scored the MEGC way. ``recogniser``: a model file over
    landmarks that classifies each proposal (intervals.csv's emotion columns; STRS with a sheet). ``spotter``: a
    delivered spotter file (its windows are its training's). OUT_DIR is a run folder (landmarkset.runfolder):
    another command's, or another spot run's, is refused unless ``overwrite``.
    """
    places = p if isinstance(p, dict) else {kind: p for kind in (MACRO, MICRO)}
    if set(places) != {MACRO, MICRO} or not all(0 <= value <= 1 for value in places.values()):
        raise OptionError(f"-p must be between 0 and 1 (the threshold's place between mean and max); got {p}")
    if spotter is not None:
        delivered = load_spotter(spotter)
        if windows:
            shown = ", ".join(f"{kind} {span}" for kind, span in delivered.windows.items())
            raise OptionError(f"{spotter} spots with the windows it was trained with ({shown}): drop --micro, --macro")
        chosen, settings, windows = delivered.spotter, delivered.settings, delivered.windows
        method = f"the trained spotter {spotter} ({chosen.description})"
    else:
        delivered, chosen = None, BaselineSpotter(None if masked is None else tuple(masked))
        settings, windows = {kind: places[kind] for kind in chosen.passes}, {**DEFAULT_WINDOWS, **(windows or {})}
        method = "the training-free recipe (mean landmark region motion, head motion removed)"
    sheet = read_intervals(layout, annotations) if annotations else None
    run = _Spotting(chosen, settings, windows, sheet.by_video() if sheet else None,
                    load_recogniser(recogniser) if recogniser else None,
                    os.path.join(out_dir, "curves") if curves else None, delivered)  # fmt: skip
    report = SpotReport(
        tracks=tracks_path, method=method, spotter=spotter or chosen.name, setting=chosen.setting, settings=settings,
        windows={kind: str(span) for kind, span in windows.items()}, masked=list(getattr(chosen, "masked", ())),
        annotations=annotations, layout=layout if annotations else None, recogniser=recogniser,
        sheet_failed=[(f.path, f.reason) for f in sheet.failed] if sheet else [],
        sheet_dropped=list(sheet.dropped) if sheet else [],
    )  # fmt: skip
    recorded = {"windows": report.windows, "settings": settings, "masked": report.masked, "layout": report.layout,
                "sequences": sequences, "curves": curves}  # fmt: skip
    rule = None if person is None else PersonRule.parse(person)  # a bad rule fails before the run folder
    if rule is not None:  # absent otherwise: run folders of one-face stores are recorded as before
        recorded["person"] = rule.rule
    inputs = [tracks_path, annotations, recogniser, spotter]
    with open_tracks(tracks_path) as store:
        ids = list(dict.fromkeys(sequences)) if sequences else store.ids()  # -s X -s X: once
        missing = [name for name in ids if name not in store]
        if missing:
            raise OptionError(f"{tracks_path} has no sequence {missing[0]!r}; `landmarkset info -s` lists them")
        with RunFolder(out_dir, "spot", recorded, inputs, overwrite=overwrite, writes=SPOT_FILES):
            if run.curves is not None:
                os.makedirs(run.curves, exist_ok=True)
            disable = None if progress is None else not progress
            for track_id in tqdm(ids, desc="spotting", unit="video", disable=disable):
                _spot_people(run, store, track_id, report, rule)
            run.pool(report)
            report.files = {
                "intervals": _write_intervals(os.path.join(out_dir, "intervals.csv"), report, bool(run.recognition)),
                "report": report.write(os.path.join(out_dir, "report.json")),
                **({"curves": run.curves} if run.curves else {}),
            }
    return report


def _spot_people(
    run: _Spotting, store: TrackFile, track_id: str, report: SpotReport, person: Optional[PersonRule]
) -> None:
    """Spot a video: one face as always; of several faces, every individual, or the one ``person`` picks (a
    sheet scores one person per video, so with a sheet a rule is needed). A video the rule cannot pick in
    fails alone."""
    names = store.individual_names(track_id)
    if names and person is None and run.truth is not None:
        report.failed.append((track_id, f"holds {len(names)} individuals and a sheet scores one person per video: "
                                        "pass --person largest|longest|NAME"))  # fmt: skip
        return
    chosen = names
    if person is not None or not names:
        store.person = person
        try:
            chosen = [store.chosen_individual(track_id) or ""]
        except StoreError as error:  # e.g. --person 2 where the video has individuals 0 and 1
            report.failed.append((track_id, " ".join(str(error).split())))
            return
    for individual in chosen:
        store.person = PersonRule(individual) if individual else None
        run.video(store, track_id, report, individual)
    store.person = None


def _write_intervals(path: str, report: SpotReport, emotions: bool) -> str:
    """intervals.csv: one row per proposal (1-based frames), written whole or not at all; an ``individual``
    column after ``video`` when a video was spotted per person (several faces)."""
    several = any(entry.individual for entry in report.videos)
    with atomic_file(path, newline="") as handle:
        writer = csv.writer(handle)
        columns = [*INTERVAL_COLUMNS]
        if several:
            columns.insert(1, "individual")
        writer.writerow([*columns, *(EMOTION_COLUMNS if emotions else ())])
        for entry in report.videos:
            for p in entry.proposals:
                row = [p.video, p.subject, p.onset, p.offset, p.type, round(p.score, 6)]
                if several:
                    row.insert(1, entry.individual)
                if emotions:
                    row += [p.emotion or "", "" if p.emotion_probability is None else round(p.emotion_probability, 4)]
                writer.writerow(row)
    return path
