"""A complete, small landmarkset backend, shipped as its own package (see landmarkset's docs/plugins.md).

It finds faces with the Haar cascade that OpenCV ships and places an average 68-point face in the box:
every face gets the same shape, so it is a teaching example, not a landmark detector.
"""

from __future__ import annotations

from importlib import metadata
from typing import ClassVar, Optional

import cv2
import numpy as np

from landmarkset.extractors import BaseExtractor, FrameResult, Option

# Mean iBUG 68-point shape in a face box: (x - x0) / width, (y - y0) / height.
MEAN_SHAPE = np.array(
    [
        (0.09, 0.36),
        (0.09, 0.47),
        (0.10, 0.59),
        (0.12, 0.71),
        (0.17, 0.81),
        (0.24, 0.90),
        (0.32, 0.98),
        (0.41, 1.05),
        (0.52, 1.07),
        (0.63, 1.05),
        (0.73, 0.99),
        (0.82, 0.91),
        (0.90, 0.81),
        (0.96, 0.70),
        (0.98, 0.57),
        (0.99, 0.45),
        (0.98, 0.33),
        (0.19, 0.24),
        (0.24, 0.20),
        (0.31, 0.18),
        (0.39, 0.20),
        (0.46, 0.23),
        (0.55, 0.23),
        (0.63, 0.19),
        (0.71, 0.17),
        (0.79, 0.18),
        (0.84, 0.23),
        (0.51, 0.31),
        (0.50, 0.39),
        (0.50, 0.46),
        (0.50, 0.53),
        (0.40, 0.58),
        (0.45, 0.60),
        (0.51, 0.62),
        (0.56, 0.60),
        (0.61, 0.59),
        (0.28, 0.33),
        (0.32, 0.30),
        (0.37, 0.30),
        (0.40, 0.33),
        (0.37, 0.34),
        (0.32, 0.35),
        (0.62, 0.33),
        (0.66, 0.29),
        (0.71, 0.29),
        (0.75, 0.32),
        (0.72, 0.34),
        (0.66, 0.34),
        (0.36, 0.76),
        (0.42, 0.71),
        (0.47, 0.70),
        (0.51, 0.71),
        (0.55, 0.70),
        (0.62, 0.71),
        (0.68, 0.75),
        (0.62, 0.81),
        (0.56, 0.83),
        (0.51, 0.84),
        (0.47, 0.83),
        (0.42, 0.81),
        (0.39, 0.76),
        (0.47, 0.74),
        (0.51, 0.74),
        (0.56, 0.74),
        (0.65, 0.76),
        (0.55, 0.78),
        (0.51, 0.79),
        (0.47, 0.78),
    ],
    dtype=np.float32,
)


class HaarMeanShapeExtractor(BaseExtractor):
    name = "haar-mean-shape"
    note = "an example plug-in (docs/plugins.md): every face gets the same shape, not a landmark detector"
    extra = None  # its only dependency, OpenCV, comes with landmarkset
    requires = ("cv2",)
    option_spec: ClassVar[dict[str, Option]] = {
        "min_size": Option(int, 40, "smallest face side in pixels", low=8),
        "min_neighbors": Option(int, 5, "Haar cascade's minNeighbors: higher finds fewer, surer faces", low=1),
    }

    @property
    def version(self) -> str:
        return metadata.version("opencv-python")

    def reset(self) -> None:
        pass  # no state is kept between frames

    def _load(self) -> None:
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def _process(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        size = self.options["min_size"]
        faces, _, weights = self._cascade.detectMultiScale3(
            gray,
            scaleFactor=1.1,
            minNeighbors=self.options["min_neighbors"],
            minSize=(size, size),
            outputRejectLevels=True,
        )
        if len(faces) == 0:
            return FrameResult.no_face(0)
        x, y, w, h = faces[int(np.argmax(faces[:, 2] * faces[:, 3]))]  # the largest face
        landmarks = MEAN_SHAPE * [w, h] + [x, y]
        score = float(np.max(weights))
        return FrameResult(landmarks, score, np.array([x, y, x + w, y + h]), True, len(faces))
