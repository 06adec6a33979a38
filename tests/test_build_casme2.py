"""`landmarkset build casme2` on generated CASME II trees: counts against the truth, the apex policy, bad rows."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter

import openpyxl
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import build_casme2, read_dataset
from landmarkset.synth import TRUTH_FILE, synth_casme2


@pytest.fixture(scope="module")
def casme2(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("casme2"))
    tree = synth_casme2(out, subjects=2, clips_per_subject=4, seed=0, progress=False)
    return out, tree.sheet, tree.sequences


def test_a_generated_tree_builds_as_its_truth_says(casme2, tmp_path):
    root, sheet, truth = casme2
    report = build_casme2(root, sheet, str(tmp_path / "c.h5"), backend="dlib", min_frames=5, progress=False)
    assert report.ok, report.summary()
    dataset = read_dataset(str(tmp_path / "c.h5"))
    counts = {}
    for record in truth.values():
        counts[record["emotion"]] = counts.get(record["emotion"], 0) + 1
    assert dataset.counts() == counts and len(dataset) == len(truth)
    assert sorted(set(dataset.subject)) == ["sub01", "sub02"]
    for index, sequence in enumerate(dataset.sequence):
        record = truth[sequence.replace("__", "/")]
        onset, apex, offset = (int(v) for v in dataset.intervals[index])
        assert (onset, offset) == (record["onset"], record["offset"])  # absolute frame numbers, as img<N>
        if not record["defects"]:
            assert apex == record["apex"]
    (defective,) = [name for name, record in truth.items() if record["defects"]]
    repairs = dict(map(tuple, json.loads(dataset.attrs["repairs"])))
    first, last = truth[defective]["onset"], truth[defective]["offset"]
    assert repairs[defective.replace("/", "__")] == f"apex / -> midpoint {(first + last) // 2}"
    assert json.loads(dataset.attrs["interval_kinds"]) == ["micro"] * len(dataset)
    assert dataset.attrs["layout"] == "CASME II"


def test_bad_rows_fail_alone_and_a_missing_tree_is_one_line(casme2, tmp_path):
    root, sheet, truth = casme2
    copy = tmp_path / "CASME2"
    shutil.copytree(root, copy)
    book = openpyxl.load_workbook(copy / os.path.basename(sheet))
    page = book.worksheets[0]
    page.cell(2, 1, "x")  # a subject that is not a number
    page.cell(3, 2, "EP99_99")  # a clip with no folder
    page.cell(4, 4, "=A4+1")  # a formula
    book.save(copy / os.path.basename(sheet))
    sheet = str(copy / os.path.basename(sheet))
    command = ["build", "casme2", str(copy), "--annotations", sheet, "-o", str(tmp_path / "c.h5"), "-b", "dlib"]
    result = CliRunner().invoke(main, [*command, "--min-frames", "5", "-q"])
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3, failed
    assert "row 2: Subject 'x' is not a subject number (1 is sub01)" in failed[0]
    assert "row 3: no folder" in failed[1] and "row 4: OnsetFrame is a formula" in failed[2]
    assert len(read_dataset(str(tmp_path / "c.h5"))) == len(truth) - 3  # the rest is built
    result = CliRunner().invoke(main, ["build", "casme2", str(copy), "--annotations", sheet, "-o",
                                       str(tmp_path / "d.h5"), "--cropped"])  # fmt: skip
    assert result.exit_code == 2 and "no Cropped folder" in result.output


class TestCasme2Layout(LayoutTestCase):
    layout = "casme2"

    def expected(self, root):  # every clip of the truth, by its emotion (the sheet's defects are repaired)
        with open(os.path.join(root, TRUTH_FILE)) as handle:
            return dict(Counter(record["emotion"] for record in json.load(handle)["sequences"].values()))
