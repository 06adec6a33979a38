"""`landmarkset synth samm` and `samm-long`: layouts, spreadsheets (header rows and positions), defects, truth."""

from __future__ import annotations

import json
import os
import re

import cv2
import numpy as np
import openpyxl
import pytest

from landmarkset.synth import TRUTH_FILE, synth_samm, synth_samm_long, true_track
from landmarkset.synth._samm import LONG_HEADER, MICRO_HEADER


@pytest.fixture(scope="module")
def micro(tmp_path_factory) -> tuple[str, dict]:
    out = str(tmp_path_factory.mktemp("samm"))
    return out, synth_samm(out, subjects=2, clips_per_subject=3, seed=0, progress=False)["sequences"]


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory) -> tuple[str, dict]:
    out = str(tmp_path_factory.mktemp("samm-long"))
    return out, synth_samm_long(out, subjects=2, videos_per_subject=1, frames=1200, seed=0, progress=False)["sequences"]


def test_micro_tree_holds_exactly_onset_to_offset(micro):
    out, truth = micro
    assert sorted(os.listdir(out)) == ["SAMM", "SAMM_Micro_FACS_Codes_v2.xlsx", TRUTH_FILE]
    assert sorted(os.listdir(os.path.join(out, "SAMM"))) == ["006", "007"]
    for clip, record in truth.items():
        assert re.fullmatch(r"\d{3}_\d_\d", clip)
        files = sorted(os.listdir(os.path.join(out, "SAMM", record["subject"], clip)))
        assert files == [f"{record['subject']}_{n:05d}.jpg" for n in range(record["onset"], record["offset"] + 1)]
        assert 30 <= len(files) <= 101  # micro-expressions
        image = cv2.imread(os.path.join(out, "SAMM", record["subject"], clip, files[0]), cv2.IMREAD_UNCHANGED)
        assert image.ndim == 2  # grayscale
        assert len(record["landmarks"]) == len(files)


def test_micro_sheet_header_found_by_content_with_v2_columns(micro):
    out, truth = micro
    sheet = openpyxl.load_workbook(os.path.join(out, "SAMM_Micro_FACS_Codes_v2.xlsx")).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Subject")
    assert header + 1 == 14  # Excel row 14, after preamble rows, as in v2
    assert list(rows[header]) == MICRO_HEADER
    data = [row for row in rows[header + 1 :] if row[0] is not None]
    assert len(data) == len(truth)
    by_name = {row[1]: row for row in data}
    for clip, record in truth.items():
        row = by_name[clip]
        assert row[3] == record["onset"] and row[9] in {
            "Anger",
            "Contempt",
            "Disgust",
            "Fear",
            "Happiness",
            "Sadness",
            "Surprise",
            "Other",
        }
        if not record["defects"]:
            assert (row[4], row[5]) == (record["apex"], record["offset"])
            assert record["onset"] <= record["apex"] <= record["offset"]


def test_micro_defects_are_in_the_sheet_and_flagged_in_the_truth(micro):
    out, truth = micro
    sheet = openpyxl.load_workbook(os.path.join(out, "SAMM_Micro_FACS_Codes_v2.xlsx")).worksheets[0]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=15, values_only=True)}
    flagged = {clip: record["defects"] for clip, record in truth.items() if record["defects"]}
    assert len(flagged) == 3
    missing_apex = next(c for c, d in flagged.items() if "apex missing" in d[0])
    assert rows[missing_apex][4] == -1
    wrong_offset = next(c for c, d in flagged.items() if "offset" in d[0])
    assert rows[wrong_offset][5] == truth[wrong_offset]["offset"] + 3
    with_or = next(c for c, d in flagged.items() if "'or'" in d[0])
    assert " or " in rows[with_or][8]


