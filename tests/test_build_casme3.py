"""`landmarkset build casme3` on generated CAS(ME)^3 part A trees: 0-based frames, repeated clips, the apex
policy, bad rows failing alone."""

from __future__ import annotations

import json
import os
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import build_casme3, read_dataset
from landmarkset.synth import synth_casme3


@pytest.fixture(scope="module")
def casme3(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("casme3"))
    tree = synth_casme3(out, subjects=2, clips_per_subject=1, frames=90, seed=0, progress=False)
    return out, tree.sheet, tree.sequences


def _expressions(truth):
    return {f"{c['subject']}__{c['clip']}__{i['onset']}": i for c in truth.values() for i in c["intervals"]}


def test_a_generated_tree_builds_as_its_truth_says(casme3, tmp_path):
    root, sheet, truth = casme3
    report = build_casme3(root, sheet, str(tmp_path / "c.h5"), backend="dlib", min_frames=3, frames=8, progress=False)
    assert report.ok, report.summary()
    dataset = read_dataset(str(tmp_path / "c.h5"))
    expected = _expressions(truth)
    assert sorted(dataset.sequence) == sorted(expected)
    assert any(len(clip["intervals"]) > 1 for clip in truth.values())  # a clip holding several expressions
    for index, sequence in enumerate(dataset.sequence):
        record = expected[sequence]
        assert dataset.classes[dataset.y[index]] == record["emotion"]
        onset, apex, offset = (int(v) for v in dataset.intervals[index])
        assert (onset, offset) == (record["onset"] + 1, record["offset"] + 1)  # 0-based files, stored 1-based
        if not record["defects"]:
            assert apex == record["apex"] + 1
        # the sample's frames are the files of its 0-based indices
        assert int(dataset.source_frames[index][0]) == record["onset"]
    (defective,) = [name for name, record in expected.items() if record["defects"]]
    repairs = dict(map(tuple, json.loads(dataset.attrs["repairs"])))
    assert repairs[defective].endswith("(0-based)") and "-> midpoint" in repairs[defective]


@pytest.mark.slow
def test_bad_rows_fail_alone(casme3, tmp_path):
    root, sheet, truth = casme3
    copy = tmp_path / "CASME3"
    shutil.copytree(root, copy)
    book = openpyxl.load_workbook(copy / os.path.basename(sheet))
    page = book.worksheets[0]
    page.cell(2, 2, "z")  # a clip with no folder
    page.cell(3, 5, 9999)  # an offset past the last frame file
    page.cell(4, 3, "=C3+1")  # a formula
    book.save(copy / os.path.basename(sheet))
    command = [
        "build",
        "casme3",
        str(copy),
        "--annotations",
        str(copy / os.path.basename(sheet)),
        "-o",
        str(tmp_path / "c.h5"),
        "-b",
        "dlib",
        "--min-frames",
        "3",
        "--frames",
        "8",
        "-q",
    ]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3, failed
    assert "row 2: no folder" in failed[0] and "row 3: frame files" in failed[1] and "Onset is a formula" in failed[2]
    assert len(read_dataset(str(tmp_path / "c.h5"))) == len(_expressions(truth)) - 3


class TestCasme3Layout(LayoutTestCase):
    layout = "casme3"
