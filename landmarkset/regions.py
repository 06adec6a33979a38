"""Named groups of the iBUG 300-W 68-point scheme (0-based indices)."""

from __future__ import annotations

import numpy as np

REGIONS: dict[str, tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)),
    "brows": tuple(range(17, 27)),
    "nose": tuple(range(27, 36)),
    "eyes": tuple(range(36, 48)),
    "mouth": tuple(range(48, 68)),
}

# Outer eye corners: the usual normaliser for landmark errors (inter-ocular distance).
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
assert sorted(MIRROR) == list(range(68)) and all(MIRROR[MIRROR[i]] == i for i in range(68))


def normalised_mean_error(predicted, truth) -> float:
    """Mean point-to-point error divided by the outer-eye-corner distance of ``truth`` (68, 2)."""
    truth = np.asarray(truth, dtype=np.float64)
    inter_ocular = np.linalg.norm(truth[LEFT_EYE_OUTER] - truth[RIGHT_EYE_OUTER])
    return float(np.linalg.norm(np.asarray(predicted, dtype=np.float64) - truth, axis=-1).mean() / inter_ocular)
