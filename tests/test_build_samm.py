"""`landmarkset build-samm` on generated SAMM trees: both releases, defect policies, labels, subsampling."""

from __future__ import annotations

import json
import os

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import read_dataset
from landmarkset.datasets.samm import au_emotion, au_set, build_samm, read_annotations
from landmarkset.synth import TRUTH_FILE, synth_samm, synth_samm_long


@pytest.fixture(scope="module")
def micro(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("samm"))
    truth = synth_samm(out, subjects=2, clips_per_subject=4, seed=0, progress=False)["sequences"]
    return out, os.path.join(out, "SAMM_Micro_FACS_Codes_v2.xlsx"), truth


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("samm-long"))
    truth = synth_samm_long(out, subjects=1, videos_per_subject=1, frames=1400, seed=0, progress=False)["sequences"]
    return out, os.path.join(out, "SAMM_LongVideos_V1_Release.xlsx"), truth


def test_au_strings_and_prototypes():
    assert au_set("B4+C7") == {"4", "7"} and au_set("R12+R14") == {"R12", "R14"} and au_set("A12 or 14") == {"12"}
    assert au_emotion("B6+C12") == "happy" and au_emotion("R12+R14") == "contempt"
    assert au_emotion("1+2+5+26") == "surprise" and au_emotion("4+7+23") == "anger" and au_emotion("10") is None


def test_micro_sheet_policies(micro):
    _, sheet, truth = micro
    read = read_annotations(sheet)
    release, rows, dropped = read.release, read.rows, read.dropped
    assert release == "micro" and dropped == [] and read.failed == [] and len(rows) == len(truth)
    by_name = {row.filename: row for row in rows}
    for clip, record in truth.items():
        row = by_name[clip]
        if any("apex missing" in d for d in record["defects"]):
            assert row.repairs == ["apex -1 outside [onset, offset] -> midpoint"]
            assert row.apex == (record["onset"] + record["offset"]) // 2
        elif not record["defects"]:
            assert (row.onset, row.apex, row.offset, row.repairs) == (
                record["onset"],
                record["apex"],
                record["offset"],
                [],
            )
    strict = read_annotations(sheet, on_defect="drop")
    assert len(strict.rows) == len(rows) - 2 and len(strict.dropped) == 2  # missing apex, 'or' in the AUs


def test_micro_onset_to_apex_only_decodes_what_it_needs(micro, tmp_path):
    root, sheet, truth = micro
    out = str(tmp_path / "s.h5")
    report = build_samm(root, sheet, out, backend="dlib", apex=True, min_frames=5, progress=False)
    assert report.ok
    dataset = read_dataset(out)
    labelled = {c: r for c, r in truth.items() if r["emotion"] is not None}
    assert sorted(dataset.sequence) == sorted(labelled)
    for index, clip in enumerate(dataset.sequence):
        record, onset, apex_frame, offset = labelled[clip], *dataset.intervals[index]
        assert onset == record["onset"] and offset == record["offset"]
        expected = onset + np.round(np.linspace(0, apex_frame - onset, 20)).astype(int) - 1
        assert dataset.source_frames[index].tolist() == expected.tolist()
        assert dataset.classes[dataset.y[index]] == record["emotion"]
    from landmarkset import open_tracks

    with open_tracks(out) as tracks:
        track = tracks[dataset.sequence[0]]
        assert track.n_frames <= 20  # only the frames it needs, not the whole clip
        assert track.subject == dataset.subject[0]
    for name, _ in json.loads(dataset.attrs["repairs"]):
        assert name in dataset.sequence


def test_offset_past_the_frames_on_disk_is_clipped_and_recorded(micro, tmp_path):
    root, sheet, truth = micro
    (clip,) = [c for c, r in truth.items() if any("offset" in d for d in r["defects"])]
    report = build_samm(
        root, sheet, str(tmp_path / "o.h5"), backend="dlib", keep_other=True, min_frames=5, progress=False
    )
    repairs = dict(map(tuple, json.loads(report.dataset.attrs["repairs"])))
    last = truth[clip]["offset"]
    assert repairs[clip] == f"end frame {last + 3} past the last frame on disk ({last}) -> {last}"
    assert "other" in report.dataset.classes


def test_long_videos_by_position_with_aus_labels_and_type(long_videos, tmp_path):
    root, sheet, truth = long_videos
    read = read_annotations(sheet)
    release, rows = read.release, read.rows
    assert release == "long"
    repairs = {r.filename: r.repairs for r in rows if r.repairs}
    intervals = {i["name"]: i for v in truth.values() for i in v["intervals"]}
    for name, applied in repairs.items():
        flagged = intervals[name]["defects"]
        assert ("onset 0 in the sheet" in flagged) == ("onset 0 -> 1" in applied)
        assert ("apex outside [onset, offset] in the sheet" in flagged) == any("apex" in a for a in applied)
    assert sorted(repairs) == sorted(n for n, i in intervals.items() if i["defects"])
    out = str(tmp_path / "l.h5")
    report = build_samm(root, sheet, out, backend="dlib", kind="macro", labels="aus", progress=False)
    dataset = read_dataset(out)
    assert report.ok and dataset.attrs["type"] == "macro" and dataset.attrs["labels"] == "aus"
    assert set(dataset.sequence) <= {n for n, i in intervals.items() if i["type"] == "macro"}
    for index, name in enumerate(dataset.sequence):
        assert dataset.classes[dataset.y[index]] == au_emotion("+".join(intervals[name]["aus"]))


