"""The vocabulary of expression intervals, below every stage: what an interval is, when it is a micro-expression,
and how a length is given (frames or seconds).

Frame numbers are 1-based and inclusive, as the field's sheets and the MEGC metric count them. In a track,
frame number n is its n-th frame (``frame_index`` n - 1 of a contiguous video). Every stage (the builders,
``predict``, the spotters, the recogniser, the metrics) reads these types from here, never from another stage.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional

from .errors import OptionError

__all__ = [
    "MACRO",
    "MICRO",
    "MICRO_LIMIT_SECONDS",
    "MICRO_WINDOW_SECONDS",
    "TYPES",
    "Interval",
    "Proposal",
    "Span",
    "micro_limit",
    "parse_span",
    "type_by_duration",
]

MICRO, MACRO = "micro", "macro"
TYPES = (MACRO, MICRO)
MICRO_LIMIT_SECONDS = 0.5  # shorter is a micro-expression (the SAMM long-video paper's boundary)
# What a micro window k stands for when a track has no frame rate: the field's micro windows are about 0.2 s
# (k = (N + 1) / 2 of the mean micro interval: CAS(ME)^2 6 frames at 30 fps, SAMM-LV 37 at 200 fps).
MICRO_WINDOW_SECONDS = 0.2


@dataclass(frozen=True)
class Interval:
    """An expression interval of one video: frames ``onset``..``offset`` (1-based, inclusive), its ``type``
    (micro or macro), and where known its apex, emotion and subject."""

    video: str
    onset: int
    offset: int
    type: str = MACRO
    apex: Optional[int] = None
    emotion: Optional[str] = None
    subject: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"an interval's type must be 'macro' or 'micro', got {self.type!r}")

    @property
    def length(self) -> int:
        """Frames from onset to offset, both counted."""
        return self.offset - self.onset + 1

    def as_row(self) -> dict[str, object]:
        """The interval as a report row (JSON types only)."""
        row: dict[str, object] = {"video": self.video, "onset": self.onset, "offset": self.offset, "type": self.type}
        if self.apex is not None:
            row["apex"] = self.apex
        if self.emotion is not None:
            row["emotion"] = self.emotion
        if self.subject:
            row["subject"] = self.subject
        return row


@dataclass(frozen=True)
class Proposal(Interval):
    """An interval a spotter proposes: its ``score`` (the curve's height there) and, once a recogniser has
    classified it, its ``emotion`` and that class's probability."""

    score: float = 0.0
    emotion_probability: Optional[float] = None

    def as_row(self) -> dict[str, object]:
        row = {**super().as_row(), "score": round(self.score, 6)}
        if self.emotion_probability is not None:
            row["emotion_probability"] = round(self.emotion_probability, 4)
        return row


def micro_limit(fps: float, micro_window: int) -> float:
    """Frames under which an interval is a micro-expression: 0.5 s at ``fps``; on a track without a frame rate,
    the micro window (``micro_window`` frames) stands for 0.2 s, so that a folder of 200 fps frames spotted with
    a 40-frame micro window types its intervals as the same folder extracted with ``--fps 200`` does."""
    if math.isfinite(fps) and fps > 0:
        return MICRO_LIMIT_SECONDS * fps
    return MICRO_LIMIT_SECONDS / MICRO_WINDOW_SECONDS * micro_window


def type_by_duration(onset: int, offset: int, limit: float) -> str:
    """MICRO for an interval shorter than ``limit`` frames (:func:`micro_limit`), else MACRO."""
    return MICRO if offset - onset + 1 < limit else MACRO


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|f|frames?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A length in frames, or in seconds (converted with each track's frame rate)."""

    value: float
    seconds: bool = False

    def __str__(self) -> str:
        return f"{self.value:g} s" if self.seconds else f"{int(self.value)} frames"

    def frames(self, fps: float) -> int:
        """The span in frames at ``fps``; OptionError for seconds on a track without a frame rate."""
        if not self.seconds:
            return max(1, int(self.value))
        if not math.isfinite(fps) or fps <= 0:
            raise OptionError(
                f"a length in seconds ({self.value:g}s) needs the track's frame rate, which it does not record: "
                "extract frame folders with --fps (SAMM and CASME II 200, SMIC-HS 100, CAS(ME)^2 30), or give "
                "lengths in frames"
            )
        return max(1, round(self.value * fps))


def parse_span(text: str) -> Span:
    """'20' or '20f' (frames), '0.7s' (seconds); OptionError otherwise."""
    match = _SPAN.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise OptionError(f"expected a positive number of frames (20) or seconds (0.7s); got {text!r}")
    return Span(float(match.group(1)), seconds=(match.group(2) or "").lower() == "s")
