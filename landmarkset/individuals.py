"""Several faces in one video: which face on each frame is which person (identity kept across frames).

Each frame's faces are assigned to the individuals already seen by the Hungarian method (scipy's
``linear_sum_assignment``) on a cost that adds three distances, each in face sizes:

- position: from the face's centre to where the individual should be now (its last centre moved on by
  its velocity, for at most ``COAST_FRAMES`` frames of a gap: a person hidden by another keeps walking);
- size: how much larger or smaller the face is (log ratio);
- shape: how far its 68 points lie from the individual's last ones once both are centred and scaled
  (two people differ in shape when they cross; one person's expression changes it little).

A pair is allowed only when the position distance lies within a gate that widens with the frames the
individual has been missing (``gate + gap_widening * gap``) and the size ratio stays below
``max_size_ratio``. An individual unseen for more than ``memory`` frames is forgotten; a face that fits no
individual starts a new one. Individuals are named "0", "1", ... in order of first appearance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import numpy as np
from scipy.optimize import linear_sum_assignment

from .errors import OptionError

__all__ = ["FACES_CHOICES", "IdentityTracker", "PersonRule", "faces_setting", "switches_and_coverage"]

COAST_FRAMES = 15  # a missing individual's predicted position moves on for at most this many frames
_FORBIDDEN = 1e6

FACES_CHOICES = "1 (one face: the default), all, or a number N (at most N individuals, the longest seen)"


def faces_setting(text: Union[str, int]) -> Union[int, str]:
    """``--faces`` as given: 1, "all", or N >= 1; OptionError in one line otherwise."""
    value = str(text).strip().lower()
    if value == "all":
        return "all"
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise OptionError(f"--faces must be {FACES_CHOICES}; got {text!r}")


def _centre_and_size(box: np.ndarray) -> tuple[np.ndarray, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2]), max(math.sqrt(max(x1 - x0, 0) * max(y1 - y0, 0)), 1e-6)


def _shape(landmarks: np.ndarray) -> np.ndarray:
    """Points centred on their mean and divided by their spread (position and scale removed)."""
    centred = landmarks - landmarks.mean(axis=0)
    return centred / max(float(np.sqrt((centred**2).sum(axis=1).mean())), 1e-6)


@dataclass
class _Individual:
    name: str
    centre: np.ndarray
    size: float
    shape: np.ndarray
    last_frame: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))

    def predicted(self, frame: int) -> np.ndarray:
        return self.centre + self.velocity * min(frame - self.last_frame, COAST_FRAMES)

    def update(self, centre: np.ndarray, size: float, shape: np.ndarray, frame: int) -> None:
        step = frame - self.last_frame
        if step > 0:  # a smoothed velocity: one noisy box does not send the prediction away
            self.velocity = 0.5 * self.velocity + 0.5 * (centre - self.centre) / step
        self.centre, self.size, self.shape, self.last_frame = centre, size, shape, frame


@dataclass
class IdentityTracker:
    """Assigns each frame's faces to individuals (see the module docstring); ``reset`` before a new video."""

    memory: int = 75
    gate: float = 1.0
    gap_widening: float = 0.1
    max_size_ratio: float = 1.6
    shape_weight: float = 2.0
    _individuals: list[_Individual] = field(default_factory=list, init=False, repr=False)
    _named: int = field(default=0, init=False, repr=False)

    def reset(self) -> None:
        self._individuals, self._named = [], 0

    def assign(self, frame: int, boxes: np.ndarray, landmarks: np.ndarray) -> list[str]:
        """The individual of each face found on ``frame`` (boxes (K, 4), landmarks (K, 68, 2), pixels)."""
        self._individuals = [person for person in self._individuals if frame - person.last_frame <= self.memory]
        faces = [(*_centre_and_size(box), _shape(points)) for box, points in zip(boxes, landmarks)]
        names: list[Optional[str]] = [None] * len(faces)
        if faces and self._individuals:
            cost = np.array([[self._cost(person, frame, *face) for face in faces] for person in self._individuals])
            for row, column in zip(*linear_sum_assignment(cost)):
                if cost[row, column] < _FORBIDDEN:
                    person = self._individuals[row]
                    person.update(*faces[column], frame)
                    names[column] = person.name
        for k, face in enumerate(faces):
            if names[k] is None:
                person = _Individual(str(self._named), face[0], face[1], face[2], frame)
                self._named += 1
                self._individuals.append(person)
                names[k] = person.name
        return [str(name) for name in names]

    def _cost(self, person: _Individual, frame: int, centre: np.ndarray, size: float, shape: np.ndarray) -> float:
        gap = frame - person.last_frame - 1
        position = float(np.linalg.norm(centre - person.predicted(frame))) / person.size
        size_change = abs(math.log(size / person.size))
        if position > self.gate + self.gap_widening * gap or size_change > math.log(self.max_size_ratio):
            return _FORBIDDEN
        shape_distance = float(np.sqrt(((shape - person.shape) ** 2).sum(axis=1).mean()))
        return position + size_change + self.shape_weight * shape_distance


