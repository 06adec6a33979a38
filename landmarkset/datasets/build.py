"""The one build path every layout shares: scan -> checks -> tracks -> samples -> /dataset -> crops.

The whole build runs under one writer of the output (its lock held from start to end). Stored tracks
are reused only when made exactly as asked (landmarkset.extraction.resume); anything else stops the
build before it writes. Every item the layout declares ends in the dataset, in ``dropped`` (a rule left it
out) or in ``failed`` (it could not be read), each with its reason, and all three are recorded.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np

from .._version import __version__
from ..errors import InputError, OptionError
from ..extraction import ExtractionReport, Failure, extract_into
from ..extraction.resume import check_resume
from ..extractors import FACES_OPTION, get_extractor
from ..individuals import PersonRule
from ..io.datasets import Dataset
from ..io.writer import TrackWriter
from ..names import name_problem
from .builder import ONSET_APEX, SPANS, DatasetBuilder
from .crops import DEFAULT_CROP_SIZE, compute_crops
from .layout import Item, Layout

__all__ = ["BuildReport", "build", "build_dataset", "build_whole_videos", "write_dataset"]

# The settings that cut samples, which whole-video builds refuse when changed from their defaults.
SAMPLE_SETTINGS = ("frames", "min_frames", "neutral", "per_class", "span", "seed", "crops", "crop_size")
LANDMARKS = ("extracted", "provided")
AUTO = "auto"  # neutral="auto": as many neutral samples as the other classes have on average (at most the paper's)
PAPER_NEUTRAL = 50  # the paper's synthetic neutral samples for CK+ (327 labelled sequences in 7 classes)


def neutral_count(neutral: Union[int, str], labels: Sequence[str]) -> int:
    """Synthetic neutral samples to add to real samples of ``labels``: ``neutral`` itself, or with "auto" the
    mean size of the other classes (at most PAPER_NEUTRAL) less the real neutral samples there are, so that
    neutral is about as large as an average class and accuracy cannot be earned by saying "neutral"."""
    if neutral != AUTO:
        return int(neutral)
    counts = Counter(labels)
    others = [count for label, count in counts.items() if label != "neutral"]
    target = min(PAPER_NEUTRAL, round(sum(others) / len(others))) if others else 0
    return max(0, target - counts.get("neutral", 0))


def imbalance_note(counts: dict[str, int]) -> Optional[str]:
    """A line naming how imbalanced the classes are, when the largest is over twice the smallest (else None)."""
    if len(counts) < 2 or not min(counts.values()):
        return None
    largest, smallest = max(counts, key=counts.get), min(counts, key=counts.get)
    if counts[largest] <= 2 * counts[smallest]:
        return None
    total = sum(counts.values())
    return (
        f"imbalanced classes: {largest} {counts[largest]} of {total} samples ({counts[largest] / total:.0%}), "
        f"{smallest} {counts[smallest]}: read UAR and UF1, not accuracy (always saying {largest} scores "
        f"{counts[largest] / total:.0%})"
    )


@dataclass
class BuildReport:
    """What a build did: the dataset, what was left out by rule or failed (one line each), and the tracks."""

    output: str
    dataset: Optional[Dataset] = None
    failed: list[Failure] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    repairs: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list, repr=False)  # what was built from, as the layout declared it
    extraction: Optional[ExtractionReport] = None
    tracks_written: int = 0
    tracks_reused: int = 0
    whole_videos: list[str] = field(default_factory=list)  # build_whole_videos: the videos stored whole

    @property
    def ok(self) -> bool:
        return (self.dataset is not None or bool(self.whole_videos)) and not self.failed

    def summary(self) -> str:
        lines = [f"tracks: {self.tracks_written} written, {self.tracks_reused} already done (kept)"]
        if self.extraction is not None:
            lines += [f"WARNING {warning}" for warning in self.extraction.warnings]
        if self.whole_videos:
            lines.append(
                f"{len(self.whole_videos)} whole video(s) in {self.output}, every frame (for landmarkset spot and "
                "train-spotter); no samples cut, no /dataset"
            )
        elif self.dataset is not None:
            lines += [f"dataset written to {self.output}:/dataset", self.dataset.counts_table()]
            note = imbalance_note(self.dataset.counts())
            lines += [f"WARNING {note}"] if note else []
        else:
            lines.append("no dataset written: every sequence was dropped or failed")
        # One line per reason ("8 frames, fewer than ..." and "9 frames, ..." are one reason).
        reasons = Counter(
            re.sub(r"^\d+ frames, |^a face on only \d+ of \d+ frames|^duplicate of .*", _reason_key, reason)
            for _, reason in self.dropped
        )
        for reason, count in sorted(reasons.items()):
            lines.append(f"dropped {count} sequence(s): {reason}")
        if self.repairs:
            lines.append(f"repaired {len(self.repairs)} annotation defect(s) (recorded in /dataset 'repairs')")
        lines += self.notes
        lines += [f"FAILED {failure.path}: {failure.reason}" for failure in self.failed]
        return "\n".join(lines)


def _reason_key(match: re.Match) -> str:
    text = match.group(0)
    if text.startswith("a face"):
        return "too few frames with a face"
    if text.startswith("duplicate"):
        return "duplicate (kept once)"
    return ""


def _check(name: str, value: Any, rule: str, ok: bool) -> None:
    if not ok:
        raise OptionError(f"The {name!r} parameter of the build must be {rule}. Got {value!r} instead.")


def _select(
    layout: Layout,
    items: list[Item],
    *,
    frames: int,
    min_frames: int,
    span: str,
    per_class: Optional[int],
    seed: int,
    report: BuildReport,
) -> list[Item]:
    """Items to build, in order: duplicates, classes, lengths and missing frames settled, then ``per_class``."""
    first: dict[str, Item] = {}
    conflicting: set[str] = set()
    for item in items:
        problem = name_problem(item.id)
        if problem is not None:
            report.failed.append(Failure(item.origin, f"cannot name a sequence {item.id!r}: {problem}"))
            continue
        earlier = first.get(item.id)
        if earlier is None:
            first[item.id] = item
        elif earlier.same_as(item):
            report.dropped.append((item.id, f"duplicate of {earlier.origin}"))
        else:
            conflicting.add(item.id)
            report.failed.append(
                Failure(item.origin, f"{item.id} is also declared by {earlier.origin}, differently; neither is used")
            )
    chosen = []
    for item in first.values():
        if item.id in conflicting:
            continue
        if layout.classes is not None and item.label not in layout.classes:
            report.dropped.append((item.id, f"class {item.label!r} not selected"))
        elif item.length(span) < min_frames:
            report.dropped.append((item.id, f"{item.length(span)} frames, fewer than min_frames={min_frames}"))
        elif not item.frames:
            report.failed.append(Failure(item.folder, f"no frames of {item.id} on disk"))
        else:
            absent = [number for number in item.needed(span, frames) if number not in item.frames]
            if absent:
                report.failed.append(Failure(item.folder, f"frame {absent[0]} of {item.id} is not on disk"))
            else:
                chosen.append(item)
    if per_class is not None:
        by_class: dict[str, list[int]] = {}
        for index, item in enumerate(chosen):
            by_class.setdefault(item.label, []).append(index)
        rng = np.random.default_rng(seed)
        keep = sorted(
            i for group in by_class.values() for i in rng.choice(group, min(per_class, len(group)), replace=False)
        )
        chosen = [chosen[i] for i in keep]
    return chosen


def _provided_tracks(writer: TrackWriter, layout: Layout, items: list[Item], report: BuildReport) -> None:
    """Store the tracks made from the layout's own landmark files (reusing those stored exactly so)."""
    requests = {item.id: layout.provided_provenance(item) for item in items}
    annotations = {item.id: {"subject": item.subject, "label": item.label} for item in items}
    done = check_resume(writer, requests, annotations=annotations)
    report.tracks_reused = len(done)
    for item in items:
        if item.id in writer:
            continue
        try:
            track = layout.provided_track(item, requests[item.id])
        except InputError as error:
            report.failed.append(Failure(item.folder, str(error)))
            continue
        track.subject, track.label = item.subject, item.label
        writer.write(track)
        report.tracks_written += 1


