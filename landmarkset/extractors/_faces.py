"""Face selection and crop geometry shared by the backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np


@dataclass(frozen=True)
class Detection:
    """The face a detector chose to follow on one frame (box None when there is none).

    ``faces_detected`` is how many faces the full-frame detector saw, or -1 when the face was
    found by tracking without running it.
    """

    box: Optional[np.ndarray]
    score: float
    faces_detected: int

    @property
    def found(self) -> bool:
        return self.box is not None

    @classmethod
    def follow(cls, boxes: np.ndarray, scores: np.ndarray, previous: Optional[np.ndarray]) -> Detection:
        """The face to follow among a full-frame detector's ``boxes`` (see :func:`select_face`)."""
        if len(boxes) == 0:
            return cls(None, float("nan"), 0)
        chosen = select_face(boxes, previous)
        return cls(np.asarray(boxes[chosen]), float(scores[chosen]), len(boxes))


def non_max_suppression(boxes: np.ndarray, scores: np.ndarray, overlap: float, of_smaller: bool = False) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first.

    A box is dropped when its overlap with a kept box exceeds ``overlap``: intersection over union, or
    with ``of_smaller`` intersection over the smaller box (a face inside a larger false box, or a tile's
    half of a face, counts as the same face).
    """
    order, kept = list(np.argsort(-scores)), []
    while order:
        best = order.pop(0)
        kept.append(best)
        x0 = np.maximum(boxes[best, 0], boxes[order, 0])
        y0 = np.maximum(boxes[best, 1], boxes[order, 1])
        x1 = np.minimum(boxes[best, 2], boxes[order, 2])
        y1 = np.minimum(boxes[best, 3], boxes[order, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        area = box_area(boxes)
        base = np.minimum(area[best], area[order]) if of_smaller else area[best] + area[order] - inter
        order = [i for i, value in zip(order, inter / np.maximum(base, 1e-6)) if value <= overlap]
    return kept


def box_area(boxes: np.ndarray) -> np.ndarray:
    boxes = np.atleast_2d(boxes)
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def select_face(boxes: np.ndarray, previous: Optional[np.ndarray]) -> int:
    """Index of the face to follow among ``boxes`` (K, 4) as (x0, y0, x1, y1).

    At the start of a sequence (no previous box) the largest face; afterwards the face whose
    centre is nearest the previous box's centre, so one person is followed even when others
    come and go.
    """
    boxes = np.atleast_2d(np.asarray(boxes, dtype=np.float64))
    if previous is None or not np.all(np.isfinite(previous)):
        return int(np.argmax(box_area(boxes)))
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    previous_centre = (np.asarray(previous[:2]) + np.asarray(previous[2:])) / 2
    return int(np.argmin(np.linalg.norm(centres - previous_centre, axis=1)))


def landmarks_box(landmarks: np.ndarray) -> np.ndarray:
    """Tight (x0, y0, x1, y1) box around finite landmarks."""
    return np.array([*np.nanmin(landmarks, axis=0), *np.nanmax(landmarks, axis=0)], dtype=np.float32)


@dataclass(frozen=True)
class Window:
    """A square image region (centre, side) and the size it is resampled to."""

    cx: float
    cy: float
    side: float
    out_size: int

    @classmethod
    def around(cls, box: np.ndarray, margin: float, out_size: int) -> Window:
        x0, y0, x1, y1 = (float(v) for v in box)
        side = max(x1 - x0, y1 - y0, 1.0) * margin
        return cls((x0 + x1) / 2, (y0 + y1) / 2, side, out_size)

    @property
    def scale(self) -> float:
        return self.out_size / self.side

    def crop(self, image: np.ndarray) -> np.ndarray:
        """Resample the window to out_size x out_size; outside the image is black."""
        s = self.scale
        matrix = np.array(
            [[s, 0, self.out_size / 2 - s * self.cx], [0, s, self.out_size / 2 - s * self.cy]], dtype=np.float64
        )
        interpolation = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        return cv2.warpAffine(
            image, matrix, (self.out_size, self.out_size), flags=interpolation, borderMode=cv2.BORDER_CONSTANT
        )

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Map (..., 2) crop pixel coordinates back to the full image."""
        points = np.asarray(points, dtype=np.float64)
        centre = np.array([self.cx, self.cy])
        return ((points - self.out_size / 2) / self.scale + centre).astype(np.float32)

    def contains(self, box: np.ndarray, slack: float) -> bool:
        """Whether ``box`` still sits well inside the window and has about the same size.

        ``slack`` is the tolerated drift of the box centre, as a fraction of the window side.
        """
        x0, y0, x1, y1 = (float(v) for v in box)
        drift = max(abs((x0 + x1) / 2 - self.cx), abs((y0 + y1) / 2 - self.cy)) / self.side
        size_ratio = max(x1 - x0, y1 - y0) / self.side
        return drift <= slack and 0.3 <= size_ratio <= 0.8
