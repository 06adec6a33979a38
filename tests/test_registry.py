"""Backend registry, option validation and the missing-dependency message."""

from __future__ import annotations

import numpy as np
import pytest

from landmarkset import (
    BaseExtractor,
    Extractor,
    FrameResult,
    MissingDependencyError,
    OptionError,
    get_extractor,
    list_extractors,
)
from landmarkset.extractors import Option, parse_option_pairs


def test_builtin_backends_come_from_entry_points():
    assert {"mediapipe", "dlib"} <= set(list_extractors())


def test_unknown_backend_lists_valid_names():
    with pytest.raises(OptionError, match=r"Unknown landmark backend 'openfase'. Valid backends: .*dlib.*mediapipe"):
        get_extractor("openfase")


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("dlib", {"upsample": -1}, r"The 'upsample' option of the dlib backend must be an int in \[0, 3\]. Got -1"),
        ("dlib", {"upsample": 1.5}, r"'upsample' option .* Got 1.5 instead"),
        ("dlib", {"detector": "mmod"}, r"'detector' option of the dlib backend must be one of 'hog', 'cnn'"),
        ("dlib", {"track": "maybe"}, r"'track' option of the dlib backend must be a bool"),
        ("mediapipe", {"min_detection_confidence": 2}, r"must be a float in \[0.0, 1.0\]. Got 2 instead"),
        ("mediapipe", {"crop": 3}, r"Unknown option 'crop' for the mediapipe backend. Valid options: .*crop_size"),
    ],
)
def test_bad_options_name_the_option(name, options, message):
    with pytest.raises(OptionError, match=message):
        get_extractor(name, **options)


def test_options_from_the_command_line_are_typed():
    options = parse_option_pairs(["upsample=0", "track=false", "detector=cnn"])
    extractor = get_extractor("dlib", **options)
    assert extractor.options["upsample"] == 0
    assert extractor.options["track"] is False
    assert extractor.options["detector"] == "cnn"
    with pytest.raises(OptionError, match="KEY=VALUE"):
        parse_option_pairs(["upsample"])


def test_builtin_backends_satisfy_the_protocol():
    for name in ("mediapipe", "dlib"):
        assert isinstance(get_extractor(name), Extractor)


class _NeedsAbsentLibrary(BaseExtractor):
    name = "absent"
    extra = "absent-extra"
    requires = ("landmarkset_module_that_does_not_exist",)


def test_missing_dependency_names_the_extra():
    with pytest.raises(MissingDependencyError, match=r"pip install 'landmarkset\[absent-extra\]'"):
        _NeedsAbsentLibrary()


def test_frame_result_has_fixed_shapes():
    missing = FrameResult.no_face()
    assert missing.landmarks.shape == (68, 2) and np.isnan(missing.landmarks).all()
    assert missing.box.shape == (4,) and not missing.face_found and np.isnan(missing.score)
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        FrameResult(np.zeros((5, 2)), 1.0, np.zeros(4), True)


def test_option_describe():
    assert Option(int, 1, "", low=0).describe() == "an int >= 0"
    assert Option(str, "a", "", choices=("a", "b")).describe() == "one of 'a', 'b'"
