"""`landmarkset predict`: windows and strides in frames or seconds, every class written, frames without a
face never guessed, per-frame probabilities from the windows that cover them, flat memory on long tracks."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import tracemalloc

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from helpers import make_track
from landmarkset.cli.main import main
from landmarkset.models import TCN, ModelRecord, save_model
from landmarkset.models.prediction import Span, parse_span, predict_tracks

from landmarkset import TrackWriter, open_tracks

CLASSES = ["neutral", "happy", "surprise"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> str:
    """An (untrained) TCN over 20 frames, as a model file: the mechanics, not the figures."""
    torch.manual_seed(0)
    model = TCN(n_classes=len(CLASSES), n_frames=20).eval()
    record = ModelRecord(
        model="tcn",
        arguments={"n_classes": len(CLASSES), "n_frames": 20, "n_landmarks": 68},
        classes=CLASSES,
        input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 20, "landmarks": 68}},
        data={"source_span": 20},
    )
    return save_model(str(tmp_path_factory.mktemp("model") / "model.pt"), model, record)


def _store(path: str, frames: int, faceless: slice = slice(0, 0)) -> str:
    track = make_track("clip", n=frames, seed=1)
    track.valid[:] = True
    track.valid[faceless] = False
    track.landmarks[:] = 0.4 + 0.01 * np.random.default_rng(0).random(track.landmarks.shape)
    track.landmarks[~track.valid] = np.nan
    with TrackWriter(path) as writer:
        writer.write(track)
    return path


def _rows(path) -> list[dict[str, str]]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_windows_strides_classes_and_faceless_frames(model_file, tmp_path):
    from landmarkset.models import load_model, predict_proba

    from landmarkset.datasets import DatasetBuilder

    store = _store(str(tmp_path / "t.h5"), 200, slice(50, 70))
    report = predict_tracks(model_file, store, str(tmp_path / "out"), window=Span(20), stride=Span(5), progress=False)
    entry = report.sequences[0]
    # starts 0, 5, ..., 180; a window with a face on fewer than half its frames (starts 45, 50, 55 over the
    # faceless frames 50-69) is skipped; the others are made into samples by the builder's rule
    assert (entry.windows, entry.skipped_windows) == (34, 3) and entry.frames_with_face == 180
    windows = _rows(tmp_path / "out" / "windows.csv")
    frames = _rows(tmp_path / "out" / "frames.csv")
    assert len(windows) == 34 and len(frames) == 200
    assert all(f"p_{name}" in windows[0] and f"p_{name}" in frames[0] for name in CLASSES)  # every class
    assert all(abs(sum(float(w[f"p_{c}"]) for c in CLASSES) - 1) < 1e-3 for w in windows)
    assert [int(w["start_frame"]) for w in windows if int(w["start_frame"]) in range(40, 61)] == [40, 60]
    for row in frames[50:70]:  # frames without a face are never given a class
        assert row["face"] == "0" and row["windows"] == "0" and row["top"] == "" and row["p_happy"] == ""
    # a window holding faceless frames is the sample a dataset builder makes of those frames
    with open_tracks(store) as tracks:
        track = tracks["clip"]
    builder = DatasetBuilder(frames=20)
    builder.add_sequence("w", track.landmarks[40:60], label="a", subject="s", valid=track.valid[40:60])
    model, record = load_model(model_file)
    expected = predict_proba(model, record, builder.samples[0].landmarks[None])[0]
    scored = next(w for w in windows if w["start_frame"] == "40")
    np.testing.assert_allclose([float(scored[f"p_{c}"]) for c in CLASSES], expected, atol=2e-4)
    # a frame's probabilities: the mean of the scored windows that cover it
    covering = [w for w in windows if int(w["start_frame"]) <= 100 <= int(w["end_frame"])]
    assert int(frames[100]["windows"]) == len(covering) == 4
    expected = np.mean([float(w["p_happy"]) for w in covering])
    assert float(frames[100]["p_happy"]) == pytest.approx(expected, abs=2e-4)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["window"] == 20 and summary["stride"] == 5 and summary["sequences"][0]["longest"]
    assert (tmp_path / "out" / "timelines" / "clip.png").stat().st_size > 10_000


def test_spans_in_seconds_and_defaults_from_the_model(model_file, tmp_path):
    store = _store(str(tmp_path / "t.h5"), 90)  # 30 fps
    assert parse_span("0.5s") == Span(0.5, seconds=True) and parse_span("12") == Span(12.0)
    report = predict_tracks(model_file, store, str(tmp_path / "a"), window=parse_span("0.5s"),
                            stride=parse_span("0.1s"), timelines=False, progress=False)  # fmt: skip
    assert (report.window, report.stride) == (15, 3) and report.sequences[0].windows == (90 - 15) // 3 + 1
    default = predict_tracks(model_file, store, str(tmp_path / "b"), timelines=False, progress=False)
    assert (default.window, default.stride) == (20, 5)  # the recorded source span, a quarter of it
    for bad in ("0", "-3", "x", "2m"):
        with pytest.raises(ValueError, match="expected a positive number of frames"):
            parse_span(bad)


def _peak(model_file: str, store: str, out: str) -> tuple[int, int]:
    tracemalloc.start()
    try:
        report = predict_tracks(model_file, store, out, stride=Span(20), timelines=False, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report.sequences[0].windows, peak


@pytest.mark.slow
def test_memory_stays_flat_on_a_long_track(model_file, tmp_path):
    short = _store(str(tmp_path / "short.h5"), 6_000)
    long = _store(str(tmp_path / "long.h5"), 60_000)  # 33 minutes at 30 fps; its landmarks alone take 33 MB
    windows, short_peak = _peak(model_file, short, str(tmp_path / "a"))
    assert windows == 300
    windows, long_peak = _peak(model_file, long, str(tmp_path / "b"))
    assert windows == 3_000
    # blocks of windows at a time: 10x the frames cost ~21 bytes a frame more, not the 544 of the landmarks
    assert long_peak - short_peak < 2 * 2**20, f"{short_peak / 2**20:.1f} MB -> {long_peak / 2**20:.1f} MB"


def test_predict_command(model_file, tmp_path):
    store = _store(str(tmp_path / "t.h5"), 60)
    result = CliRunner().invoke(
        main, ["predict", model_file, store, "-o", str(tmp_path / "out"), "--stride", "10", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 sequence(s), windows of 20 frames every 10")
    result = CliRunner().invoke(main, ["predict", model_file, store, "-o", str(tmp_path / "x"), "-s", "nope"])
    assert result.exit_code == 2 and "has no sequence 'nope'" in result.output


@pytest.fixture(scope="module")
def long_video_tracks(tmp_path_factory):
    """A generated SAMM long video (blinks and a swaying head between its intervals) and a store of its true
    landmarks, as a tracker would give them."""
    from landmarkset.synth import synth_samm_long, true_track
    from landmarkset.track import Track

    out = str(tmp_path_factory.mktemp("long"))
    truth = synth_samm_long(out, subjects=1, videos_per_subject=2, frames=1200, seed=0, progress=False)["sequences"]
    store = os.path.join(out, "tracks.h5")
    with TrackWriter(store) as writer:
        for video, record in truth.items():
            pixels = true_track(record, out)
            n, (width, height) = len(pixels), (680, 363)
            writer.write(Track(
                id=video, landmarks=(pixels / [width, height]).astype(np.float32), valid=np.ones(n, bool),
                confidence=np.ones(n, np.float32), frame_index=np.arange(n), timestamp=np.arange(n) / 200.0,
                box=np.zeros((n, 4), np.float32), faces_detected=np.ones(n, np.int16), width=width, height=height,
                source=video, fps=200.0, backend="truth", subject=record["subject"],
            ))  # fmt: skip
    return out, store, truth


@pytest.mark.slow  # renders two 1,200-frame videos
def test_spot_proposes_intervals_and_scores_them_the_megc_way(long_video_tracks, tmp_path):
    import csv

    from landmarkset.models.evaluation.megc import spotting_score
    from landmarkset.models.spotting import spot_tracks

    from landmarkset.intervals import Interval

    out, store, truth = long_video_tracks
    sheet = os.path.join(out, "SAMM_LongVideos_V1_Release.xlsx")
    result = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "spot"), "--annotations", sheet, "-q"])
    assert result.exit_code == 0, result.output
    assert "MEGC overall" in result.output
    with open(tmp_path / "spot" / "intervals.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"video", "subject", "onset", "offset", "type", "score"}
    report = json.loads((tmp_path / "spot" / "report.json").read_text())
    # The pooled figures are the metric's own on the written intervals and the sheet's (repaired) rows.
    found = [Interval(r["video"], int(r["onset"]), int(r["offset"]), r["type"]) for r in rows]
    sheet_truth = [Interval(v["video"], t["onset"], t["offset"], t["type"]) for v in report["videos"]
                   for t in v["truth"]]  # fmt: skip
    assert report["megc"] == {k: s.as_dict() for k, s in spotting_score(sheet_truth, found).items()}
    assert len(sheet_truth) == sum(len(r["intervals"]) for r in truth.values())
    for row in rows:  # a proposal's type is its duration's: shorter than 0.5 s (100 frames at 200 fps) is micro
        length = int(row["offset"]) - int(row["onset"]) + 1
        assert (row["type"] == "micro") == (length < 100)
    overall = report["megc"]["overall"]
    assert 1 <= overall["tp"] < overall["ground_truth"]  # the baseline finds some, not all
    assert overall["predictions"] > overall["tp"]  # and is wrong somewhere: blinks and head motion between intervals
    assert sorted(os.listdir(tmp_path / "spot" / "curves")) == sorted(f"{video}.png" for video in truth)
    # A window in frames works as one in seconds; a face that never moves proposes nothing.
    frames = {"micro": parse_span("40"), "macro": parse_span("160")}
    again = spot_tracks(store, str(tmp_path / "k"), windows=frames, p=0.2, annotations=sheet, curves=False,
                        progress=False)  # fmt: skip
    assert [v.windows for v in again.videos] == [{"micro": 40, "macro": 160}] * 2
    assert "k = 40 frames and 160 frames" in again.summary() and "p 0.20" in again.summary()
    # A folder of frames extracted without --fps: windows in frames give the same micro and macro proposals (the
    # micro window stands for 0.2 s), micro-expressions among them; windows in seconds fail each video in one
    # line naming --fps, and a run in which every video failed exits 2.
    bare = str(tmp_path / "bare.h5")
    with open_tracks(store) as tracks, TrackWriter(bare) as writer:
        for name in tracks.ids():
            track = tracks[name]
            writer.write(dataclasses.replace(track, fps=float("nan"), timestamp=np.full(track.n_frames, np.nan)))
    without = spot_tracks(bare, str(tmp_path / "b"), windows=frames, p=0.2, annotations=sheet, curves=False,
                          progress=False)  # fmt: skip
    assert [(p.video, p.onset, p.offset, p.type) for v in without.videos for p in v.proposals] == [
        (p.video, p.onset, p.offset, p.type) for v in again.videos for p in v.proposals
    ]
    assert without.megc == again.megc and without.megc["micro"]["predictions"] > 0 and without.megc["micro"]["f1"] > 0
    result = CliRunner().invoke(main, ["spot", bare, "-o", str(tmp_path / "s"), "-q", "--no-curves"])
    assert (
        result.exit_code == 2
        and result.output.count("FAILED") == 2
        and "extract frame folders with --fps" in (result.output)
    )
    with open_tracks(store) as tracks:
        moving = tracks[tracks.ids()[0]]
    still = dataclasses.replace(moving, id="still", landmarks=np.repeat(moving.landmarks[:1], moving.n_frames, axis=0))
    with TrackWriter(str(tmp_path / "still.h5")) as writer:
        writer.write(still)
    quiet = spot_tracks(str(tmp_path / "still.h5"), str(tmp_path / "q"), curves=False, progress=False)
    assert quiet.videos[0].proposals == []


@pytest.mark.slow  # shares the long videos of the test above
def test_spot_then_recognise_classifies_each_interval_and_scores_strs(long_video_tracks, model_file, tmp_path):
    from landmarkset.models import load_model
    from landmarkset.models.evaluation.strs import strs_score
    from landmarkset.models.inference import predict_proba

    from landmarkset.datasets.registry import read_intervals
    from landmarkset.intervals import Interval
    from landmarkset.windows import window_samples

    out, store, _ = long_video_tracks
    sheet = os.path.join(out, "SAMM_LongVideos_V1_Release.xlsx")
    args = ["spot", store, "-o", str(tmp_path / "s"), "--annotations", sheet, "--recogniser", model_file, "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "STRS" in result.output and "x analysis F1" in result.output and "IoU >= 0.5" in result.output
    rows = _rows(tmp_path / "s" / "intervals.csv")
    assert rows and {"emotion", "emotion_probability"} <= set(rows[0])
    # Each interval's class is the model's own on that interval's frames, made a sample as a dataset's are.
    model, record = load_model(model_file)
    with open_tracks(store) as tracks:
        whole = {name: tracks[name] for name in tracks.ids()}
    windows = [(r["video"], int(r["onset"]) - 1, int(r["offset"])) for r in rows]
    samples, usable = window_samples(lambda v, a, b: (whole[v].landmarks[a:b], whole[v].valid[a:b]), windows, 20)
    assert usable.all()
    probabilities = predict_proba(model, record, samples)
    assert [r["emotion"] for r in rows] == [CLASSES[i] for i in probabilities.argmax(1)]
    np.testing.assert_allclose([float(r["emotion_probability"]) for r in rows], probabilities.max(1), atol=1e-4)
    # STRS is the reference's, on the written intervals and the sheet's (their emotions from the AUs)
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    truth = [i for i in read_intervals("samm", sheet).intervals if i.video in whole]
    found = [Interval(r["video"], int(r["onset"]), int(r["offset"]), r["type"], emotion=r["emotion"],
                      subject=r["subject"]) for r in rows]  # fmt: skip
    assert report["strs"] == strs_score(truth, found).as_dict()
    assert report["strs"]["recognised"] <= report["strs"]["spotting_tp"]
    # A model over crops cannot read a track store: one line, before anything is spotted.
    from landmarkset.models import SCN, ModelRecord, save_model

    scn = SCN(n_classes=2, n_frames=4, size=32)
    crops = ModelRecord(
        model="scn",
        arguments={"n_classes": 2, "n_frames": 4, "size": 32},
        classes=["a", "b"],
        input={"kind": "crops", "preprocessing": "unit", "dimensions": {"frames": 4, "height": 32, "width": 32}},
    )
    scn_file = save_model(str(tmp_path / "scn.pt"), scn, crops)
    result = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "x"), "--recogniser", scn_file, "-q"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "not in a track store" in result.output and not os.path.exists(tmp_path / "x" / "intervals.csv")
