"""`landmarkset build-ckplus` on generated and hand-broken CK+ trees."""

from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import build_ckplus, read_dataset


@pytest.fixture
def tree(ck_tree) -> str:
    return ck_tree


@pytest.fixture
def truth(ck_truth) -> dict:
    return ck_truth


def expected_counts(truth, keep_contempt=False, min_frames=10):
    counts = {}
    for record in truth.values():
        if record["emotion"] and record["frames"] >= min_frames and (keep_contempt or record["emotion"] != "contempt"):
            counts[record["emotion"]] = counts.get(record["emotion"], 0) + 1
    return counts


def test_provided_landmarks_counts_labels_and_resampling(tree, truth, tmp_path):
    out = str(tmp_path / "ck.h5")
    report = build_ckplus(tree, out, landmarks="provided", neutral=5, seed=0, progress=False)
    assert report.ok
    dataset = read_dataset(out)
    assert dataset.classes == ["neutral", "anger", "disgust", "fear", "happy", "sadness", "surprise"]
    counts = dataset.counts()
    assert counts.pop("neutral") == 5
    assert {k: v for k, v in counts.items() if v} == expected_counts(truth)
    assert dataset.X.shape[1:] == (20, 68, 2)
    for index, sequence in enumerate(dataset.sequence):
        if dataset.synthetic[index]:
            continue
        record = truth[sequence.replace("__", "/")]
        assert dataset.classes[dataset.y[index]] == record["emotion"]
        assert dataset.subject[index] == record["subject"]
        frames = np.round(np.linspace(0, record["frames"] - 1, 20)).astype(int)
        assert dataset.source_frames[index].tolist() == frames.tolist()
        true = np.array(record["landmarks"])[frames] / [640, 490]
        np.testing.assert_allclose(dataset.X[index], true, atol=1e-5)
    dropped = dict(json.loads(dataset.attrs["dropped"]))
    assert all(v.startswith("class 'contempt'") or "fewer than min_frames=10" in v for v in dropped.values())
    assert dataset.attrs["landmarks"] == "provided" and dataset.attrs["seed"] == 0


def test_keep_contempt_and_seed_reproducibility(tree, truth, tmp_path):
    a = build_ckplus(
        tree, str(tmp_path / "a.h5"), landmarks="provided", keep_contempt=True, neutral=4, seed=1, progress=False
    ).dataset
    b = build_ckplus(
        tree, str(tmp_path / "b.h5"), landmarks="provided", keep_contempt=True, neutral=4, seed=1, progress=False
    ).dataset
    c = build_ckplus(
        tree, str(tmp_path / "c.h5"), landmarks="provided", keep_contempt=True, neutral=4, seed=2, progress=False
    ).dataset
    assert "contempt" in a.classes and a.counts()["contempt"] == expected_counts(truth, True)["contempt"]
    assert json.loads(a.attrs["neutral_sources"]) == json.loads(b.attrs["neutral_sources"])
    assert json.loads(a.attrs["neutral_sources"]) != json.loads(c.attrs["neutral_sources"])
    np.testing.assert_array_equal(a.X, b.X)


