"""What an extraction did, input by input: extracted, already done, failed (with the reason), and warnings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["ExtractionReport", "Failure"]


@dataclass(frozen=True)
class Failure:
    """An input that could not be extracted, and why (one line)."""

    path: str
    reason: str


@dataclass
class ExtractionReport:
    """What a call to :func:`landmarkset.extract` did.

    Every input given or found ends in exactly one of ``extracted``, ``skipped`` (already in the store,
    made by the same backend from the same frames of the same files) or ``failed``. ``warnings`` are
    one-line notes on extracted sequences (e.g. a video that decoded fewer frames than its container
    promises); ``ignored`` lists media files that belong to no sequence, with the reason.
    """

    output: str
    extracted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    frames: int = 0
    frames_with_face: int = 0
    seconds: float = 0.0
    verb: str = "extracted"  # what the run did to its inputs ("imported" for the import commands)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        rate = self.frames / self.seconds if self.seconds > 0 else math.nan
        face = 100 * self.frames_with_face / self.frames if self.frames else math.nan
        lines = [f"{len(self.extracted)} sequence(s) {self.verb} into {self.output}"]
        if self.frames:
            speed = f", {rate:.1f} frames/s" if math.isfinite(rate) else ""  # imports time nothing
            lines[0] += f" ({self.frames} frames, face found in {face:.1f} %{speed})"
        if self.skipped:
            lines.append(f"{len(self.skipped)} sequence(s) already done (same backend, frames and source files), kept")
        lines += [f"WARNING {warning}" for warning in self.warnings]
        if self.ignored:
            path, reason = self.ignored[0]
            more = f" (and {len(self.ignored) - 1} more)" if len(self.ignored) > 1 else ""
            lines.append(f"ignored {len(self.ignored)} file(s): {path}{more}: {reason}")
        lines += [f"FAILED {failure.path}: {failure.reason}" for failure in self.failed]
        lines.append(
            f"{len(self.extracted) + len(self.skipped) + len(self.failed)} input sequence(s): "
            f"{len(self.extracted)} {self.verb}, {len(self.skipped)} already done, {len(self.failed)} failed"
        )
        return "\n".join(lines)