def _replacing(writer: TrackWriter, settings: str) -> list[str]:
    """A note when the store's earlier /dataset was built with other settings (it is replaced whole)."""
    try:
        earlier = json.loads(writer.dataset_attrs().get("settings", "null"))
    except (KeyError, ValueError):
        return []
    if not isinstance(earlier, dict):
        return []
    now = json.loads(settings)
    changed = [f"{key} {earlier.get(key)!r} -> {now.get(key)!r}" for key in sorted(set(earlier) | set(now))
               if earlier.get(key) != now.get(key)]  # fmt: skip
    return [f"replaced the earlier /dataset, built with other settings: {', '.join(changed)}"] if changed else []


def build_dataset(
    layout: Layout,
    output: str,
    *,
    landmarks: str = "extracted",
    backend: str = "mediapipe",
    options: Optional[dict[str, Any]] = None,
    frames: int = 20,
    min_frames: int = 10,
    neutral: Union[int, str] = 0,
    per_class: Optional[int] = None,
    span: str = "onset-offset",
    seed: int = 0,
    crops: bool = False,
    crop_size: int = DEFAULT_CROP_SIZE,
    workers: int = 1,
    progress: Optional[bool] = None,
    overwrite: bool = False,
    person: Optional[str] = None,
) -> BuildReport:
    """Build ``layout``'s dataset into ``output`` (its tracks plus ``/dataset``, and ``/dataset/crops``).

    ``landmarks="provided"`` uses the dataset's own landmark files (when the layout has them); otherwise
    ``backend`` extracts the frames each sample needs. ``span`` is the part of an interval a sample covers
    ("onset-offset" or "onset-apex"); ``per_class`` keeps that many random samples per class; ``neutral``
    adds synthetic neutral samples (a random sample's first frame repeated); ``seed`` drives every random
    choice. With ``overwrite`` the output is started anew (at its first write: a failed build leaves the old
    file); otherwise stored tracks are reused when made exactly as asked, and the build stops before
    writing anything when one was made otherwise (ProvenanceError). ``person`` ("largest", "longest" or an
    individual's name) is for clips of several people: every face is extracted (``extract --faces all``)
    and the labelled one is the individual the rule picks, recorded in the settings.
    """
    _check("landmarks", landmarks, "'extracted' or 'provided'", landmarks in LANDMARKS)
    _check("span", span, "'onset-offset' or 'onset-apex'", span in SPANS)
    for name, value in (("frames", frames), ("min_frames", min_frames), ("crop_size", crop_size)):
        _check(name, value, "an int >= 1", isinstance(value, int) and value >= 1)
    _check("neutral", neutral, "an int >= 0 or 'auto'", neutral == AUTO or (isinstance(neutral, int) and neutral >= 0))
    _check("per_class", per_class, "None or an int >= 1", per_class is None or per_class >= 1)
    if landmarks == "provided" and not layout.provides_landmarks:
        raise OptionError(f"{layout.name} has no landmark files of its own: use landmarks='extracted' and a backend")
    rule = None if person is None else PersonRule.parse(person)
    if rule is not None:
        if landmarks != "extracted":
            raise OptionError("--person picks among the faces a backend extracts: it needs landmarks='extracted'")
        options = {**(options or {}), FACES_OPTION: "all"}
    extractor = get_extractor(backend, **(options or {})) if landmarks == "extracted" else None
    settings: dict[str, Any] = {
        "layout": layout.name,
        "landmarks": "provided" if extractor is None else extractor.name,
        "frames": frames,
        "min_frames": min_frames,
        "span": span,
        "per_class": per_class,
        "neutral": neutral,
        "seed": seed,
        **layout.settings(),
    }
    if rule is not None:
        settings["person"] = rule.rule
    if extractor is not None:
        settings.update(backend=extractor.name, backend_version=extractor.version, backend_options=extractor.options)
    with TrackWriter(output, overwrite=overwrite, inputs=layout.inputs()) as writer:
        scan = layout.scan()
        report = BuildReport(output=output, failed=list(scan.failed), dropped=list(scan.dropped))
        report.repairs = list(scan.repairs)
        items = _select(
            layout, scan.items, frames=frames, min_frames=min_frames, span=span, per_class=per_class, seed=seed,
            report=report,
        )  # fmt: skip
        report.items = items
        if extractor is None:
            _provided_tracks(writer, layout, items, report)
        else:
            report.extraction = extract_into(
                writer,
                [item.source(span, frames, layout.root) for item in items],
                extractor,
                workers=workers,
                progress=progress,
                annotations={item.id: {"subject": item.subject, "label": item.label} for item in items},
            )
            report.failed += report.extraction.failed
            report.tracks_written = len(report.extraction.extracted)
            report.tracks_reused = len(report.extraction.skipped)
        builder = DatasetBuilder(frames=frames, min_frames=min_frames, classes=layout.classes)
        kinds = {}
        for item in items:
            if item.id in writer:
                track = writer.read(item.id, rule)
                builder.add_track(track, label=item.label, subject=item.subject, interval=item.interval, span=span)
                kinds[item.id] = item.kind
        report.dropped += builder.dropped
        real = sum(not sample.synthetic for sample in builder.samples)
        wanted = neutral_count(neutral, [sample.label for sample in builder.samples])
        if wanted and real:
            builder.add_neutral(min(wanted, real), seed=seed)
        if not builder.samples:
            return report
        builder.dropped = report.dropped
        dataset = builder.build(
            **{k: v for k, v in settings.items() if v is not None},
            settings=settings,
            root=os.path.abspath(layout.root),
            failed=[[failure.path, failure.reason] for failure in report.failed],
            repairs=report.repairs,
            builder=f"landmarkset {__version__}",
        )
        if any(kinds.values()):
            dataset.attrs["interval_kinds"] = json.dumps([kinds.get(name, "") for name in dataset.sequence])
        report.notes += _replacing(writer, dataset.attrs["settings"])
        writer.write_dataset(dataset)
        if crops:  # aligned face crops for the image model, read from the same frames
            crop_array, crop_attrs = compute_crops(dataset, dataset.tracks.__getitem__, crop_size, progress=progress)
            writer.write_crops(crop_array, crop_attrs)
    report.dataset = dataset
    return report


