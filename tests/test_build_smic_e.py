"""`landmarkset build smic-e` on generated SMIC-E trees: absolute and FirstF-relative frame numbers, the
intervals against the truth, bad rows failing alone."""

from __future__ import annotations

import json
import os
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import build_smic_e, read_dataset
from landmarkset.synth import synth_smic_e


@pytest.fixture(scope="module")
def smic_e(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("smic_e"))
    tree = synth_smic_e(out, subjects=2, clips_per_subject=2, frames=120, seed=0, progress=False)
    return out, tree.sheet, tree.sequences


def test_both_frame_numberings_build_as_the_truth_says(smic_e, tmp_path):
    root, sheet, truth = smic_e
    report = build_smic_e(root, sheet, str(tmp_path / "e.h5"), backend="dlib", min_frames=3, frames=8, progress=False)
    assert report.ok, report.summary()
    dataset = read_dataset(str(tmp_path / "e.h5"))
    expected = {f"{c['subject']}__{c['clip']}__{i['onset']}": (c, i) for c in truth.values() for i in c["intervals"]}
    assert sorted(dataset.sequence) == sorted(expected)
    repairs = dict(map(tuple, json.loads(dataset.attrs["repairs"])))
    for index, sequence in enumerate(dataset.sequence):
        clip, interval = expected[sequence]
        onset, apex, offset = (int(v) for v in dataset.intervals[index])
        if clip["files_from_one"]:  # files image1.jpg...: the sheet's absolute numbers minus FirstF
            assert (onset, offset) == tuple(interval["position"]) and sequence in repairs
        else:
            assert (onset, offset) == (interval["onset"], interval["offset"]) and sequence not in repairs
        assert apex == (onset + offset) // 2 and dataset.classes[dataset.y[index]] == interval["emotion"]
    assert json.loads(dataset.attrs["interval_kinds"]) == ["micro"] * len(dataset)


@pytest.mark.slow
def test_bad_rows_fail_alone(smic_e, tmp_path):
    root, sheet, truth = smic_e
    rows = sum(len(clip["intervals"]) for clip in truth.values())
    copy = tmp_path / "SMIC"
    shutil.copytree(root, copy)
    book = openpyxl.load_workbook(copy / os.path.basename(sheet))
    page = book.worksheets[0]
    page.cell(2, 2, "s9_po_99")  # a clip with no folder
    page.cell(3, 4, 10**6)  # an offset past the clip's frames
    book.save(copy / os.path.basename(sheet))
    result = CliRunner().invoke(
        main,
        [
            "build",
            "smic-e",
            str(copy),
            "--annotations",
            str(copy / os.path.basename(sheet)),
            "-o",
            str(tmp_path / "e.h5"),
            "-b",
            "dlib",
            "--min-frames",
            "3",
            "--frames",
            "8",
            "-q",
        ],
    )
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2, failed
    assert "no folder(s) named s9_po_99" in failed[0] and "are not in" in failed[1]
    assert len(read_dataset(str(tmp_path / "e.h5"))) == rows - 2  # the rest is built


@pytest.mark.slow  # extracts every frame of four clips
def test_whole_clips_are_spotted_in_the_clips_own_frame_numbers(smic_e, tmp_path):
    """Whole clips for spotting: the interval of each clip in its own frames (from FirstF), whichever way its
    files are numbered, and its track of every frame at SMIC-HS's 100 fps."""
    from landmarkset import open_tracks
    from landmarkset.datasets.registry import read_intervals

    root, sheet, truth = smic_e
    store = str(tmp_path / "whole.h5")
    report = build_smic_e(root, sheet, store, whole_videos=True, backend="dlib", progress=False)
    assert report.ok and sorted(report.whole_videos) == sorted(c["clip"] for c in truth.values())
    intervals = read_intervals("smic-e", sheet).by_video()
    with open_tracks(store) as tracks:
        for clip in truth.values():
            track = tracks[clip["clip"]]
            assert track.fps == 100.0 and track.n_frames == clip["frames"]
            (interval,) = intervals[clip["clip"]]
            assert (interval.onset, interval.offset) == tuple(clip["intervals"][0]["position"])
            assert interval.type == "micro" and interval.subject == clip["subject"]


class TestSmicELayout(LayoutTestCase):
    layout = "smic-e"
