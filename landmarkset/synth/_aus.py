"""Action Units as landmark displacement fields, and the emotion prototypes built from them.

Displacements are in units of the face's outer-eye-corner distance, in face coordinates (x to the
image right, y down) before the head's pose is applied, so one field fits every face size. Points are
iBUG 300-W indices; "right" means the subject's right (the image's left on a frontal face): points
0-7 of the jaw, 17-21 of the brows, 36-41 of the eyes, and mouth corner 48.
"""

from __future__ import annotations

import numpy as np

from ..facs import EMOTION_AUS

UP, DOWN, LEFT, RIGHT = (0.0, -1.0), (0.0, 1.0), (-1.0, 0.0), (1.0, 0.0)

# Side of the face of each point: -1 subject's right (image left), +1 subject's left, 0 midline.
_SIDE = np.zeros(68)
_SIDE[[*range(0, 8), *range(17, 22), 31, 32, *range(36, 42), 48, 49, 50, 58, 59, 60, 61, 67]] = -1
_SIDE[[*range(9, 17), *range(22, 27), 34, 35, *range(42, 48), 52, 53, 54, 55, 56, 63, 64, 65]] = 1

INNER_BROWS = (20, 21, 22, 23)
MID_BROWS = (19, 24)
OUTER_BROWS = (17, 18, 25, 26)
BROWS = tuple(range(17, 27))
UPPER_LIDS = (37, 38, 43, 44)
LOWER_LIDS = (40, 41, 46, 47)
NOSTRILS = (31, 32, 33, 34, 35)
CORNERS = (48, 54, 60, 64)
NEAR_CORNERS = (49, 53, 59, 55, 61, 63, 67, 65)
UPPER_LIP = (49, 50, 51, 52, 53, 61, 62, 63)
LOWER_LIP = (55, 56, 57, 58, 59, 65, 66, 67)
CHEEKS = (1, 2, 3, 13, 14, 15)
LOWER_JAW = tuple(range(4, 13))

# Action Unit names (FACS) for reports.
AU_NAMES = {
    1: "inner brow raiser",
    2: "outer brow raiser",
    4: "brow lowerer",
    5: "upper lid raiser",
    6: "cheek raiser",
    7: "lid tightener",
    9: "nose wrinkler",
    10: "upper lip raiser",
    12: "lip corner puller",
    14: "dimpler",
    15: "lip corner depressor",
    16: "lower lip depressor",
    17: "chin raiser",
    20: "lip stretcher",
    23: "lip tightener",
    24: "lip pressor",
    25: "lips part",
    26: "jaw drop",
    27: "mouth stretch",
}


def _move(field: np.ndarray, points, direction, amount: float) -> None:
    field[list(points)] += np.asarray(direction) * amount


def _outward(field: np.ndarray, points, amount: float) -> None:
    """Move points away from the face's midline (toward their own side)."""
    points = list(points)
    field[points, 0] += _SIDE[points] * amount


