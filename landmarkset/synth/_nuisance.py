"""The nuisances of real video, each switchable and recorded in the truth file: speech-like mouth and jaw
cycles, blinks, head rotation (yaw and pitch out of plane through a depth template of the 68 points, and
roll), translation and scale drift, and expression intensity that varies.

They move the face without an expression: a model that must call such motion "neutral" learns what is
expression and what is not. Offsets are in face coordinates (units of the outer-eye-corner distance, y down).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Optional, Union

import numpy as np

from ..errors import OptionError
from ._aus import au_field

# Depth of each point towards the camera, face units (a frontal mean face, roughly): what out-of-plane
# rotation moves. The jaw curves back to the ears, the nose tip stands out, eyes sit back.
_JAW_DEPTH = [-0.9 + 0.95 * math.sin(math.pi * i / 16) for i in range(17)]
_BROWS = [0.0, 0.06, 0.12, 0.15, 0.15, 0.15, 0.15, 0.12, 0.06, 0.0]
_NOSE = [0.2, 0.35, 0.5, 0.65, 0.35, 0.4, 0.45, 0.4, 0.35]
_EYES = [-0.05, 0.0, 0.0, 0.05, 0.0, 0.0, 0.05, 0.0, 0.0, -0.05, 0.0, 0.0]
_MOUTH = [0.15, 0.25, 0.32, 0.35, 0.32, 0.25, 0.15, 0.25, 0.32, 0.35, 0.32, 0.25]
_INNER = [0.2, 0.28, 0.3, 0.28, 0.2, 0.28, 0.3, 0.28]
DEPTH = np.array(_JAW_DEPTH + _BROWS + _NOSE + _EYES + _MOUTH + _INNER)
assert DEPTH.shape == (68,)

_UPPER_LIDS, _LOWER_LIDS = (37, 38, 43, 44), (41, 40, 47, 46)  # each upper lid point and the one below it
# Jaw drop and parted lips, without the brows and lids of surprise: at its widest (amplitude 1) the jaw drops
# 0.24 eye-corner distances, as far as a moderate surprise (AU 26 at C-D) drops it.
_SPEECH = 0.8 * au_field(26) + au_field(25)


@dataclass(frozen=True)
class Nuisances:
    """Which nuisances a generated sequence carries (all by default)."""

    speech: bool = True
    blinks: bool = True
    head_rotation: bool = True
    drift: bool = True
    intensity: bool = True

    @classmethod
    def none(cls) -> Nuisances:
        """The generator before 0.5: small in-plane head motion only."""
        return cls(**{f.name: False for f in fields(cls)})

    @classmethod
    def parse(cls, text: str) -> Nuisances:
        """'all', 'none', or a comma list of names (speech,blinks,head_rotation,drift,intensity)."""
        text = text.strip().lower()
        if text in ("all", ""):
            return cls()
        if text == "none":
            return cls.none()
        names = {name.strip().replace("-", "_") for name in text.split(",")}
        known = {f.name for f in fields(cls)}
        unknown = sorted(names - known)
        if unknown:
            raise ValueError(f"unknown nuisance {unknown[0]!r}; known: all, none, {', '.join(sorted(known))}")
        return cls(**{name: name in names for name in known})

    @classmethod
    def of(cls, value: Union[str, Nuisances]) -> Nuisances:
        """``value`` itself, or parsed from its text (as `landmarkset synth --nuisances` gives it)."""
        if not isinstance(value, str):
            return value
        try:
            return cls.parse(value)
        except ValueError as error:
            raise OptionError(f"nuisances (--nuisances): {error}") from None

    def __str__(self) -> str:
        chosen = [name for name, on in self.as_dict().items() if on]
        return "all" if len(chosen) == len(fields(self)) else ",".join(chosen) or "none"

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)

    @property
    def any(self) -> bool:
        return any(self.as_dict().values())


ALL_NUISANCES = Nuisances()


@dataclass
class NuisanceMotion:
    """One sequence's nuisance motion, frame by frame."""

    offsets: np.ndarray  # (frames, 68, 2) face-coordinate displacement (speech, blinks)
    pose: np.ndarray  # (frames, 6): yaw, pitch, roll (degrees), dx, dy (pixels), scale
    intensity: float  # factor on the expression's amplitude
    speech_rate: Optional[float]  # syllables per second, None: silent
    blinks: list[int]  # first frame of each blink

    def truth(self) -> dict[str, Any]:
        return {
            "speech_rate_hz": None if self.speech_rate is None else round(self.speech_rate, 3),
            "blink_frames": self.blinks,
            "intensity": round(self.intensity, 3),
            "pose": np.round(self.pose, 3).tolist(),
        }


