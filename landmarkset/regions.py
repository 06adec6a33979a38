"""Named groups of the iBUG 300-W 68-point scheme (0-based indices): the one place for the landmark count,
the region and eye index sets and the two inter-ocular normalisers."""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 68

REGIONS: dict[str, tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)),
    "brows": tuple(range(17, 27)),
    "nose": tuple(range(27, 36)),
    "eyes": tuple(range(36, 48)),
    "mouth": tuple(range(48, 68)),
}

# The paper's finer groups, by which explanation maps are read against Action Units.
AU_REGIONS: dict[str, tuple[int, ...]] = {
    "brows": tuple(range(17, 27)),
    "eyes/lids": tuple(range(36, 48)),
    "nose": tuple(range(27, 36)),
    "cheeks": (1, 2, 3, 13, 14, 15),
    "lip corners": (48, 54, 60, 64),
    "lips": tuple(i for i in range(49, 68) if i not in (54, 60, 64)),
    "jaw": (0, *range(4, 13), 16),
}
assert sorted(i for group in AU_REGIONS.values() for i in group) == list(range(N_LANDMARKS))

# Regions where spotting measures motion (issue: spotting), as the field's region-flow spotters place
# them: each brow, each eye (blinks: masked by default), the nose, each cheek, each mouth corner, the lips
# and the chin; the image's left side first.
SPOT_REGIONS: dict[str, tuple[int, ...]] = {
    "left brow": (17, 18, 19, 20, 21),
    "right brow": (22, 23, 24, 25, 26),
    "left eye": tuple(range(36, 42)),
    "right eye": tuple(range(42, 48)),
    "nose": tuple(range(31, 36)),
    "left cheek": (1, 2, 3, 31),
    "right cheek": (13, 14, 15, 35),
    "left mouth corner": (48, 49, 59, 60),
    "right mouth corner": (53, 54, 55, 64),
    "lips": (50, 51, 52, 56, 57, 58, 61, 62, 63, 65, 66, 67),
    "chin": (6, 7, 8, 9, 10),
}
EYE_REGIONS = ("left eye", "right eye")  # where blinks move the points

# Each eye's six points (the image's left eye first).
LEFT_EYE, RIGHT_EYE = tuple(range(36, 42)), tuple(range(42, 48))
# Points that expressions barely move: the four eye corners and the nose bridge. Rigid head motion is
# measured on them (landmarkset.models.preprocess.align_frames).
STABLE_POINTS: tuple[int, ...] = (36, 39, 42, 45, 27, 28, 29, 30)
# Outer eye corners: the 300-W normaliser for landmark errors (normalised_mean_error). Model inputs and
# crops use the distance between the eye centres instead (eye_centre_distance), which one misplaced
# corner moves less.
LEFT_EYE_OUTER, RIGHT_EYE_OUTER = 36, 45

# Index of each point's mirror image under a horizontal flip (iBUG 300-W order).
MIRROR: tuple[int, ...] = (
    *range(16, -1, -1),  # jaw
    *range(26, 21, -1),
    *range(21, 16, -1),  # brows
    27,
    28,
    29,
    30,
    35,
    34,
    33,
    32,
    31,  # nose
    45,
    44,
    43,
    42,
    47,
    46,
    39,
    38,
    37,
    36,
    41,
    40,  # eyes
    54,
    53,
    52,
    51,
    50,
    49,
    48,
    59,
    58,
    57,
    56,
    55,  # outer lips
    64,
    63,
    62,
    61,
    60,
    67,
    66,
    65,  # inner lips
)
assert sorted(MIRROR) == list(range(N_LANDMARKS)) and all(MIRROR[MIRROR[i]] == i for i in range(N_LANDMARKS))


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two eye centres of (..., 68, 2) landmarks, each (..., 2)."""
    landmarks = np.asarray(landmarks)
    return landmarks[..., list(LEFT_EYE), :].mean(-2), landmarks[..., list(RIGHT_EYE), :].mean(-2)


def eye_centre_distance(landmarks: np.ndarray) -> np.ndarray:
    """Distance between the eye centres of (..., 68, 2) landmarks (...,)."""
    left, right = eye_centres(landmarks)
    return np.linalg.norm(left - right, axis=-1)


def normalised_mean_error(predicted, truth) -> float:
    """Mean point-to-point error divided by the outer-eye-corner distance of ``truth`` (68, 2)."""
    truth = np.asarray(truth, dtype=np.float64)
    inter_ocular = np.linalg.norm(truth[LEFT_EYE_OUTER] - truth[RIGHT_EYE_OUTER])
    return float(np.linalg.norm(np.asarray(predicted, dtype=np.float64) - truth, axis=-1).mean() / inter_ocular)
