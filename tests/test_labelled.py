"""Per-frame extras through the store and the exports; tracks as labelled arrays loaded by ``movement`` itself."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from helpers import make_track
from landmarkset.cli.main import main

from landmarkset import InputError, TrackWriter, export_netcdf, from_xarray, import_movement, open_tracks, to_xarray
from landmarkset.extras import BLENDSHAPES, HEAD_POSE, POINT_CONFIDENCE, FrameExtra
from landmarkset.labelled import KEYPOINTS
from landmarkset.openface import export_openface, export_table, import_openface

GAZE = FrameExtra("gaze", (2,), "a plug-in's own extra: gaze angles", unit="rad", labels=("x", "y"))


def rich_track(track_id: str = "rich", n: int = 6, seed: int = 0):
    """A track with every kind of extra: point confidence, blendshapes, head pose and a plug-in's own."""
    track = make_track(track_id, n=n, seed=seed)
    rng = np.random.default_rng(seed)
    yaw = np.linspace(-0.4, 0.4, n)
    pose = np.zeros((n, 4, 4), np.float32)
    pose[:, 0, 0] = pose[:, 2, 2] = np.cos(yaw)
    pose[:, 0, 2], pose[:, 2, 0] = np.sin(yaw), -np.sin(yaw)
    pose[:, 1, 1] = pose[:, 3, 3] = 1
    pose[:, :3, 3] = [1.0, 2.0, -40.0]
    extras = {
        POINT_CONFIDENCE.name: rng.random((n, 68)),
        BLENDSHAPES.name: rng.random((n, 52)),
        HEAD_POSE.name: pose,
        GAZE.name: rng.random((n, 2)),
    }
    for values in extras.values():
        values[~track.valid] = np.nan
    faces = np.arange(n) % 3 - 1  # -1 (the detector did not run), 0 and 1 faces
    return dataclasses.replace(track, extras=extras, extra_specs={GAZE.name: GAZE}, faces_detected=faces)


@pytest.fixture
def store(tmp_path) -> str:
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(rich_track())
        writer.write(make_track("plain", n=4, seed=1))
    return path


def test_extras_round_trip_through_the_store(store):
    written = rich_track()
    with open_tracks(store) as tracks:
        rich, plain = tracks["rich"], tracks["plain"]
        assert tracks.extra_specs("rich")["gaze"].labels == ("x", "y")
    assert plain.extras == {} and plain.point_confidence is None and plain.head_rotation() is None
    assert sorted(rich.extras) == ["blendshapes", "gaze", "head_pose", "point_confidence"]
    for name, values in written.extras.items():
        np.testing.assert_array_equal(rich.extras[name], values)
    assert rich.extra_specs["gaze"] == GAZE and rich.extra_specs["blendshapes"] is BLENDSHAPES
    np.testing.assert_array_equal(rich.blendshapes["jawOpen"], written.extras["blendshapes"][:, 25])
    # A turn about MediaPipe's y axis (up) is the opposite turn about OpenFace's (down).
    yaw = rich.head_rotation()[:, 1]
    np.testing.assert_allclose(yaw[rich.valid], -np.linspace(-0.4, 0.4, 6)[rich.valid], atol=1e-6)


def test_a_wrongly_shaped_extra_is_refused():
    track = make_track("bad", n=3)
    with pytest.raises(ValueError, match="extra blendshapes has shape"):
        dataclasses.replace(track, extras={"blendshapes": np.zeros((3, 51))})
    with pytest.raises(ValueError, match="no declaration"):
        dataclasses.replace(track, extras={"mystery": np.zeros((3, 1))})


def test_flat_table_and_openface_csv_carry_the_extras(store, tmp_path):
    table = pd.read_parquet(export_table(store, str(tmp_path / "t.parquet")))
    assert {"blendshapes_jawOpen", "point_confidence_67", "gaze_y", "pose_Rx", "pose_Tz"} <= set(table.columns)
    assert table.columns.get_loc("y_67") < table.columns.get_loc("point_confidence_0")
    plain = table[table["sequence"] == "plain"]
    assert plain["blendshapes_jawOpen"].isna().all()
    rich = table[table["sequence"] == "rich"]
    np.testing.assert_allclose(rich["pose_Ry"].to_numpy()[[0, 1, 2, 4, 5]], -np.linspace(-0.4, 0.4, 6)[[0, 1, 2, 4, 5]])
    np.testing.assert_allclose(rich["pose_Tz"].dropna(), 400.0)  # 40 cm towards the camera: 400 mm away
    path = next(p for p in export_openface(store, str(tmp_path / "of")) if p.endswith("rich.csv"))
    openface = pd.read_csv(path, skipinitialspace=True)
    columns = list(openface.columns)
    assert columns[5:11] == ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    assert columns[11] == "x_0" and openface.loc[3, "pose_Rx"] == 0  # failed frame: zeros, as OpenFace writes
    import_openface(path, str(tmp_path / "back.h5"), size=(640, 490))  # OpenFace's own reader still reads it
    with open_tracks(str(tmp_path / "back.h5")) as back:
        np.testing.assert_array_equal(back["rich"].landmarks, rich_track().landmarks)


