"""Named groups of the iBUG 300-W 68-point scheme (0-based indices)."""

from __future__ import annotations

REGIONS: dict[str, tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)),
    "brows": tuple(range(17, 27)),
    "nose": tuple(range(27, 36)),
    "eyes": tuple(range(36, 48)),
    "mouth": tuple(range(48, 68)),
}

# Outer eye corners: the usual normaliser for landmark errors (inter-ocular distance).
LEFT_EYE_OUTER, RIGHT_EYE_OUTER = 36, 45
