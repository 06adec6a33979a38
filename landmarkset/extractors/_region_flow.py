"""Any backend plus region optical flow (landmarkset.flow): the generic backend option ``region_flow``.

The wrapper runs the backend, then measures each frame's region flow at the backend's landmarks, and
adds it as the per-frame extra ``region_flow``. It keeps the backend's name and records the lag in its
options (so a track with flow and one without never pass for each other) and its version with OpenCV's.
Being an extractor itself, it runs wherever backends run: the local pool, Dask, resumed chunks (it is
reset at each chunk boundary with the backend, so the first lag of every 2,048-frame chunk has no flow,
in every run alike).
"""

from __future__ import annotations

from typing import Any, Optional

import cv2
import numpy as np

from ..flow import REGION_FLOW, RegionFlowMeter, parse_lag
from ._base import FrameResult, declared_extras

__all__ = ["FLOW_OPTION", "RegionFlowExtractor"]

FLOW_OPTION = "region_flow"


class RegionFlowExtractor:
    """``inner`` (a built backend) whose results carry ``region_flow`` measured over ``lag``."""

    def __init__(self, inner: Any, lag: Any) -> None:
        self.inner = inner
        self.lag = parse_lag(lag)
        self.meter = RegionFlowMeter(self.lag)
        self.name = inner.name
        self.options = {**inner.options, FLOW_OPTION: str(self.lag)}
        self.extras = (*declared_extras(inner), REGION_FLOW)
        if hasattr(inner, "batch_size"):
            self.batch_size = inner.batch_size
        if hasattr(inner, "option_spec"):
            self.option_spec = inner.option_spec

    @property
    def version(self) -> str:
        return f"{self.inner.version}; region flow DIS (OpenCV {cv2.__version__})"

    def reset(self) -> None:
        self.inner.reset()
        self.meter.reset()

    def _with_flow(self, image: np.ndarray, result: FrameResult, timestamp: Optional[float]) -> FrameResult:
        landmarks = result.landmarks if result.face_found else None
        flow = self.meter.measure(image, landmarks, timestamp)
        if not result.face_found:
            return result
        return FrameResult(
            result.landmarks,
            result.score,
            result.box,
            True,
            result.faces_detected,
            {**result.extras, REGION_FLOW.name: flow},
        )

    def process(self, image: np.ndarray, timestamp: Optional[float] = None) -> FrameResult:
        return self._with_flow(image, self.inner.process(image, timestamp), timestamp)

    def process_batch(self, images: list[np.ndarray], timestamps: list[Optional[float]]) -> list[FrameResult]:
        if hasattr(self.inner, "process_batch"):
            results = self.inner.process_batch(images, timestamps)
        else:
            results = [self.inner.process(image, ts) for image, ts in zip(images, timestamps)]
        return [self._with_flow(image, result, ts) for image, result, ts in zip(images, results, timestamps)]

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> RegionFlowExtractor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