def _smooth_walk(rng: np.random.Generator, frames: int, step: float, limit: float) -> np.ndarray:
    """A bounded random walk that starts at 0."""
    walk = np.cumsum(np.r_[0.0, rng.normal(0, step, frames - 1)])
    return np.clip(walk, -limit, limit)


def _blink_field(neutral: np.ndarray) -> np.ndarray:
    """Closed eyes: each upper lid point most of the way down to the lower lid, the lower lid a little up."""
    field = np.zeros((68, 2))
    for upper, lower in zip(_UPPER_LIDS, _LOWER_LIDS):
        gap = neutral[lower, 1] - neutral[upper, 1]
        field[upper, 1] += 0.85 * gap
        field[lower, 1] -= 0.1 * gap
    return field


def nuisance_motion(
    rng: np.random.Generator, frames: int, fps: float, nuisances: Nuisances, neutral: np.ndarray,
    speaking: float = 0.5,
) -> NuisanceMotion:  # fmt: skip
    """Nuisance motion for a sequence of ``frames`` at ``fps`` of a face at rest ``neutral`` (68, 2);
    ``speaking``: the chance that it speaks."""
    t = np.arange(frames) / fps
    offsets = np.zeros((frames, 68, 2))
    rate = None
    if nuisances.speech and rng.random() < speaking:
        rate = float(rng.uniform(3, 6))  # syllables per second
        phase = rng.uniform(0, 2 * math.pi)
        # syllables of varying size, with pauses: a slowly varying amplitude, sometimes 0
        envelope = np.clip(rng.uniform(0.3, 0.7) + _smooth_walk(rng, frames, 0.1, 0.45), 0, 1)
        opening = envelope * (1 - np.cos(2 * math.pi * rate * t + phase)) / 2
        offsets += opening[:, None, None] * _SPEECH
    blinks = []
    if nuisances.blinks:
        per_second = rng.uniform(10, 20) / 60
        blink = _blink_field(neutral)
        frame = int(rng.exponential(fps / per_second)) if frames else 0
        while frame < frames:
            length = max(2, round(rng.uniform(0.1, 0.4) * fps))
            closure = np.sin(np.linspace(0, math.pi, length + 2)[1:-1])  # closes and opens
            stop = min(frames, frame + length)
            offsets[frame:stop] += closure[: stop - frame, None, None] * blink
            blinks.append(int(frame))
            frame = stop + int(rng.exponential(fps / per_second))
    pose = np.zeros((frames, 6))
    pose[:, 5] = 1.0
    if nuisances.head_rotation and frames:
        limits = rng.uniform([3, 2, 1.5], [8, 6, 4])  # yaw, pitch, roll bounds of this sequence (degrees)
        for axis in range(3):
            pose[:, axis] = _smooth_walk(rng, frames, limits[axis] / 6, limits[axis])
    if nuisances.drift and frames:
        pose[:, 3] = _smooth_walk(rng, frames, 0.8, 10)
        pose[:, 4] = _smooth_walk(rng, frames, 0.6, 8)
        pose[:, 5] = 1 + _smooth_walk(rng, frames, 0.004, 0.05)
    intensity = float(rng.uniform(0.55, 1.05)) if nuisances.intensity else 1.0
    return NuisanceMotion(offsets, pose, intensity, rate, blinks)


def turn(face: np.ndarray, yaw: float, pitch: float) -> np.ndarray:
    """Landmarks (68, 2) in face coordinates seen after the head turns by ``yaw`` and ``pitch`` degrees
    (orthographic, about the face's centre, through the DEPTH template)."""
    if not yaw and not pitch:
        return face
    centre = face.mean(axis=0)
    x, y = (face - centre).T
    a, b = math.radians(yaw), math.radians(pitch)
    x1 = x * math.cos(a) + DEPTH * math.sin(a)
    z1 = -x * math.sin(a) + DEPTH * math.cos(a)
    y1 = y * math.cos(b) - z1 * math.sin(b)
    return np.stack([x1, y1], axis=1) + centre
