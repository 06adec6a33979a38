"""OpenFace CSV import and export, flat tables, round trips."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import make_track, write_video
from landmarkset.cli.main import main

from landmarkset import TrackWriter, export_openface, export_table, import_openface, open_tracks


def openface_csv(path, rows, extra_columns=True):
    """Write a FeatureExtraction-style CSV: ', '-separated, leading spaces in headers, extra columns."""
    header = ["frame", "face_id", "timestamp", "confidence", "success"]
    if extra_columns:
        header += ["gaze_0_x", "pose_Tx"]
    header += [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)]
    if extra_columns:
        header += ["AU01_r"]
    lines = [", ".join(header)]
    for frame, face, stamp, confidence, success, points in rows:
        cells = [str(frame), str(face), f"{stamp:.3f}", f"{confidence:.2f}", str(success)]
        cells += ["0.1", "2.5"] if extra_columns else []
        cells += [f"{v:.3f}" for v in points[:, 0]] + [f"{v:.3f}" for v in points[:, 1]]
        cells += ["0.7"] if extra_columns else []
        lines.append(", ".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def face(offset):
    rng = np.random.default_rng(offset)
    return rng.uniform(100, 300, (68, 2)) + offset


def test_import_keeps_failed_frames_in_place_and_splits_faces(tmp_path):
    zeros = np.zeros((68, 2))
    rows = [
        (1, 0, 0.0, 0.98, 1, face(0)),
        (1, 1, 0.0, 0.90, 1, face(5)),
        (2, 0, 0.04, 0.10, 0, zeros),  # tracking failed: OpenFace writes zeros
        (3, 0, 0.08, 0.97, 1, face(2)),
        (3, 1, 0.08, 0.93, 1, face(6)),
    ]
    path = openface_csv(tmp_path / "clip.csv", rows)
    report = import_openface(path, str(tmp_path / "t.h5"), size=(640, 480))
    assert report.ok and report.extracted == ["clip"]  # one sequence, an individual per face_id
    with open_tracks(str(tmp_path / "t.h5")) as store:
        first, second = store.individuals("clip")
    assert (first.individual, second.individual) == ("0", "1")
    assert first.n_frames == 3 and list(first.valid) == [True, False, True]
    assert np.isnan(first.landmarks[1]).all()
    np.testing.assert_allclose(first.pixels()[2], face(2), atol=1e-3)
    assert list(second.valid) == [True, False, True]  # face 1 has no row for frame 2: kept in place
    np.testing.assert_allclose(first.timestamp[[0, 2]], [0.0, 0.08])
    assert first.backend == "openface" and first.fps == pytest.approx(25.0)
    assert list(first.faces_detected) == [2, 1, 2]


def test_image_size_comes_from_the_matching_video(tmp_path, carphone_frames):
    write_video(str(tmp_path / "take.avi"), carphone_frames[:3], fps=20.0)
    openface_csv(tmp_path / "take.csv", [(i, 0, i * 0.05, 0.9, 1, face(i) / 3) for i in (1, 2, 3)])  # in 176x144
    import_openface(str(tmp_path / "take.csv"), str(tmp_path / "t.h5"))
    with open_tracks(str(tmp_path / "t.h5")) as store:
        track = store["take"]
    assert (track.width, track.height, track.fps) == (176, 144, 20.0)
    assert track.source.endswith("take.avi")


def test_bad_csvs_fail_alone_with_one_line(tmp_path):
    good = openface_csv(tmp_path / "good.csv", [(1, 0, 0.0, 0.9, 1, face(1))])
    (tmp_path / "notes.csv").write_text("name,score\nx,1\n")
    broken = openface_csv(tmp_path / "broken.csv", [(1, 0, 0.0, 0.9, 1, face(1))])
    with open(broken, "a") as handle:
        handle.write("2, 0, 0.04, 0.9, 1, oops\n")
    nosize = openface_csv(tmp_path / "nosize.csv", [(1, 0, 0.0, 0.9, 1, face(1))])
    result = CliRunner().invoke(
        main,
        [
            "import-openface",
            good,
            str(tmp_path / "notes.csv"),
            broken,
            "-o",
            str(tmp_path / "t.h5"),
            "--size",
            "640x480",
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith("1 sequence(s) imported")
    lines = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert lines == [
        f"FAILED {tmp_path / 'notes.csv'}: not an OpenFace FeatureExtraction CSV (no column 'frame'); "
        "run FeatureExtraction with -2Dfp (or the default outputs)",
        f"FAILED {broken}: line 3: a value is missing or not a number",
    ]
    report = import_openface(nosize, str(tmp_path / "u.h5"))
    assert "cannot tell the image size" in report.failed[0].reason


def test_openface_export_round_trip_is_exact(tmp_path):
    store = str(tmp_path / "t.h5")
    with TrackWriter(store) as writer:
        writer.write(make_track("a", n=9, seed=3))
    (path,) = export_openface(store, str(tmp_path / "csv"))
    with open(path) as handle:
        header = handle.readline()
    assert header.startswith("frame, face_id, timestamp, confidence, success, x_0, x_1")
    table = pd.read_csv(path, skipinitialspace=True)
    assert list(table["success"]) == [1, 1, 1, 1, 0, 1, 1, 1, 1]
    assert (table.loc[4, ["x_0", "y_67"]] == 0).all()  # as OpenFace writes failed frames
    import_openface(path, str(tmp_path / "back.h5"), size=(640, 490))
    with open_tracks(store) as original, open_tracks(str(tmp_path / "back.h5")) as back:
        a, b = original["a"], back["a"]
    np.testing.assert_array_equal(a.valid, b.valid)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)  # full precision: bit-identical float32
    np.testing.assert_allclose(a.timestamp, b.timestamp)


def test_flat_tables_csv_and_parquet(tmp_path):
    store = str(tmp_path / "t.h5")
    with TrackWriter(store) as writer:
        writer.write(make_track("a", n=4, seed=1))
        writer.write(make_track("b", n=3, seed=2))
    parquet = pd.read_parquet(export_table(store, str(tmp_path / "t.parquet")))
    from_csv = pd.read_csv(export_table(store, str(tmp_path / "t.csv")))
    for table in (parquet, from_csv):
        assert len(table) == 7 and list(table["sequence"]) == ["a"] * 4 + ["b"] * 3
        assert table.columns[-1] == "y_67" and "x_0" in table.columns
    with open_tracks(store) as tracks:
        expected = tracks["b"].landmarks[:, 5, 1]
    np.testing.assert_array_equal(parquet.loc[parquet["sequence"] == "b", "y_5"].to_numpy(np.float32), expected)
    np.testing.assert_array_equal(from_csv.loc[from_csv["sequence"] == "b", "y_5"].to_numpy(np.float32), expected)
    assert parquet["valid"].tolist() == from_csv["valid"].tolist()


def test_cli_export_formats(tmp_path):
    store = str(tmp_path / "t.h5")
    with TrackWriter(store) as writer:
        writer.write(make_track("a", n=4, seed=1))
    runner = CliRunner()
    assert runner.invoke(main, ["export", store, "-o", str(tmp_path / "of")]).exit_code == 0
    assert (tmp_path / "of" / "a.csv").exists()
    result = runner.invoke(
        main,
        [
            "export",
            store,
            "-o",
            str(tmp_path / "t.csv"),
            "--smooth",
            "savgol",
            "--smooth-param",
            "window=3",
            "--smooth-param",
            "order=1",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "t.csv") as handle:
        assert len(list(csv.reader(handle))) == 5
