"""`landmarkset build smic` on generated SMIC-HS trees: counts against the truth, the interval policy, the
non_micro clips dropped with a reason, bad folders failing alone."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from helpers import make_unreadable
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import build_smic, read_dataset
from landmarkset.datasets.smic import SMIC_TREE
from landmarkset.synth import synth_smic


@pytest.fixture(scope="module")
def smic(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("smic"))
    truth = synth_smic(out, subjects=2, clips_per_subject=3, seed=0, progress=False)["sequences"]
    return out, truth


def test_a_generated_tree_builds_as_its_truth_says(smic, tmp_path):
    root, truth = smic
    report = build_smic(root, str(tmp_path / "s.h5"), backend="dlib", min_frames=5, progress=False)
    assert report.ok, report.summary()
    dataset = read_dataset(str(tmp_path / "s.h5"))
    micro = {name: record for name, record in truth.items() if record["micro"]}
    counts = {}
    for record in micro.values():
        counts[record["class"]] = counts.get(record["class"], 0) + 1
    assert dataset.counts() == counts and len(dataset) == len(micro)
    assert sorted(set(dataset.subject)) == ["s1", "s2"]  # numbered with a gap: s3 is absent
    for index, sequence in enumerate(dataset.sequence):
        record = micro[sequence.replace("__", "/")]
        assert tuple(int(v) for v in dataset.intervals[index]) == (1, (1 + record["frames"]) // 2, record["frames"])
    (non_micro,) = [record["clip"] for record in truth.values() if not record["micro"]]
    assert dict(report.dropped)[non_micro] == "a non_micro clip (not a micro-expression)"
    settings = json.loads(dataset.attrs["settings"])
    assert settings["camera"] == "HS" and settings["fps"] == 100.0 and "apex the middle" in settings["interval_policy"]
    assert dataset.attrs["layout"] == "SMIC"


@pytest.mark.slow
def test_bad_folders_fail_alone_and_a_wrong_root_is_one_line(smic, tmp_path, monkeypatch):
    root, truth = smic
    copy = tmp_path / "SMIC"
    shutil.copytree(root, copy)
    hs = copy / SMIC_TREE / "HS"
    os.makedirs(hs / "s1" / "micro" / "happy" / "s1_ha_01")  # a class SMIC does not have
    empty = hs / "s2" / "micro" / "positive" / "s2_po_09"
    os.makedirs(empty)  # a clip folder without frames
    clip = next(p for p in (hs / "s2" / "micro").glob("*/*") if p.name != "s2_po_09")
    make_unreadable(monkeypatch, str(clip))
    try:
        result = CliRunner().invoke(
            main, ["build", "smic", str(copy), "-o", str(tmp_path / "s.h5"), "-b", "dlib", "--min-frames", "5", "-q"]
        )
    finally:
        os.chmod(clip, 0o755)
        monkeypatch.undo()
    assert result.exit_code == 1, result.output
    failed = sorted(line for line in result.output.splitlines() if line.startswith("FAILED"))
    assert len(failed) == 3, failed
    assert any("class folder 'happy' is not one of negative, positive, surprise" in line for line in failed)
    assert any("s2_po_09: no numbered frames" in line for line in failed)
    assert any(clip.name in line and "cannot list this folder (Permission denied)" in line for line in failed)
    micro = sum(record["micro"] for record in truth.values())
    assert len(read_dataset(str(tmp_path / "s.h5"))) == micro - 1  # the rest is built
    os.makedirs(tmp_path / "empty" / "wrapper")
    result = CliRunner().invoke(main, ["build", "smic", str(tmp_path / "empty"), "-o", str(tmp_path / "x.h5")])
    assert result.exit_code == 2 and "no SMIC_all_cropped folder" in result.output
    result = CliRunner().invoke(main, ["build", "smic", str(copy), "-o", str(tmp_path / "x.h5"), "--camera", "NIR"])
    assert result.exit_code == 2 and "no NIR folder" in result.output


class TestSmicLayout(LayoutTestCase):
    layout = "smic"