def au_field(au: int) -> np.ndarray:
    """(68, 2) displacement of Action Unit ``au`` at full intensity (FACS E), in eye-corner distances."""
    field = np.zeros((68, 2))
    if au == 1:
        _move(field, INNER_BROWS, UP, 0.13)
        _move(field, MID_BROWS, UP, 0.06)
    elif au == 2:
        _move(field, OUTER_BROWS, UP, 0.11)
        _move(field, MID_BROWS, UP, 0.07)
    elif au == 4:
        _move(field, BROWS, DOWN, 0.06)
        _move(field, INNER_BROWS, DOWN, 0.03)
        _outward(field, INNER_BROWS, -0.05)  # drawn together
        _move(field, UPPER_LIDS, DOWN, 0.01)
    elif au == 5:
        _move(field, UPPER_LIDS, UP, 0.045)
    elif au == 6:
        _move(field, LOWER_LIDS, UP, 0.035)
        _move(field, CHEEKS, UP, 0.03)
        _move(field, (39, 42), UP, 0.01)
    elif au == 7:
        _move(field, LOWER_LIDS, UP, 0.035)
        _move(field, UPPER_LIDS, DOWN, 0.015)
    elif au == 9:
        _move(field, NOSTRILS, UP, 0.05)
        _move(field, (29, 30), UP, 0.03)
        _move(field, INNER_BROWS, DOWN, 0.035)
        _move(field, UPPER_LIP, UP, 0.035)
    elif au == 10:
        _move(field, UPPER_LIP, UP, 0.06)
        _move(field, NOSTRILS, UP, 0.015)
    elif au == 12:
        _outward(field, CORNERS, 0.10)
        _move(field, CORNERS, UP, 0.07)
        _outward(field, NEAR_CORNERS, 0.05)
        _move(field, NEAR_CORNERS, UP, 0.035)
        _move(field, CHEEKS, UP, 0.015)
    elif au == 14:
        _outward(field, CORNERS, 0.06)
        _outward(field, NEAR_CORNERS, 0.025)
    elif au == 15:
        _move(field, CORNERS, DOWN, 0.08)
        _move(field, NEAR_CORNERS, DOWN, 0.035)
    elif au == 16:
        _move(field, LOWER_LIP, DOWN, 0.07)
        _move(field, (57, 66), DOWN, 0.02)
    elif au == 17:
        _move(field, LOWER_LIP, UP, 0.04)
        _move(field, (7, 8, 9), UP, 0.03)
    elif au == 20:
        _outward(field, CORNERS, 0.09)
        _move(field, CORNERS, DOWN, 0.025)
        _outward(field, NEAR_CORNERS, 0.04)
    elif au == 23:
        _outward(field, CORNERS, -0.05)
        _outward(field, NEAR_CORNERS, -0.025)
    elif au == 24:
        _move(field, UPPER_LIP, DOWN, 0.02)
        _move(field, LOWER_LIP, UP, 0.02)
        _outward(field, CORNERS, -0.02)
    elif au == 25:
        _move(field, (65, 66, 67), DOWN, 0.05)
        _move(field, (56, 57, 58), DOWN, 0.03)
    elif au in (26, 27):
        drop = 0.30 if au == 26 else 0.45
        chin_weight = 1 - np.abs(np.arange(4, 13) - 8) / 5.0  # chin moves most, jaw angles least
        field[list(LOWER_JAW), 1] += drop * chin_weight
        _move(field, LOWER_LIP, DOWN, drop * 0.9)
        _move(field, (57, 66), DOWN, drop * 0.05)
        _move(field, CORNERS, DOWN, drop * 0.35)
        if au == 27:
            _outward(field, CORNERS, -0.03)
    else:
        raise ValueError(f"no displacement field for AU{au}; known: {sorted(AU_NAMES)}")
    return field


def expression_field(aus: dict, side: str = "both") -> np.ndarray:
    """Sum of AU fields, each scaled by its intensity in [0, 1] (FACS E = 1); ``aus`` maps code -> intensity.

    Unilateral AUs are given as strings "R12" / "L12" (subject's right / left side only).
    """
    field = np.zeros((68, 2))
    for code, intensity in aus.items():
        text = str(code)
        only = text[0] if text[0] in "RL" else None
        part = au_field(int(text.lstrip("RL"))) * float(intensity)
        if only == "R":
            part[_SIDE >= 0] = 0
        elif only == "L":
            part[_SIDE <= 0] = 0
        field += part
    return field


# The expressive emotions (neutral moves nothing) and their prototype AUs, from the one table.
EMOTIONS = {name: aus for name, aus in EMOTION_AUS.items() if aus}


def moved_points(field: np.ndarray, threshold: float = 0.02) -> list[int]:
    """Points moved by more than ``threshold`` eye-corner distances."""
    return [int(i) for i in np.flatnonzero(np.linalg.norm(field, axis=1) > threshold)]
