"""The typed result of `landmarkset spot` (report.json is its ``to_json()``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from ..runinfo import JsonReport

__all__ = ["SpotReport", "VideoSpots"]


@dataclass
class VideoSpots:
    """One video: its proposals (onset, offset, type, score) and, with a sheet, its ground truth and scores."""

    video: str
    frames: int
    fps: float
    windows: dict[str, int]  # k in frames per type
    proposals: list[dict[str, Any]] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    scores: Optional[dict[str, dict[str, float]]] = None  # MEGC counts and figures per type, this video


@dataclass
class SpotReport(JsonReport):
    tracks: str
    method: str
    windows: dict[str, str]  # k per type as given: "0.2 s" or "40 frames" (each video's frames: VideoSpots)
    p: float
    masked: list[str]
    micro_limit_seconds: float  # a proposal shorter than this is micro, else macro
    videos: list[VideoSpots] = field(default_factory=list)
    megc: Optional[dict[str, dict[str, float]]] = None  # pooled over the videos with ground truth
    annotations: Optional[str] = None
    unmatched_annotations: list[str] = field(default_factory=list)  # sheet videos with no track
    spotter: Optional[str] = None  # the trained spotter file that spotted (None: the training-free recipe)
    threshold: Optional[float] = None  # its probability threshold
    recogniser: Optional[str] = None  # the model that classified the proposals, if any
    strs: Optional[dict[str, Any]] = None  # spot-then-recognise counts and figures (recogniser and annotations)
    failed: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        return content

    def summary(self) -> str:
        counts = {kind: sum(p["type"] == kind for v in self.videos for p in v.proposals) for kind in ("micro", "macro")}
        lines = [
            f"{len(self.videos)} video(s) spotted by {self.method}: {counts['micro']} micro and {counts['macro']} "
            f"macro proposals (k = {self.windows['micro']} and {self.windows['macro']}, "
            + (f"p = {self.p:g})" if self.spotter is None else f"probability above {self.threshold:.2f})")
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
                f"  STRS {s['strs']:.3f} = spotting F1 {s['spotting_f1']:.3f} x recognition UF1 "
                f"{s['recognition_f1']:.3f} "
                f"({s['tp']} of {s['spotted']} spotted intervals recognised; classified by {self.recogniser})"
            )
            lines.append(f"  ({s['rule']})")
        if self.unmatched_annotations:
            lines.append(
                f"WARNING {len(self.unmatched_annotations)} annotated video(s) have no track and are not scored, "
                f"e.g. {self.unmatched_annotations[0]!r}"
            )
        lines += [f"FAILED {video}: {reason}" for video, reason in self.failed]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)
