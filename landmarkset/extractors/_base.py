"""The backend interface: one frame in, one fixed-shape :class:`FrameResult` out."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional, Protocol, runtime_checkable

import numpy as np

from ..errors import MissingDependencyError
from ..extras import FrameExtra
from ..regions import N_LANDMARKS
from ._options import Option, validate_options

_NAN_BOX = np.full(4, np.nan, dtype=np.float32)


@dataclass(frozen=True)
class FrameResult:
    """What every backend returns for one frame, whatever happened.

    Attributes:
        landmarks: (68, 2) float32 pixel coordinates (x, y) in iBUG 300-W order; NaN when no face.
        score: backend confidence for this face (see docs/backends.md); NaN when no face.
        box: (4,) float32 face box (x0, y0, x1, y1) in pixels; NaN when no face.
        face_found: whether a face was found on this frame.
        faces_detected: how many faces the detector saw on this frame, or -1 when the frame was
            tracked from the previous one without running the detector.
        extras: one array per :class:`~landmarkset.extras.FrameExtra` the backend declares in its
            ``extras`` (blendshapes, head pose, point confidence...); empty when there is no face.
    """

    landmarks: np.ndarray
    score: float
    box: np.ndarray
    face_found: bool
    faces_detected: int = -1
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        landmarks = np.asarray(self.landmarks, dtype=np.float32)
        box = np.asarray(self.box, dtype=np.float32)
        if landmarks.shape != (N_LANDMARKS, 2):
            raise ValueError(f"FrameResult.landmarks must have shape ({N_LANDMARKS}, 2), got {landmarks.shape}")
        if box.shape != (4,):
            raise ValueError(f"FrameResult.box must have shape (4,), got {box.shape}")
        object.__setattr__(self, "landmarks", landmarks)
        object.__setattr__(self, "box", box)
        object.__setattr__(self, "score", float(self.score))
        object.__setattr__(self, "face_found", bool(self.face_found))
        object.__setattr__(self, "faces_detected", int(self.faces_detected))

    @classmethod
    def no_face(cls, faces_detected: int = 0) -> FrameResult:
        """The result for a frame without a face: NaN landmarks, score and box."""
        return cls(
            landmarks=np.full((N_LANDMARKS, 2), np.nan, dtype=np.float32),
            score=float("nan"),
            box=_NAN_BOX,
            face_found=False,
            faces_detected=faces_detected,
        )


@runtime_checkable
class Extractor(Protocol):
    """What a landmark backend must provide (built-in or plug-in).

    ``process`` receives frames of one sequence in order; ``reset`` is called before each new
    sequence so that tracking state never leaks from one video to the next.

    Optional: ``extras``, a tuple of :class:`~landmarkset.extras.FrameExtra` naming the per-frame
    elements beyond the 68 points that the backend puts in ``FrameResult.extras`` (read with
    :func:`declared_extras`; none when absent).
    """

    name: str
    options: dict[str, Any]

    @property
    def version(self) -> str: ...

    def reset(self) -> None: ...

    def process(self, image: np.ndarray, timestamp: Optional[float] = None) -> FrameResult: ...

    def close(self) -> None: ...


class BaseExtractor:
    """Convenience base class: validated options, dependency check, lazy model loading.

    Subclasses set ``name``, ``extra``, ``requires`` and ``option_spec``, and implement
    ``_load`` (build models; called once, on the first frame) and ``_process``.
    Images are RGB uint8 arrays of shape (H, W, 3).
    """

    name: ClassVar[str] = ""
    extra: ClassVar[Optional[str]] = None
    requires: ClassVar[tuple[str, ...]] = ()
    option_spec: ClassVar[dict[str, Option]] = {}
    extras: tuple[FrameExtra, ...] = ()

    def __init__(self, **options: Any) -> None:
        self.options = validate_options(f"the {self.name} backend", self.option_spec, options)
        self._loaded = False
        self.check_dependencies()

    @classmethod
    def check_dependencies(cls) -> None:
        """Raise MissingDependencyError naming the extra when a required module is absent."""
        for module in cls.requires:
            if importlib.util.find_spec(module) is None:
                hint = f"pip install 'landmarkset[{cls.extra}]'" if cls.extra else f"pip install {module}"
                raise MissingDependencyError(
                    f"The {cls.name} backend needs the Python module {module!r}, which is not installed: run {hint}"
                )

    @property
    def version(self) -> str:
        return "unknown"

    def reset(self) -> None:
        """Forget any tracking state; the next frame starts a new sequence."""

    def process(self, image: np.ndarray, timestamp: Optional[float] = None) -> FrameResult:
        self._ensure_loaded()
        return self._process(image, timestamp)

    def _ensure_loaded(self) -> None:
        """Load the models on first use (and after close)."""
        if not self._loaded:
            self._load()
            self._loaded = True

    def close(self) -> None:
        """Release models; the extractor may be used again (it reloads on the next frame)."""
        self._loaded = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"

    def __enter__(self) -> BaseExtractor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _load(self) -> None:
        raise NotImplementedError

    def _process(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        raise NotImplementedError


def declared_extras(extractor: object) -> tuple[FrameExtra, ...]:
    """The per-frame extras a backend declares (an empty tuple for backends that declare none)."""
    extras = tuple(getattr(extractor, "extras", ()) or ())
    for extra in extras:
        if not isinstance(extra, FrameExtra):
            raise TypeError(f"{type(extractor).__name__}.extras must hold FrameExtra declarations, got {extra!r}")
    return extras