def test_per_emotion_neutral_and_mapping(micro, tmp_path):
    root, sheet, truth = micro
    mapping = tmp_path / "labels.csv"
    mapping.write_text("".join(f"{clip},{'happy' if i % 2 else 'sadness'}\n" for i, clip in enumerate(sorted(truth))))
    out = str(tmp_path / "m.h5")
    report = build_samm(
        root,
        sheet,
        out,
        backend="dlib",
        labels=str(mapping),
        per_emotion=2,
        neutral=2,
        min_frames=5,
        seed=3,
        progress=False,
    )
    dataset = read_dataset(out)
    assert dataset.counts() == {"neutral": 2, "happy": 2, "sadness": 2}
    assert report.ok and json.loads(dataset.attrs["neutral_sources"]) == [
        s for s in dataset.sequence if not s.endswith("__neutral") and s + "__neutral" in dataset.sequence
    ]


def test_sheet_without_header_and_long_sheet_without_emotions_are_one_line_errors(long_videos, tmp_path):
    root, sheet, _ = long_videos
    bad = tmp_path / "bad.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["no", "header", "here"])
    book.save(bad)
    result = CliRunner().invoke(main, ["build-samm", root, "--annotations", str(bad), "-o", str(tmp_path / "x.h5")])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {bad}: no header row (a row whose first cell is 'Subject'): is this a SAMM annotation sheet?"
    )
    result = CliRunner().invoke(main, ["build-samm", root, "--annotations", sheet, "-o", str(tmp_path / "y.h5")])
    assert result.exit_code == 2 and "no emotion column" in result.output
    assert os.path.exists(os.path.join(root, TRUTH_FILE))


def test_an_unreadable_clip_folder_fails_alone(micro, tmp_path, monkeypatch):
    import shutil

    from helpers import make_unreadable

    root, sheet, truth = micro
    copy = tmp_path / "SAMM"
    shutil.copytree(root, copy)
    clip = sorted(truth)[0]
    folder = next(str(p) for p in copy.rglob(clip) if p.is_dir())
    make_unreadable(monkeypatch, folder)
    try:
        report = build_samm(str(copy), str(copy / os.path.basename(sheet)), str(tmp_path / "s.h5"), backend="dlib",
                            keep_other=True, min_frames=5, progress=False)  # fmt: skip
    finally:
        os.chmod(folder, 0o755)
    assert [(f.path, f.reason) for f in report.failed] == [(folder, "cannot list this folder (Permission denied)")]
    built = set(report.dataset.sequence)
    assert clip not in built and sorted(truth)[1] in built


def test_merged_cells_and_hidden_rows_are_read_as_seen_and_noted(micro, tmp_path):
    _, sheet, _ = micro
    book = openpyxl.load_workbook(sheet)
    page = book.worksheets[0]
    header = next(r for r in range(1, 30) if page.cell(r, 1).value == "Subject")
    first, second = header + 1, header + 2
    subject_column = 1
    assert page.cell(first, subject_column).value == page.cell(second, subject_column).value  # one subject's rows
    page.merge_cells(start_row=first, start_column=subject_column, end_row=second, end_column=subject_column)
    page.row_dimensions[header + 3].hidden = True
    edited = str(tmp_path / "edited.xlsx")
    book.save(edited)
    plain, read = read_annotations(sheet), read_annotations(edited)
    assert [(r.subject, r.filename) for r in read.rows] == [(r.subject, r.filename) for r in plain.rows]
    assert read.failed == []
    assert read.notes == [
        (f"rows {first}-{second}", f"A{first}:A{second} is one merged cell: its value "
         f"{plain.rows[0].subject!r} is read in each of these rows"),
        (f"row {header + 3}", "hidden in the sheet: read like the other rows"),
    ]  # fmt: skip


@pytest.mark.slow  # extracts every frame of a 1,400-frame video
def test_whole_long_videos_for_spotting(long_videos, micro, tmp_path):
    from landmarkset.models.spotting import spot_tracks

    from landmarkset import open_tracks

    root, sheet, truth = long_videos
    out = str(tmp_path / "whole.h5")
    args = ["build-samm", root, "--annotations", sheet, "-o", out, "-b", "dlib", "--whole-videos", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 whole video(s)" in result.output and "no /dataset" in result.output
    (video,) = truth
    with open_tracks(out) as tracks:
        assert tracks.ids() == [video]  # named as the sheet names it: spot and train-spotter match it
        track = tracks[video]
        on_disk = len(os.listdir(os.path.join(root, "SAMM_longvideos", video)))
        assert track.n_frames == on_disk == truth[video]["frames"]
        assert track.subject == truth[video]["subject"] and track.fps == 200.0
        assert track.valid.mean() > 0.9 and "dataset" not in tracks._file
    report = spot_tracks(out, str(tmp_path / "spots"), annotations=sheet, curves=False, progress=False)
    assert report.megc["overall"]["ground_truth"] == len(truth[video]["intervals"])
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "0 written, 1 already done" in again.output, again.output
    # options that cut samples, and the micro sheet's clips, are refused in one line before anything is written
    refused = CliRunner().invoke(main, [*args[:-1], "-o", str(tmp_path / "x.h5"), "--apex"])
    assert refused.exit_code != 0 and "--span/--apex) do not apply" in refused.output
    assert "Traceback" not in refused.output and not os.path.exists(tmp_path / "x.h5")
    micro_root, micro_sheet, _ = micro
    refused = CliRunner().invoke(
        main, ["build-samm", micro_root, "--annotations", micro_sheet, "-o", str(tmp_path / "m.h5"), "--whole-videos"]
    )
    assert refused.exit_code != 0 and "long-video release" in refused.output and "Traceback" not in refused.output


class TestSammLayout(LayoutTestCase):
    layout = "samm"
