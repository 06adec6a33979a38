"""MediaPipe face mesh (468 vertices) -> iBUG 300-W 68-point mapping.

One mesh vertex per iBUG point. The face mesh has no 2-D face outline, so the jaw points (0-16)
are fixed vertices on the cheek/chin surface: they follow the true outline only near frontal
pose, and the jaw is the least accurate region. Measured errors per region are in
docs/backends.md (benchmarks/mediapipe_mapping.py reproduces them).
"""

from __future__ import annotations

import numpy as np

from ..regions import N_LANDMARKS

JAW = (127, 234, 132, 58, 172, 150, 149, 148, 152, 377, 378, 379, 397, 288, 361, 454, 356)
BROWS = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)
NOSE = (168, 197, 5, 4, 98, 97, 2, 326, 327)
EYES = (33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380)
MOUTH = (61, 39, 37, 0, 267, 269, 291, 321, 314, 17, 84, 91, 78, 82, 13, 312, 308, 317, 14, 87)

MESH_TO_IBUG68 = np.array(JAW + BROWS + NOSE + EYES + MOUTH, dtype=np.intp)
assert MESH_TO_IBUG68.shape == (N_LANDMARKS,)
