"""The plug-in kit: the shipped conformance check, on the built-in backends, the example plug-in
(installed by the Makefile from examples/plugin) and on backends that break the contract."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from landmarkset import extract, list_extractors, open_tracks
from landmarkset.extractors import BaseExtractor, FrameResult, Option
from landmarkset.testing import check_extractor


def test_example_plugin_is_installed_and_conforms():
    assert "haar-mean-shape" in list_extractors(), "run `pip install -e examples/plugin` (the Makefile does)"
    assert check_extractor("haar-mean-shape") == [
        "registered",
        "attributes",
        "rebuild from options",
        "rejects unknown options",
        "no face in blank frames",
        "face found, repeatable after reset",
        "face loss reported",
        "usable after close",
    ]


def test_example_plugin_extracts_through_the_cli_path(carphone, tmp_path):
    report = extract(carphone, str(tmp_path / "t.h5"), backend="haar-mean-shape", progress=False)
    assert report.ok
    with open_tracks(str(tmp_path / "t.h5")) as store:
        track = store["carphone_pristine"]
    assert track.backend == "haar-mean-shape" and track.n_frames == 120 and track.valid.mean() > 0.3


@pytest.mark.parametrize("name", ["dlib", "mediapipe"])
def test_builtin_backends_conform(name):
    assert "face loss reported" in check_extractor(name)


class _Plugin(BaseExtractor):
    name = "broken"
    option_spec: ClassVar[dict[str, Option]] = {}

    def _load(self) -> None:
        pass


class _FaceEverywhere(_Plugin):
    def _process(self, image, timestamp):
        return FrameResult(np.full((68, 2), 10.0), 1.0, np.array([0, 0, 20, 20]), True, 1)


class _NaNButFound(_Plugin):
    def _process(self, image, timestamp):
        return FrameResult(np.full((68, 2), np.nan), 1.0, np.full(4, np.nan), True, 1)


class _StickyTracker(_Plugin):
    """Remembers the face it saw and never lets go: the bug the check exists for."""

    def reset(self) -> None:
        pass

    def _process(self, image, timestamp):
        if image.std() > 10:
            self._seen = True
        if getattr(self, "_seen", False):
            return FrameResult(np.full((68, 2), 50.0), 1.0, np.array([0, 0, 100, 100]), True, -1)
        return FrameResult.no_face()


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (_FaceEverywhere, "found a face in a black 64x48 frame"),
        (_NaNButFound, "a found face must have 68 finite points"),
        (_StickyTracker, "after a face, a blank frame still had a face"),
    ],
)
def test_the_check_catches_broken_backends(factory, message):
    with pytest.raises(AssertionError, match=message):
        check_extractor(factory)
