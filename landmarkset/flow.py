"""Optical flow in landmark regions (spotting's feature), computed where landmarks are extracted.

Each frame's face is warped into a small upright crop by the similarity that maps its stable points
(eye corners, nose bridge) onto a template, and only that crop (``CROP`` pixels a side), not the frame,
is kept. The frame ``lag`` later is warped by the same similarity (so the landmarks' own jitter cannot
move the crop), and the flow (OpenCV's DIS) between the two crops is averaged in a box around each of
:data:`landmarkset.regions.SPOT_REGIONS` placed by the earlier frame's landmarks. The head's own motion
over the lag (the similarity the flow moved the stable points' neighbourhoods by, a robust fit) is
subtracted, and the result is in inter-ocular distances. Frames without a face, or whose frame ``lag``
before has none, are NaN.

A backend gets the feature with the generic option ``region_flow`` (``-O region_flow=0.2s``, a lag in
seconds, or frames without the ``s``): see :func:`with_region_flow`. The lag follows the frames'
timestamps, so 30 fps and 200 fps give the same lag in seconds.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Optional

import cv2
import numpy as np

from .errors import OptionError
from .extras import REGION_FLOW
from .regions import SPOT_REGIONS, STABLE_POINTS

__all__ = ["CROP", "REGION_FLOW", "FlowLag", "RegionFlowMeter", "parse_lag"]

CROP = 128  # side of the aligned face crop flow is measured in (pixels)
REGION_MARGIN = 0.06  # a region's box: its points' box grown by this share of the crop on each side
# Where the stable points sit in the crop: the mean iBUG face, eyes level, eye centres 0.26 CROP apart.
_TEMPLATE = np.array(
    [(0.30, 0.40), (0.44, 0.40), (0.56, 0.40), (0.70, 0.40), (0.50, 0.39), (0.50, 0.47), (0.50, 0.55), (0.50, 0.62)]
)
_INTEROCULAR = 0.26 * CROP  # eye centre distance in the crop (the template's eye corners' midpoints)
_LAG = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s?)\s*$")


@dataclass(frozen=True)
class FlowLag:
    """The lag flow is measured over: ``value`` seconds, or frames when ``seconds`` is False."""

    value: float
    seconds: bool

    def __str__(self) -> str:
        return f"{self.value:g}s" if self.seconds else f"{int(self.value)}"


def parse_lag(text: Any) -> FlowLag:
    """``"0.2s"`` (seconds) or ``"40"`` (frames) -> FlowLag; OptionError saying how to write it."""
    match = _LAG.match(str(text))
    if not match or float(match.group(1)) <= 0 or (not match.group(2) and not float(match.group(1)).is_integer()):
        raise OptionError(f"region_flow must be a lag in seconds (0.2s) or whole frames (40); got {text!r}")
    return FlowLag(float(match.group(1)), bool(match.group(2)))


def _alignment(landmarks: np.ndarray) -> np.ndarray:
    """2x3 similarity taking a frame's stable points onto the crop's template."""
    matrix, _ = cv2.estimateAffinePartial2D(landmarks[list(STABLE_POINTS)], _TEMPLATE * CROP)
    if matrix is None:
        raise ValueError("no similarity")
    return matrix


def _warp(gray: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return cv2.warpAffine(gray, matrix, (CROP, CROP), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _box_mean(flow: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean flow in the box around ``points`` and the box's centre."""
    margin = REGION_MARGIN * CROP
    x0, y0 = np.floor(np.clip(points.min(0) - margin, 0, CROP - 1)).astype(int)
    x1, y1 = np.ceil(np.clip(points.max(0) + margin, 1, CROP)).astype(int)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    return flow[y0:y1, x0:x1].reshape(-1, 2).mean(0), np.array([(x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2])


def _head_motion(flow: np.ndarray, points: np.ndarray) -> np.ndarray:
    """2x3 similarity the stable points' neighbourhoods moved by in ``flow`` (the head's own motion)."""
    offsets = np.stack(np.meshgrid(np.arange(-3, 4, 3), np.arange(-3, 4, 3)), -1).reshape(-1, 2)
    where = np.clip((points[list(STABLE_POINTS)][:, None, :] + offsets).reshape(-1, 2), 0, CROP - 1)
    moved = where + flow[where[:, 1].round().astype(int), where[:, 0].round().astype(int)]
    matrix, _ = cv2.estimateAffinePartial2D(where.astype(np.float32), moved.astype(np.float32), method=cv2.LMEDS)
    return matrix if matrix is not None else np.array([[1.0, 0, 0], [0, 1.0, 0]])


class RegionFlowMeter:
    """Feeds on consecutive frames and gives each one's region flow against the frame ``lag`` before.

    Keeps the last frames' small crops only (their count is the lag in frames), so memory stays flat.
    """

    def __init__(self, lag: FlowLag) -> None:
        self.lag = lag
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOpticalFlow_PRESET_FAST)
        self.reset()

    def reset(self) -> None:
        self._past: deque[tuple[float, Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]]] = deque()
        self._count = 0

    def _before(self, timestamp: float) -> Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The crop, alignment and crop landmarks of the frame the lag before (None: not seen, or no face)."""
        if self.lag.seconds:
            target = timestamp - self.lag.value
            best = min(self._past, key=lambda entry: abs(entry[0] - target), default=None)
            spacing = (self._past[-1][0] - self._past[0][0]) / max(len(self._past) - 1, 1) if self._past else 0
            if best is None or abs(best[0] - target) > max(spacing, 1e-9) / 2 + 1e-9:
                return None
            return best[1]
        frames = int(self.lag.value) if not self.lag.seconds else 0
        return self._past[-frames][1] if 0 < frames <= len(self._past) else None

    def _keep(self, timestamp: float, kept: Optional[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self._past.append((timestamp, kept))
        limit = int(self.lag.value) + 1 if not self.lag.seconds else None
        if limit is not None:
            while len(self._past) > limit:
                self._past.popleft()
        else:
            while len(self._past) > 2 and self._past[1][0] <= timestamp - self.lag.value:
                self._past.popleft()

    def measure(self, image: np.ndarray, landmarks: Optional[np.ndarray], timestamp: Optional[float]) -> np.ndarray:
        """(regions, 2) flow of this frame (RGB ``image``, (68, 2) pixel ``landmarks`` or None: no face)."""
        if self.lag.seconds and (timestamp is None or not math.isfinite(timestamp)):
            raise OptionError(
                f"region_flow={self.lag} needs the frames' times, and these frames have no frame rate (a folder of "
                "images): give the lag in frames, e.g. region_flow=40 for 0.2 s at 200 fps"
            )
        stamp = float(timestamp) if self.lag.seconds else float(self._count)
        self._count += 1
        result = REGION_FLOW.empty(1)[0]
        kept = None
        if landmarks is not None and np.isfinite(landmarks).all():
            gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
            try:
                matrix = _alignment(landmarks.astype(np.float64))
            except (ValueError, cv2.error):
                matrix = None
            if matrix is not None:
                points = landmarks.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]
                kept = (_warp(gray, matrix), matrix, points)
            before = self._before(stamp)
            if before is not None and kept is not None:
                crop, old_matrix, old_points = before
                flow = self._flow.calc(crop, _warp(gray, old_matrix), None)
                head = _head_motion(flow, old_points)
                for row, region in enumerate(SPOT_REGIONS.values()):
                    mean, centre = _box_mean(flow, old_points[list(region)])
                    rigid = head[:, :2] @ centre + head[:, 2] - centre  # the head's motion at the box
                    result[row] = (mean - rigid) / _INTEROCULAR
        self._keep(stamp, kept)
        return result