@dataclass(frozen=True)
class PersonRule:
    """Which individual of a several-face sequence stands for it: ``largest`` (largest median face box),
    ``longest`` (seen on the most frames), or the individual's name."""

    rule: str = "longest"

    CHOICES = ("largest", "longest")

    @classmethod
    def parse(cls, text: str) -> PersonRule:
        text = str(text).strip()
        if text in cls.CHOICES or text.isdigit():
            return cls(text)
        raise OptionError(f"--person must be largest, longest or an individual's name (0, 1, ...); got {text!r}")

    def choose(self, names: list[str], frames: Callable[[str], tuple[np.ndarray, np.ndarray]]) -> str:
        """The chosen name among ``names``; ``frames(name)`` gives an individual's (valid (T,), box (T, 4)), read
        only by the rules that measure. OptionError when the rule names an individual the sequence lacks."""
        if self.rule not in self.CHOICES:
            if self.rule not in names:
                raise OptionError(f"no individual {self.rule!r} here (it has {', '.join(names)})")
            return self.rule

        def score(name: str) -> float:
            valid, box = frames(name)
            if self.rule == "longest":
                return float(valid.sum())
            sizes = (box[valid, 2] - box[valid, 0]) * (box[valid, 3] - box[valid, 1])
            return float(np.median(sizes)) if len(sizes) else -1.0

        return max(names, key=lambda name: (score(name), -int(name) if name.isdigit() else 0))


def switches_and_coverage(
    truth: dict[str, list[Optional[tuple[float, float]]]], tracks: list, face_side: float
) -> dict[str, dict[str, float]]:
    """How well individuals follow known people (the tests' and benchmarks' measure): each frame, people
    present are matched one-to-one to the individuals found (Hungarian, on centre distance; a match farther
    than half a face side counts as none); per person, ``switches`` (times the matched individual changes
    from one matched frame to the next), ``tracked`` (share of its frames with a match) and ``ids``."""
    result = {}
    matched: dict[str, list[str]] = {person: [] for person in truth}
    frames = max(len(places) for places in truth.values())
    centres = [(track.box[:, :2] + track.box[:, 2:]) / 2 * np.array([track.width, track.height]) for track in tracks]
    for t in range(frames):
        people = [p for p, places in truth.items() if t < len(places) and places[t] is not None]
        present = [k for k, track in enumerate(tracks) if track.valid[t]]
        if not people or not present:
            continue
        cost = np.array([[np.hypot(*(centres[k][t] - np.asarray(truth[p][t]))) for k in present] for p in people])
        for row, column in zip(*linear_sum_assignment(cost)):
            if cost[row, column] <= face_side / 2:
                matched[people[row]].append(tracks[present[column]].individual)
    for person, ids in matched.items():
        shown = sum(place is not None for place in truth[person])
        switches = sum(a != b for a, b in zip(ids, ids[1:]))
        result[person] = {"switches": switches, "tracked": len(ids) / max(shown, 1), "ids": sorted(set(ids))}
    return result
