"""The typed result of `landmarkset predict` (:class:`PredictionReport`); summary.json is written from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from landmarkset.outcome import exit_code

from ..runinfo import JsonReport


@dataclass
class SequencePrediction:
    """One sequence: how many windows were scored or skipped, the share of windows per top class, and the
    longest stretch of consecutive face frames whose top class is each class."""

    sequence: str
    frames: int
    fps: float
    windows: int  # scored
    skipped_windows: int  # windows with a face on fewer than half their frames (landmarkset.windows)
    frames_with_face: int
    window_shares: dict[str, float]  # class -> share of the scored windows whose top class it is
    longest: dict[str, dict[str, float]]  # class -> {"frames", "start", "end", "seconds"} (0-based frames)
    timeline: str = ""
    individual: str = ""  # the person, in a sequence extracted with several faces (extract --faces)

    @property
    def name(self) -> str:
        """The sequence, and the person when it has several: ``clip #1``."""
        return f"{self.sequence} #{self.individual}" if self.individual else self.sequence


@dataclass
class PredictionReport(JsonReport):
    model: str
    model_name: str
    tracks: str
    classes: list[str]
    window: int  # source frames per window of the first sequence predicted (seconds follow each track's fps)
    stride: int
    model_frames: int  # frames the model takes: each window is resampled to them
    sequences: list[SequencePrediction] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (sequence, reason)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    video_seconds: float = 0.0  # duration of the predicted tracks
    files: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0: every sequence predicted; 1: some failed (named); 2: none could be."""
        return exit_code(len(self.sequences), len(self.failed))

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("files")
        return content

    def share(self, name: str) -> float:
        """Share of all scored windows (every sequence) whose top class is ``name``."""
        total = sum(s.windows for s in self.sequences)
        return sum(s.window_shares.get(name, 0.0) * s.windows for s in self.sequences) / total if total else 0.0

    def summary(self) -> str:
        ratio = self.video_seconds / self.seconds if self.seconds and self.video_seconds else 0.0
        speed = f", {ratio:.{0 if ratio >= 10 else 1}f}x real time" if ratio else ""
        lines = [
            f"{len(self.sequences)} sequence(s), windows of {self.window} frames every {self.stride} "
            f"(resampled to {self.model_frames}) in {self.seconds:.1f} s{speed}"
        ]
        for entry in self.sequences:
            ranked = sorted(entry.window_shares.items(), key=lambda item: -item[1])
            shares = ", ".join(f"{name} {share:.2f}" for name, share in ranked)
            if not entry.windows and not entry.skipped_windows:
                lines.append(f"  {entry.name}: {entry.frames} frames, shorter than one window: nothing predicted")
                continue
            lines.append(
                f"  {entry.name}: {entry.windows} windows ({entry.skipped_windows} skipped: a face on fewer than "
                "half their frames)" + (f"; top class shares {shares}" if shares else "")
            )
        lines += [f"WARNING {warning}" for warning in self.warnings]
        lines += [f"FAILED {sequence}: {reason}" for sequence, reason in self.failed]
        lines += [f"  {path}" for path in self.files.values()]
        return "\n".join(lines)