def test_netcdf_export_is_a_movement_dataset_and_reads_back_as_the_track(store, tmp_path):
    from movement.kinematics import compute_speed
    from movement.validators.datasets import ValidPosesInputs

    path = export_netcdf(store, str(tmp_path / "rich.nc"), sequences=["rich"])
    dataset = xr.open_dataset(path)  # what movement's docs tell its users to do
    ValidPosesInputs.validate(dataset)
    ValidPosesInputs(
        position_array=dataset.position.values,
        confidence_array=dataset.confidence.values,
        individual_names=list(dataset.individuals.values),
        keypoint_names=list(dataset.keypoints.values),
        fps=dataset.attrs["fps"],
        source_software=dataset.attrs["source_software"],
    )
    assert dataset.position.dims == ("time", "space", "keypoints", "individuals")
    assert dataset.position.shape == (6, 2, 68, 1) and tuple(dataset.keypoints.values) == KEYPOINTS
    assert dataset.attrs["source_software"] == "landmarkset" and dataset.attrs["fps"] == 30.0
    written = rich_track()
    np.testing.assert_allclose(dataset.position.values[:, 0, 0, 0], written.landmarks[:, 0, 0] * 640)
    assert np.isnan(dataset.position.values[3]).all() and np.isnan(dataset.confidence.values[3]).all()
    np.testing.assert_allclose(dataset.confidence.values[0, :, 0], written.point_confidence[0], rtol=1e-6)
    speed = compute_speed(dataset.position)  # movement's kinematics run on the export as on any pose track
    assert speed.dims == ("time", "keypoints", "individuals") and np.isfinite(speed.values[0]).all()
    (back,) = from_xarray(dataset)
    for field in ("landmarks", "valid", "timestamp", "frame_index", "point_confidence", "faces_detected", "box"):
        np.testing.assert_array_equal(getattr(back, field), getattr(written, field), err_msg=field)
    assert (back.id, back.width, back.backend, back.subject) == ("rich", 640, "dlib", "S005")
    np.testing.assert_array_equal(back.extras["head_pose"], written.extras["head_pose"])
    assert back.extra_specs["gaze"].labels == ("x", "y")


def test_a_store_becomes_a_tree_and_a_file_with_one_group_per_sequence(store, tmp_path):
    tree = to_xarray(store)
    assert sorted(tree.children) == ["plain", "rich"] and tree["plain"].to_dataset().position.shape[0] == 4
    result = CliRunner().invoke(main, ["export", store, "-o", str(tmp_path / "all.nc")])
    assert result.exit_code == 0, result.output
    plain = xr.open_dataset(tmp_path / "all.nc", group="plain")
    # Without per-point confidence the frame's confidence is repeated over the points, and said so.
    assert plain.attrs["confidence_origin"] == "frame" and plain.confidence.values[0, 5, 0] == pytest.approx(0.9)
    result = CliRunner().invoke(main, ["import-movement", str(tmp_path / "all.nc"), "-o", str(tmp_path / "back.h5")])
    assert result.exit_code == 0, result.output
    with open_tracks(store) as original, open_tracks(str(tmp_path / "back.h5")) as back:
        assert back.ids() == ["plain", "rich"]
        for track_id in ("plain", "rich"):
            np.testing.assert_array_equal(back[track_id].landmarks, original[track_id].landmarks)
        assert back["plain"].point_confidence is None
        np.testing.assert_allclose(back["plain"].confidence, original["plain"].confidence, rtol=1e-6)
    again = import_movement(str(tmp_path / "all.nc"), str(tmp_path / "back.h5"))
    assert again.extracted == [] and sorted(again.skipped) == ["plain", "rich"]  # same file: kept, not doubled


