"""Expression timing and head motion for one synthetic sequence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ._aus import expression_field, moved_points
from ._render import Renderer

# FACS intensity A..E as 1..5; an AU at intensity E moves its points by its full field.
FACS_AMPLITUDE = {1: 0.35, 2: 0.5, 3: 0.7, 4: 0.85, 5: 1.0}


@dataclass
class Expression:
    """What a sequence shows: AUs with FACS intensities, and when."""

    aus: dict[str, int]  # "12" or "R12" -> FACS intensity 1..5
    onset: int  # last neutral frame before the movement starts
    apex: int  # first frame at full intensity
    offset: Optional[int] = None  # last frame of the movement (None: holds the apex to the end)
    emotion: Optional[str] = None
    amplitudes: dict[str, float] = field(default_factory=dict)

    def field(self) -> np.ndarray:
        return expression_field(self.amplitudes or {au: FACS_AMPLITUDE[i] for au, i in self.aus.items()})

    def strength(self, frame: int) -> float:
        """0 at rest, 1 at the apex, smooth in between (and back down to the offset)."""
        if frame <= self.onset:
            return 0.0
        if frame < self.apex:
            x = (frame - self.onset) / (self.apex - self.onset)
            return float(x * x * (3 - 2 * x))
        if self.offset is None or frame <= self.apex:
            return 1.0
        if frame >= self.offset:
            return 0.0
        x = (self.offset - frame) / (self.offset - self.apex)
        return float(x * x * (3 - 2 * x))

    def moved(self) -> list[int]:
        return moved_points(self.field())


def head_motion(rng: np.random.Generator, frames: int, still_first: bool = True) -> np.ndarray:
    """(frames, 3) small smooth head motion: dx, dy pixels and degrees, a bounded random walk."""
    steps = rng.normal(0, [0.25, 0.25, 0.08], (frames, 3))
    if still_first:
        steps[0] = 0
    walk = np.cumsum(steps, axis=0)
    return np.clip(walk, [-3, -3, -1.5], [3, 3, 1.5])


def render_sequence(
    renderer: Renderer, expression: Expression, motion: np.ndarray, frames: Optional[range] = None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(frame number, image, 68 landmarks in pixels) for each frame, streamed."""
    full = expression.field()
    for t in frames if frames is not None else range(len(motion)):
        yield t, *renderer.render(renderer.neutral + expression.strength(t) * full, tuple(motion[t]))
