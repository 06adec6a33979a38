"""Any backend that can find every face on a frame: the generic backend option ``faces`` (``extract --faces``).

The wrapper keeps the backend's name and records ``faces`` in its options (so a several-face track and a
one-face track never pass for each other; a one-face run records nothing new and its files stay as they
were). Backends declare the ability with ``process_faces(image, timestamp) -> list[FrameResult]`` (every
face found on the frame, the full-frame detector run on each frame); who is who across frames is
decided afterwards by :class:`landmarkset.individuals.IdentityTracker`, the same for every backend.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from ..errors import OptionError
from ..individuals import faces_setting
from ._base import FrameResult, declared_extras

__all__ = ["FACES_OPTION", "SeveralFacesExtractor", "faces_of"]

FACES_OPTION = "faces"


def faces_of(extractor: Any) -> Union[int, str]:
    """The ``faces`` setting of a built extractor: 1 unless it is a :class:`SeveralFacesExtractor`."""
    return getattr(extractor, "faces", 1)


class SeveralFacesExtractor:
    """``inner`` (a built backend) asked for every face of each frame (``faces``: "all" or at most N)."""

    def __init__(self, inner: Any, faces: Union[int, str]) -> None:
        if not callable(getattr(inner, "process_faces", None)):
            raise OptionError(
                f"The {inner.name} backend finds one face per frame (it has no process_faces): --faces needs "
                "a backend that finds every face (dlib, face-alignment, mediapipe; docs/plugins.md says how)"
            )
        self.inner = inner
        self.faces = faces_setting(faces)
        self.name = inner.name
        self.options = {**inner.options, FACES_OPTION: str(self.faces)}
        self.extras = declared_extras(inner)
        if hasattr(inner, "option_spec"):
            self.option_spec = inner.option_spec

    @property
    def version(self) -> str:
        return self.inner.version

    def reset(self) -> None:
        self.inner.reset()

    def process_faces(self, image: np.ndarray, timestamp: Optional[float] = None) -> list[FrameResult]:
        return self.inner.process_faces(image, timestamp)  # faces without finite points are dropped by the caller

    def process(self, image: np.ndarray, timestamp: Optional[float] = None) -> FrameResult:
        raise TypeError("a several-face extractor gives every face of a frame: call process_faces")

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> SeveralFacesExtractor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