def test_a_deeplabcut_face_track_comes_in_with_its_gaps(tmp_path):
    from movement.io import load_poses, save_poses

    rng = np.random.default_rng(3)
    pixels = rng.uniform(100, 300, (8, 2, 68, 1))
    pixels[2] = np.nan  # the tracker lost the face
    pixels[5, :, 10:20] = np.nan  # and some points on another frame
    names = [f"p{k}" for k in range(68)]  # foreign names: taken in iBUG 300-W order
    poses = load_poses.from_numpy(pixels, rng.random((8, 68, 1)), ["mouse_face"], names, fps=25.0)
    save_poses.to_dlc_file(poses, str(tmp_path / "face.h5"), split_individuals=False)
    (tmp_path / "wrong.nc").write_bytes(b"not netcdf")
    report = import_movement(
        [str(tmp_path / "face.h5")], str(tmp_path / "t.h5"), size=(400, 400), source_software="DeepLabCut", fps=25.0
    )
    assert report.ok and report.extracted == ["mouse_face"]
    (warning,) = report.warnings
    assert "1 frames of 'mouse_face' have only some of the 68 points" in warning
    with open_tracks(str(tmp_path / "t.h5")) as tracks:
        track = tracks["mouse_face"]
    assert track.valid.tolist() == [True, True, False, True, True, False, True, True]
    np.testing.assert_allclose(track.landmarks[0], pixels[0, :, :, 0].T / 400, rtol=1e-6)
    np.testing.assert_allclose(track.timestamp, np.arange(8) / 25.0)
    assert track.point_confidence is not None and np.isnan(track.point_confidence[2]).all()
    failed = import_movement([str(tmp_path / "wrong.nc")], str(tmp_path / "u.h5"))
    assert len(failed.failed) == 1 and "not a NetCDF file" in failed.failed[0].reason


def test_a_dataset_that_is_not_a_face_track_is_refused_with_one_line():
    from movement.io import load_poses

    from landmarkset import InputError

    body = load_poses.from_numpy(np.zeros((3, 2, 5, 1)), individual_names=["mouse"])
    with pytest.raises(InputError, match="5 keypoints; a face track needs the 68"):
        from_xarray(body, size=(10, 10), name="mouse.nc")
    face = load_poses.from_numpy(np.zeros((3, 2, 68, 1)), individual_names=["face"])
    with pytest.raises(InputError, match="give --size"):
        from_xarray(face, name="face.nc")


def test_hostile_movement_files_fail_alone_and_the_others_are_imported(tmp_path):
    from movement.io import load_poses

    rng = np.random.default_rng(4)

    def face(name: str, **attrs):
        poses = load_poses.from_numpy(rng.uniform(100, 300, (6, 2, 68, 1)), individual_names=[name], fps=25.0)
        poses.attrs = {key: value for key, value in {**poses.attrs, **attrs}.items() if value is not None}
        return poses

    bad = {
        "fps-text": (face("a", fps="abc"), "the fps attribute 'abc' is not a number"),
        "fps-negative": (face("b", fps=-25.0), "is not a frame rate"),
        "fps-huge": (face("c", fps=1e9), "is not a frame rate"),
        "times-decreasing": (face("d").assign_coords(time=[0.0, 0.04, 0.08, 0.04, 0.16, 0.2]), "do not increase"),
        "times-negative": (face("e").assign_coords(time=np.arange(6) * 0.04 - 1), "time starts before 0"),
        "string-extra": (face("f").assign(extra_mood=(("time", "individuals"), np.full((6, 1), "x"))), "not numbers"),
        "extra-dims": (face("g").assign(extra_odd=(("individuals",), [1.0])), "extra 'odd' has dimensions"),
    }
    paths = []
    for name, (dataset, _) in bad.items():
        dataset.to_netcdf(tmp_path / f"{name}.nc", engine="h5netcdf")
        paths.append(str(tmp_path / f"{name}.nc"))
    face("good").to_netcdf(tmp_path / "good.nc", engine="h5netcdf")
    report = import_movement([*paths, str(tmp_path / "good.nc")], str(tmp_path / "t.h5"), size=(400, 400))
    assert report.extracted == ["good"]
    reasons = {failure.path.split("/")[-1][:-3]: failure.reason for failure in report.failed}
    assert sorted(reasons) == sorted(bad)
    for name, (_, expected) in bad.items():
        assert expected in reasons[name], (name, reasons[name])
    with pytest.raises(InputError, match="is not a frame size"):
        from_xarray(face("h"), size=(0, 10**9), name="h.nc")
    result = CliRunner().invoke(main, ["import-movement", str(tmp_path / "good.nc"), "-o", str(tmp_path / "u.h5"),
                                       "--size", "400x400"])  # fmt: skip
    assert result.exit_code == 0 and "nan" not in result.output, result.output


def test_one_extra_of_two_widths_is_refused_by_the_table_export_before_any_file(tmp_path):
    path = str(tmp_path / "t.h5")
    wide = FrameExtra("gaze", (3,), "gaze with a confidence", labels=("x", "y", "c"))
    with TrackWriter(path) as writer:
        writer.write(rich_track("a"))
        other = make_track("b", n=4)
        writer.write(dataclasses.replace(other, extras={"gaze": np.zeros((4, 3))}, extra_specs={"gaze": wide}))
    for name in ("t.csv", "t.parquet"):
        with pytest.raises(InputError, match=r"the extra 'gaze' has 2 column\(s\) in 'a' and 3 in 'b'"):
            export_table(path, str(tmp_path / name))
        assert not (tmp_path / name).exists()
    assert len(export_table(path, str(tmp_path / "b.csv"), sequences=["b"]).split()) == 1