def build_whole_videos(
    layout: Layout,
    output: str,
    *,
    fps: Optional[float] = None,
    landmarks: str = "extracted",
    backend: str = "mediapipe",
    options: Optional[dict[str, Any]] = None,
    workers: int = 1,
    progress: Optional[bool] = None,
    overwrite: bool = False,
) -> BuildReport:
    """Store every frame of each long video that ``layout``'s items are intervals of (``Item.video``), one
    track per video recording its subject and ``fps`` (default: the layout's ``fps``, its release's frame rate;
    image folders have none of their own), for spotting. Nothing is cut into samples. The extraction is the one
    of ``landmarkset extract``: long videos are checkpointed every 2,048 frames and resumed, and a re-run reuses
    tracks made exactly as asked.
    """
    if landmarks != "extracted":
        raise OptionError(f"{layout.name} has no landmarks of its own for whole videos: extract them with a backend")
    extractor = get_extractor(backend, **(options or {}))
    with TrackWriter(output, overwrite=overwrite, inputs=layout.inputs()) as writer:
        scan = layout.scan()
        report = BuildReport(output=output, failed=list(scan.failed), dropped=list(scan.dropped))
        if scan.repairs:  # nothing of a whole video is repaired: its intervals are read from the sheet where used
            report.notes.append(
                f"the sheet has {len(scan.repairs)} annotation defect(s) in its intervals, not in the videos: spot "
                "and train-spotter read and repair the intervals from the sheet themselves"
            )
        videos: dict[str, Item] = {}
        for item in scan.items:
            if not item.video:
                raise OptionError(
                    f"{layout.name} holds clips, not intervals of long videos: build it without whole videos"
                )
            problem = name_problem(item.video)
            if problem is not None:
                report.failed.append(Failure(item.origin, f"cannot name a sequence {item.video!r}: {problem}"))
                continue
            earlier = videos.setdefault(item.video, item)
            if earlier.folder != item.folder or earlier.subject != item.subject:
                report.failed.append(
                    Failure(item.origin, f"video {item.video!r} is also {earlier.folder} of subject {earlier.subject}")
                )
        rate = float(getattr(layout, "fps", math.nan) if fps is None else fps)
        sources = [item.whole_video(layout.root, rate) for item in videos.values()]
        annotations = {video: {"subject": item.subject, "fps": rate} for video, item in videos.items()}
        report.extraction = extract_into(
            writer, sources, extractor, workers=workers, progress=progress, annotations=annotations
        )
        report.failed += report.extraction.failed
        report.tracks_written = len(report.extraction.extracted)
        report.tracks_reused = len(report.extraction.skipped)
        report.whole_videos = sorted(video for video in videos if video in writer)
    return report