@pytest.mark.slow  # renders two 1,200-frame videos
def test_long_video_tree_and_sheet_by_position(long_videos):
    out, truth = long_videos
    assert sorted(os.listdir(out)) == [
        "SAMM_LongVideos_V1_Release.xlsx",
        "SAMM_longvideos",
        TRUTH_FILE,
        "landmarkset_truth_tracks",
    ]
    for video, record in truth.items():
        files = sorted(os.listdir(os.path.join(out, "SAMM_longvideos", video)))
        assert files == [f"{video}_{n:04d}.jpg" for n in range(1, record["frames"] + 1)]
    book = openpyxl.load_workbook(os.path.join(out, "SAMM_LongVideos_V1_Release.xlsx"))
    assert book.sheetnames == ["FACS_Movement_Only"]
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[9]) == LONG_HEADER  # header on Excel row 10, data from row 11
    data = rows[10:]
    intervals = {i["name"]: i for r in truth.values() for i in r["intervals"]}
    assert len(data) == len(intervals)
    for row in data:
        interval = intervals[row[1]]
        assert row[1].startswith(row[0] + "_")  # Filename like 006_1_2
        assert row[5] == interval["offset"]
        assert row[7] == ("Macro" if interval["type"] == "macro" else "Micro - 1/2")
        length = interval["offset"] - interval["onset"] + 1
        assert (30 <= length <= 101) if interval["type"] == "micro" else length >= 102
        if not interval["defects"]:
            assert (row[3], row[4]) == (interval["onset"], interval["apex"])
    defects = [d for i in intervals.values() for d in i["defects"]]
    assert sorted(defects) == ["apex outside [onset, offset] in the sheet", "onset 0 in the sheet"]
    zero = next(i for i in intervals.values() if "onset 0 in the sheet" in i["defects"])
    assert next(row for row in data if row[1] == zero["name"])[3] == 0


@pytest.mark.slow  # renders two 1,200-frame videos
def test_long_videos_blink_and_sway_between_their_intervals(long_videos):
    out, truth = long_videos
    video, record = next(iter(truth.items()))
    assert record["nuisances"] == {"speech": False, "blinks": True, "head_rotation": True, "drift": True,
                                   "intensity": False}  # fmt: skip
    assert record["blink_frames"] and 0 < record["head_motion_degrees"] <= 4
    track = true_track(record, out)  # every frame as rendered
    assert track.shape == (record["frames"], 68, 2)
    busy = {t for i in record["intervals"] for t in range(i["onset"] - 1, i["offset"])}
    quiet = [t for t in range(record["frames"]) if t not in busy]
    # Between intervals the face still moves (a spotter can be wrong there), the eyes most at a blink.
    assert np.linalg.norm(track[quiet[-1]] - track[quiet[0]], axis=1).mean() > 0.5
    blink = next(t - 1 for t in record["blink_frames"] if t - 1 not in busy and t + 2 < record["frames"])
    lids = np.abs(track[blink + 2, [37, 38, 43, 44], 1] - track[blink - 1, [37, 38, 43, 44], 1]).mean()
    assert lids > 0.5
    folder = os.path.join(out, "SAMM_longvideos", video)
    first = cv2.imread(os.path.join(folder, f"{video}_{quiet[0] + 1:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
    last = cv2.imread(os.path.join(folder, f"{video}_{quiet[-1] + 1:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
    assert np.abs(first.astype(int) - last.astype(int)).max() > 30


def test_long_video_truth_track_matches_the_frames(tmp_path):
    from landmarkset.synth import Nuisances

    out = str(tmp_path)
    truth = synth_samm_long(out, subjects=1, videos_per_subject=1, frames=600, seed=0, progress=False,
                            nuisances=Nuisances.none())["sequences"]  # fmt: skip
    video, record = next(iter(truth.items()))
    track = true_track(record)
    np.testing.assert_allclose(track, true_track(record, out), atol=1e-3)  # a still face: rebuilt exactly
    assert track.shape == (record["frames"], 68, 2)
    interval = max(record["intervals"], key=lambda i: i["offset"] - i["onset"])
    # Outside intervals nothing moves; at the apex the moved points are displaced.
    before = interval["onset"] - 2
    np.testing.assert_allclose(track[before], record["neutral_landmarks"])
    moved = interval["moved_landmarks"]
    assert np.linalg.norm(track[interval["apex"] - 1] - track[before], axis=1)[moved].mean() > 1.0
    # Neutral frames are byte-identical; a frame at the apex differs around the face.
    folder = os.path.join(out, "SAMM_longvideos", video)
    neutral = cv2.imread(os.path.join(folder, f"{video}_{before + 1:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
    apex = cv2.imread(os.path.join(folder, f"{video}_{interval['apex']:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
    assert np.abs(neutral.astype(int) - apex.astype(int)).max() > 30


def test_same_seed_same_truth(tmp_path):
    a = synth_samm(str(tmp_path / "a"), subjects=1, clips_per_subject=1, seed=5, progress=False)
    b = synth_samm(str(tmp_path / "b"), subjects=1, clips_per_subject=1, seed=5, progress=False)
    assert json.dumps(a["sequences"], sort_keys=True) == json.dumps(b["sequences"], sort_keys=True)