def test_extracted_with_a_backend_and_label_files(tree, truth, tmp_path):
    out, labels = str(tmp_path / "ck.h5"), tmp_path / "labels"
    result = CliRunner().invoke(
        main, ["build-ckplus", tree, "-o", out, "-b", "dlib", "--neutral", "3", "--labels-dir", str(labels), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^neutral\s+3\s+3$", result.output, re.M)
    dataset = read_dataset(out)
    assert dataset.attrs["landmarks"] == "dlib"
    assert np.isfinite(dataset.X).all()
    files = sorted(str(p.relative_to(labels)) for p in labels.rglob("*_emotion.txt"))
    assert len(files) == len(dataset)
    neutral_files = [f for f in files if "_neutral" in f]
    assert len(neutral_files) == 3
    with open(labels / neutral_files[0]) as handle:
        assert handle.read() == "   0.0000000e+00\n"
    from landmarkset import open_tracks

    with open_tracks(out) as tracks:  # tracks carry their subject and label
        track = tracks[dataset.sequence[0]]
        assert track.subject == dataset.subject[0] and track.label == dataset.classes[dataset.y[0]]


def test_wrapper_folders_are_tolerated(tree, tmp_path):
    wrapped = tmp_path / "CK+"
    shutil.copytree(
        os.path.join(tree, "cohn-kanade-images"), wrapped / "extended-cohn-kanade-images" / "cohn-kanade-images"
    )
    shutil.copytree(os.path.join(tree, "Emotion"), wrapped / "Emotion_labels" / "Emotion")
    shutil.copytree(os.path.join(tree, "Landmarks"), wrapped / "Landmarks" / "Landmarks")
    report = build_ckplus(str(wrapped), str(tmp_path / "w.h5"), landmarks="provided", neutral=2, progress=False)
    assert report.ok and len(report.dataset) > 10


def test_malformed_files_fail_alone_with_one_line(tree, tmp_path):
    broken = tmp_path / "CK+"
    shutil.copytree(tree, broken)
    emotion_dir = broken / "Emotion" / "S010" / "001"
    (emotion_file,) = list(emotion_dir.iterdir())
    emotion_file.write_text("happy\n")
    empty = broken / "cohn-kanade-images" / "S011" / "009"
    empty.mkdir()
    (empty / "notes.txt").write_text("no frames here")
    result = CliRunner().invoke(
        main,
        ["build-ckplus", str(broken), "-o", str(tmp_path / "b.h5"), "--landmarks", "provided", "--neutral", "2", "-q"],
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert failed == [  # in scan order: S010 before S011
        f"FAILED {emotion_file}: not a CK+ emotion file (expected one number, found 'happy')",
        f"FAILED {empty}: sequence folder has no CK+ frames (S###_###_########.png)",
    ]
    assert "dataset written" in result.output  # the rest is built


def test_not_ckplus_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["build-ckplus", str(tmp_path), "-o", str(tmp_path / "x.h5")])
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"Error: {tmp_path}: no cohn-kanade-images folder (checked one wrapper level "
        "down): is this CK+?"
    )


def test_an_unreadable_sequence_or_subject_folder_fails_alone(tree, tmp_path, monkeypatch):
    from helpers import make_unreadable

    broken = tmp_path / "CK+"
    shutil.copytree(tree, broken)
    sequence = broken / "cohn-kanade-images" / "S010" / "001"
    subject = broken / "cohn-kanade-images" / "S011"
    make_unreadable(monkeypatch, str(sequence))
    make_unreadable(monkeypatch, str(subject))
    try:
        report = build_ckplus(str(broken), str(tmp_path / "b.h5"), landmarks="provided", neutral=2, progress=False)
    finally:
        os.chmod(sequence, 0o755)
        os.chmod(subject, 0o755)
    reasons = {failure.path: failure.reason for failure in report.failed}
    assert reasons == {str(sequence): "cannot list this folder (Permission denied)",
                       str(subject): "cannot list this folder (Permission denied)"}  # fmt: skip
    assert report.dataset is not None and len(report.dataset) > 2  # the rest is built
    assert not any(s.startswith(("S010__001", "S011__")) for s in report.dataset.sequence)


def test_a_byte_order_mark_is_not_content(tmp_path):
    from landmarkset.datasets.ckplus import read_code, read_landmarks_file
    from landmarkset.datasets.samm import _load_mapping

    bom = b"\xef\xbb\xbf"
    (tmp_path / "e.txt").write_bytes(bom + b"   3.0000000e+00\n")
    assert read_code(str(tmp_path / "e.txt")) == 3
    rows = "".join(f"   {100 + i}.5   {200 + i}.25\n" for i in range(68)).encode()
    (tmp_path / "l.txt").write_bytes(bom + rows)
    assert read_landmarks_file(str(tmp_path / "l.txt"))[0].tolist() == [100.5, 200.25]
    (tmp_path / "labels.csv").write_bytes(bom + b"006_1_2,Happy\n006_1_3,sadness\n")
    assert _load_mapping(str(tmp_path / "labels.csv")) == {"006_1_2": "happy", "006_1_3": "sadness"}


def test_links_out_of_the_root_fail_their_sample_and_are_never_read(tree, tmp_path):
    broken = tmp_path / "CK+"
    shutil.copytree(tree, broken)
    secret = tmp_path / "secret.txt"
    secret.write_text("   7.0000000e+00\n")  # would be read as contempt
    (emotion,) = list((broken / "Emotion" / "S010" / "001").iterdir())
    emotion.unlink()
    emotion.symlink_to(secret)
    frame = sorted((broken / "cohn-kanade-images" / "S011" / "001").iterdir())[0]
    outside_frame = tmp_path / "outside.png"
    shutil.move(frame, outside_frame)
    frame.symlink_to(outside_frame)
    inside = sorted((broken / "cohn-kanade-images" / "S011" / "002").iterdir())[0]
    moved = broken / "kept.png"  # a link that stays inside the root is fine
    shutil.move(inside, moved)
    inside.symlink_to(moved)
    report = build_ckplus(str(broken), str(tmp_path / "b.h5"), landmarks="provided", neutral=2, progress=False)
    reasons = {failure.path: failure.reason for failure in report.failed}
    assert reasons == {
        str(emotion): f"links to {secret}, outside the dataset root {broken}: copy the file into the tree",
        str(frame): f"links to {outside_frame}, outside the dataset root {broken}: copy the file into the tree",
    }
    assert "S011__002" in dict(report.dropped)  # its link inside the root was followed: too short, not refused


class TestCkplusLayout(LayoutTestCase):
    layout = "ckplus"
