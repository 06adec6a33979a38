"""The typed results of `landmarkset spot` (:class:`SpotReport`, report.json is its ``to_json()``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from landmarkset.intervals import MICRO_LIMIT_SECONDS, MICRO_WINDOW_SECONDS, Interval, Proposal
from landmarkset.outcome import exit_code

from ..runinfo import JsonReport

__all__ = ["TYPE_RULE", "SpotReport", "VideoSpots"]

TYPE_RULE = (
    f"micro when shorter than {MICRO_LIMIT_SECONDS:g} s (on a track without a frame rate, the micro window stands "
    f"for {MICRO_WINDOW_SECONDS:g} s)"
)


@dataclass
class VideoSpots:
    """One video: its proposals and, with a sheet, its annotated intervals and MEGC scores."""

    video: str
    subject: str
    frames: int
    fps: float
    windows: dict[str, int]  # k in frames per type
    proposals: list[Proposal] = field(default_factory=list)
    truth: list[Interval] = field(default_factory=list)
    scores: Optional[dict[str, dict[str, float]]] = None  # MEGC counts and figures per type, this video
    individual: str = ""  # the person, in a video extracted with several faces (extract --faces)

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k not in ("proposals", "truth")},
            "proposals": [p.as_row() for p in self.proposals],
            "truth": [t.as_row() for t in self.truth],
        }


@dataclass
class SpotReport(JsonReport):
    tracks: str
    method: str
    spotter: str  # a registered spotter's name, or the file of a delivered one
    setting: str  # what ``settings`` are: the recipe's "p" or a trained spotter's probability "threshold"
    settings: dict[str, float]  # per pass
    windows: dict[str, str]  # k per type as given: "0.2 s" or "40 frames" (each video's frames: VideoSpots)
    masked: list[str]
    type_rule: str = TYPE_RULE
    videos: list[VideoSpots] = field(default_factory=list)
    megc: Optional[dict[str, dict[str, float]]] = None  # pooled over the videos with ground truth
    annotations: Optional[str] = None
    layout: Optional[str] = None  # the layout that read the annotations
    unmatched_annotations: list[str] = field(default_factory=list)  # sheet videos with no track
    sheet_failed: list[tuple[str, str]] = field(default_factory=list)  # sheet rows that could not be read
    sheet_dropped: list[tuple[str, str]] = field(default_factory=list)  # rows a repair policy left out, repeats
    recogniser: Optional[str] = None  # the model that classified the proposals, if any
    strs: Optional[dict[str, Any]] = None  # spot-then-recognise (recogniser and annotations)
    failed: list[tuple[str, str]] = field(default_factory=list)  # videos that could not be spotted
    warnings: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0: every video and sheet row was used; 1: some failed (named); 2: no video could be spotted."""
        return exit_code(len(self.videos), len(self.failed) + len(self.sheet_failed))

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        content["videos"] = [video.to_json() for video in self.videos]
        return content

    def summary(self) -> str:
        counts = {kind: sum(p.type == kind for v in self.videos for p in v.proposals) for kind in ("micro", "macro")}
        values = set(self.settings.values())
        each = ", ".join(f"{self.setting} {value:.2f} ({name})" for name, value in self.settings.items())
        shown = f"{self.setting} {values.pop():.2f}" if len(values) == 1 else each
        lines = [
            f"{len(self.videos)} video(s) spotted by {self.method}: {counts['micro']} micro and {counts['macro']} "
            f"macro proposals (k = {self.windows['micro']} and {self.windows['macro']}, {shown}; micro under "
            f"{MICRO_LIMIT_SECONDS:g} s)"
        ]
        if self.megc:
            for kind in ("micro", "macro", "overall"):
                s = self.megc[kind]
                lines.append(
                    f"  MEGC {kind:<7} GT {s['ground_truth']:>4}  proposals {s['predictions']:>5}  TP {s['tp']:>4}  "
                    f"P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}"
                )
        if self.strs:
            s = self.strs
            lines.append(
                f"  STRS {s['strs']:.3f} = spotting F1 {s['spotting_f1']:.3f} x analysis F1 {s['analysis_f1']:.3f} "
                f"({s['recognised']} of {s['spotting_tp']} spotted pairs recognised; classified by {self.recogniser})"
            )
            lines.append(f"  ({s['rule']})")
        if self.unmatched_annotations:
            lines.append(
                f"WARNING {len(self.unmatched_annotations)} annotated video(s) have no track and are not scored, "
                f"e.g. {self.unmatched_annotations[0]!r}"
            )
        lines += [f"WARNING {warning}" for warning in self.warnings]
        lines += [f"DROPPED {row}: {why}" for row, why in self.sheet_dropped]
        lines += [f"FAILED {row}: {why}" for row, why in self.sheet_failed]
        lines += [f"FAILED {video}: {reason}" for video, reason in self.failed]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)
