"""Conformance check for landmark backends, for plug-in authors' own test suites.

    from landmarkset.testing import check_extractor

    def test_my_backend_conforms():
        check_extractor("my-backend")            # the name it registers, or a factory (class)

Each failed check raises AssertionError saying what the backend did and what was expected.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Optional, Union

import numpy as np

from .datasets.check import check_layout, generate_tree
from .extractors import Extractor, FrameResult, get_extractor, get_extractor_class, list_extractors

__all__ = ["check_extractor", "check_layout", "generate_tree"]


def _default_face() -> Optional[np.ndarray]:
    """A public-domain portrait, when scikit-image is installed."""
    try:
        from skimage import data
    except ImportError:
        return None
    return np.ascontiguousarray(data.astronaut())


def _same(a: FrameResult, b: FrameResult) -> bool:
    return a.face_found == b.face_found and np.allclose(a.landmarks, b.landmarks, equal_nan=True, atol=1e-4)


def _check_result(result: Any, image: np.ndarray, what: str) -> FrameResult:
    assert isinstance(result, FrameResult), f"process() on {what} returned {type(result).__name__}, not FrameResult"
    assert result.landmarks.shape == (68, 2) and result.box.shape == (4,), f"{what}: wrong result shapes"
    if result.face_found:
        assert np.isfinite(result.landmarks).all(), f"{what}: a found face must have 68 finite points"
        assert np.isfinite(result.box).all(), f"{what}: a found face must have a finite box"
        height, width = image.shape[:2]
        inside = (result.landmarks >= -0.25 * np.array([width, height])) & (
            result.landmarks <= 1.25 * np.array([width, height])
        )
        assert inside.all(), f"{what}: landmarks far outside the image: are they in pixels, (x, y) order?"
    else:
        assert np.isnan(result.landmarks).all(), f"{what}: no face found, so every landmark must be NaN"
    assert result.faces_detected >= -1, f"{what}: faces_detected must be -1 or a count"
    return result


def check_extractor(
    extractor: Union[str, Callable[..., Extractor]], face_image: Optional[np.ndarray] = None, **options: Any
) -> list[str]:
    """Check that a backend follows landmarkset's contract; return the names of the checks run.

    ``extractor`` is a registered name (then the entry point is checked too) or a factory such as a
    class. ``face_image`` is an RGB image with one face; by default scikit-image's astronaut, and
    the face checks are skipped (and not listed) when neither is available.
    """
    done: list[str] = []
    if isinstance(extractor, str):
        assert extractor in list_extractors(), (
            f"{extractor!r} is not registered in the 'landmarkset.extractors' entry-point group: "
            "declare it in your pyproject.toml and reinstall your package"
        )
        factory = get_extractor_class(extractor)
        backend = get_extractor(extractor, **options)
        done.append("registered")
    else:
        factory = extractor
        backend = factory(**options)
    assert isinstance(backend, Extractor), "the backend lacks name, options, version, reset, process or close"
    assert isinstance(backend.name, str) and backend.name, "name must be a non-empty string"
    assert isinstance(backend.options, dict), "options must be a dict"
    try:
        json.dumps(backend.options)
    except TypeError as error:
        raise AssertionError(f"options must be JSON values (they are stored in the track file): {error}") from None
    assert isinstance(backend.version, str), "version must be a string"
    done.append("attributes")

    rebuilt = factory(**backend.options)  # workers rebuild backends from name and options
    assert rebuilt.options == backend.options, "building the backend from its own options changed them"
    done.append("rebuild from options")
    try:
        factory(landmarkset_no_such_option=1)
    except (TypeError, ValueError):
        done.append("rejects unknown options")
    else:
        raise AssertionError("an unknown option was accepted silently: raise landmarkset.OptionError")

    blanks = {
        "black 64x48": np.zeros((48, 64, 3), np.uint8),
        "grey 640x480": np.full((480, 640, 3), 128, np.uint8),
        "odd size 101x37": np.zeros((37, 101, 3), np.uint8),
    }
    for what, image in blanks.items():
        backend.reset()
        result = _check_result(backend.process(image, 0.0), image, what)
        assert not result.face_found, f"found a face in a {what} frame"
    done.append("no face in blank frames")

    face = _default_face() if face_image is None else face_image
    if face is not None:
        backend.reset()
        first = _check_result(backend.process(face, 0.0), face, "the face image")
        assert first.face_found, "found no face in the face image"
        assert math.isfinite(first.score) or math.isnan(first.score), "score must be a float"
        backend.reset()
        again = _check_result(backend.process(face, 0.0), face, "the face image again")
        assert _same(first, again), "the same frame after reset() gave another result: reset() must clear state"
        done.append("face found, repeatable after reset")
        backend.reset()
        blank = backend.process(blanks["grey 640x480"], 1.0)
        assert not blank.face_found, "after a face, a blank frame still had a face: missing faces must be reported"
        done.append("face loss reported")
        backend.close()
        reopened = _check_result(backend.process(face, 0.0), face, "the face image after close()")
        assert reopened.face_found, "the backend does not work again after close()"
        done.append("usable after close")
    backend.close()
    return done
