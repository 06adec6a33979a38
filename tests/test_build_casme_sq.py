"""`landmarkset build casme-sq` on generated CAS(ME)^2 trees: intervals and types against the truth, the
naming rules, the offset-0 and lost-zero policies, bad rows failing alone."""

from __future__ import annotations

import json
import os
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import build_casme_sq, read_dataset
from landmarkset.synth import synth_casme_sq


@pytest.fixture(scope="module")
def casme_sq(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("casme_sq"))
    tree = synth_casme_sq(out, subjects=2, videos_per_subject=1, frames=240, seed=0, progress=False)
    return out, tree.sheet, tree.sequences


def _intervals(truth):
    return {f"{video['subject']}__{i['name']}": i for video in truth.values() for i in video["intervals"]}


def test_a_generated_tree_builds_as_its_truth_says(casme_sq, tmp_path):
    root, sheet, truth = casme_sq
    report = build_casme_sq(root, sheet, str(tmp_path / "c.h5"), backend="dlib", min_frames=3, frames=8, progress=False)
    assert report.ok, report.summary()
    dataset = read_dataset(str(tmp_path / "c.h5"))
    expected = _intervals(truth)
    assert sorted(dataset.sequence) == sorted(expected)
    assert sorted(set(dataset.subject)) == ["s15", "s16"]  # naming rule1: sheet subjects 1, 2 are s15, s16
    kinds = json.loads(dataset.attrs["interval_kinds"])
    for index, sequence in enumerate(dataset.sequence):
        record = expected[sequence]
        assert dataset.classes[dataset.y[index]] == record["emotion"] and kinds[index] == record["type"]
        onset, apex, offset = (int(v) for v in dataset.intervals[index])
        assert (onset, apex, offset) == (
            record["onset"],
            record["apex"],
            record["offset"] if not record["defects"] else record["apex"],
        )
    repairs = dict(map(tuple, json.loads(dataset.attrs["repairs"])))
    (defective,) = [name for name, record in expected.items() if record["defects"]]
    assert repairs[defective] == f"offset 0 -> apex {expected[defective]['apex']}"
    assert repairs["disgust1"] == "video code 101 in naming rule2 read as 0101"
    micro = build_casme_sq(
        root, sheet, str(tmp_path / "m.h5"), kind="micro", backend="dlib", min_frames=3, frames=8, progress=False
    )
    assert len(micro.dataset) == sum(r["type"] == "micro" for r in expected.values())
    assert all(reason == "type 'macro' not selected" for _, reason in micro.dropped if "type" in reason)


@pytest.mark.slow
def test_bad_rows_fail_alone_and_a_wrong_workbook_is_one_line(casme_sq, tmp_path):
    root, sheet, truth = casme_sq
    copy = tmp_path / "CASME_sq"
    shutil.copytree(root, copy)
    book = openpyxl.load_workbook(copy / os.path.basename(sheet))
    page = book["CASMEcode_final"]
    page.cell(1, 1, 9)  # a subject naming rule1 does not know
    page.cell(2, 2, "sadness7_1")  # a video naming rule2 does not know
    page.cell(3, 5, 9999)  # an offset past the last frame on disk
    book.save(copy / os.path.basename(sheet))
    sheet = str(copy / os.path.basename(sheet))
    command = ["build", "casme-sq", str(copy), "--annotations", sheet, "-o", str(tmp_path / "c.h5"), "-b", "dlib"]
    result = CliRunner().invoke(main, [*command, "--min-frames", "3", "--frames", "8", "-q"])
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3, failed
    assert "row 1: subject 9 is not in naming rule1" in failed[0]
    assert "row 2: video 'sadness7' is not in naming rule2" in failed[1]
    assert "row 3: frames" in failed[2] and "are not in rawpic" in failed[2]
    assert len(read_dataset(str(tmp_path / "c.h5"))) == len(_intervals(truth)) - 3  # the rest is built
    del book["naming rule1"]
    book.save(copy / os.path.basename(sheet))
    result = CliRunner().invoke(main, [*command, "-o", str(tmp_path / "d.h5")])
    assert result.exit_code == 2 and "no 'naming rule1' or 'naming rule2' sheet" in result.output


@pytest.mark.slow  # extracts every frame of two 240-frame videos
def test_whole_long_videos_are_spotted_and_scored_against_their_own_sheet(casme_sq, tmp_path):
    from landmarkset import open_tracks
    from landmarkset.datasets.registry import read_intervals

    root, sheet, truth = casme_sq
    store = str(tmp_path / "long.h5")
    result = CliRunner().invoke(main, ["build", "casme-sq", root, "--annotations", sheet, "-o", store, "-b", "dlib",
                                       "--whole-videos", "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    videos = {video: record for video, record in truth.items()}  # "15_0101disgustingteeth": its id is "15_0101"
    with open_tracks(store) as tracks:
        assert sorted(tracks.ids()) == sorted(video[:7] for video in videos)
        for video, record in videos.items():
            track = tracks[video[:7]]
            assert track.n_frames == record["frames"] and track.fps == 30.0 and track.subject == record["subject"]
    sheet_intervals = read_intervals("casme-sq", sheet)
    assert len(sheet_intervals.intervals) == sum(len(record["intervals"]) for record in videos.values())
    spot = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "spots"), "--layout", "casme-sq",
                                     "--annotations", sheet, "-q", "--no-curves"])  # fmt: skip
    assert spot.exit_code == 0, spot.output
    report = json.loads((tmp_path / "spots" / "report.json").read_text())
    assert report["megc"]["overall"]["ground_truth"] == len(sheet_intervals.intervals)
    assert report["unmatched_annotations"] == [] and report["megc"]["overall"]["predictions"] > 0
    # the sheet's intervals in the videos' frames, typed as the sheet types them (offset 0 read as the apex)
    for video, record in videos.items():
        mine = sorted((i.onset, i.offset, i.type) for i in sheet_intervals.intervals if i.video == video[:7])
        expected = sorted((r["onset"], r["apex"] if r["defects"] else r["offset"], r["type"])
                          for r in record["intervals"])  # fmt: skip
        assert mine == expected
    # the SAMM reader refuses CAS(ME)^2's workbook in one line
    refused = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "x"), "--annotations", sheet, "-q"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


class TestCasmeSquaredLayout(LayoutTestCase):
    layout = "casme-sq"