def write_dataset(path: str, dataset: Dataset, *, overwrite: bool = False, inputs: Sequence[str] = ()) -> None:
    """Write ``dataset`` into the store ``path`` (created if needed): ``/dataset`` and the tracks its samples
    came from (``dataset.tracks``), so that figures can show their frames.

    A track already in the store is kept when it is the same; one made otherwise is refused
    (ProvenanceError). Samples added as bare arrays have no track: a warning says that figures will draw
    their landmarks as outlines instead of faces. ``path`` may not be one of ``inputs`` (the files read).
    """
    with TrackWriter(path, overwrite=overwrite, inputs=inputs) as writer:
        requests = {track_id: track.provenance for track_id, track in dataset.tracks.items()}
        check_resume(writer, requests)
        for track_id, track in dataset.tracks.items():
            if track_id not in writer:
                writer.write(track)
        writer.write_dataset(dataset)
        without = sorted({dataset.source_sequence(i) for i in range(len(dataset))} - writer.ids())
    if without:
        warnings.warn(
            f"{len(without)} sample(s) of {path} (e.g. {without[0]!r}) have no track in the file, so figures will "
            "draw their landmarks as outlines instead of faces: add them with DatasetBuilder.add_track",
            UserWarning,
            stacklevel=2,
        )


def build(
    layout: str,
    root: str,
    output: str,
    *,
    whole_videos: bool = False,
    apex: bool = False,
    per_emotion: Optional[int] = None,
    layout_options: Optional[dict[str, Any]] = None,
    **settings: Any,
) -> BuildReport:
    """Build the dataset layout named ``layout`` (`landmarkset layouts` lists them) under ``root`` into ``output``:
    the Python twin of `landmarkset build NAME`, with its option names.

    ``settings`` hold the layout's sheet by its keyword (``annotations=``, ``manifest=``), its declared options
    by name (or as text in ``layout_options``, the CLI's ``-L KEY=VALUE``) and the settings of
    :func:`build_dataset`; ``neutral`` defaults to the layout's own. ``apex=True`` is ``span="onset-apex"``,
    ``per_emotion`` is ``per_class``. ``whole_videos`` (layouts of long videos) stores every frame of each
    video the sheet names for spotting (:func:`build_whole_videos`) and refuses the settings that cut samples.
    """
    from .registry import declaration

    declared = declaration(layout)
    sheet = settings.pop(declared.sheet_keyword, None) if declared.sheet_keyword else None
    own = {**(layout_options or {}), **{key: settings.pop(key) for key in list(settings) if key in declared.options}}
    if apex:  # the flag of SAMM's paper setting, for any layout
        settings["span"] = ONSET_APEX
    if per_emotion is not None:
        settings["per_class"] = per_emotion
    known = inspect.signature(build_dataset).parameters
    unknown = sorted(set(settings) - set(known))
    if unknown:
        options = sorted([*declared.options, *(name for name in known if name not in ("layout", "output"))])
        raise OptionError(f"unknown option {unknown[0]!r} for the {layout} layout; options: {', '.join(options)}")
    if not os.path.isdir(root):
        raise InputError(f"{root}: no such folder (the root of the {layout} tree)")
    if sheet is not None and not os.path.isfile(sheet):
        raise InputError(f"{sheet}: no such file ({declared.sheet_help})")
    made = declared.make(root, sheet, whole_videos=whole_videos, **own)
    if whole_videos:
        if settings.get("person") is not None:
            raise OptionError("whole videos are stored with one face for spotting: --person applies to samples only")
        settings.pop("person", None)
        cut = sorted(name for name in SAMPLE_SETTINGS if name in settings and settings[name] != known[name].default)
        if cut:
            flags = {"span": "--span/--apex", "per_class": "--per-class/--per-emotion"}
            shown = ", ".join(f"{name} ({flags.get(name, '--' + name.replace('_', '-'))})" for name in cut)
            raise OptionError(
                f"whole videos cut no samples, so {shown} do not apply: drop them, or build the annotated intervals "
                "as samples without whole videos"
            )
        report = build_whole_videos(made, output, **{k: v for k, v in settings.items() if k not in SAMPLE_SETTINGS})
    else:
        report = build_dataset(made, output, **{"neutral": declared.neutral, **settings})
    finish = getattr(made, "finish", None)
    if callable(finish):
        finish(report)
    return report
