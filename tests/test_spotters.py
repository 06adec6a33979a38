"""Trained spotters, leave-one-subject-out: no left-out subject takes part in fitting or in choosing the
threshold, each spotter reads the features it declares, and the table names them all."""

from __future__ import annotations

import dataclasses
import json
import os

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main

from landmarkset import TrackWriter
from landmarkset.flow import REGION_FLOW, RegionFlowMeter, parse_lag
from landmarkset.track import Track


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory):
    """Three subjects' generated long videos (blinks and head sway between intervals) and a store of their
    true landmarks with region flow measured on the frames, as an extraction would give them."""
    from landmarkset.synth import synth_samm_long, true_track

    out = str(tmp_path_factory.mktemp("spotters"))
    truth = synth_samm_long(out, subjects=3, videos_per_subject=1, frames=900, seed=3, progress=False)["sequences"]
    store = os.path.join(out, "tracks.h5")
    with TrackWriter(store) as writer:
        for video, record in truth.items():
            pixels = true_track(record, out)
            n, (width, height) = len(pixels), (680, 363)
            meter = RegionFlowMeter(parse_lag("40"))
            folder = os.path.join(out, "SAMM_longvideos", video)
            flow = np.stack(
                [
                    meter.measure(
                        cv2.imread(os.path.join(folder, f"{video}_{t + 1:04d}.jpg"), cv2.IMREAD_GRAYSCALE),
                        pixels[t],
                        None,
                    )
                    for t in range(n)
                ]
            )
            writer.write(
                Track(
                    id=video,
                    landmarks=(pixels / [width, height]).astype(np.float32),
                    valid=np.ones(n, bool),
                    confidence=np.ones(n, np.float32),
                    frame_index=np.arange(n),
                    timestamp=np.arange(n) / 200.0,
                    box=np.zeros((n, 4), np.float32),
                    faces_detected=np.ones(n, np.int16),
                    width=width,
                    height=height,
                    source=video,
                    fps=200.0,
                    backend="truth",
                    subject=record["subject"],
                    backend_options={"region_flow": "40"},
                    extras={REGION_FLOW.name: flow},
                    extra_specs={REGION_FLOW.name: REGION_FLOW},
                )
            )
    return out, store, os.path.join(out, "SAMM_LongVideos_V1_Release.xlsx")


def _videos(store, sheet, spotter):
    from landmarkset.models.spotting.driver import truth_by_video
    from landmarkset.models.spotting.report import SpotReport
    from landmarkset.models.spotting.trained import SPOTTERS, VideoData, frame_features

    from landmarkset.io import open_tracks

    truth = truth_by_video(sheet, SpotReport(store, "", {}, 0.0, [], 0.0))
    ks = {"micro": 40, "macro": 160}
    with open_tracks(store) as tracks:
        return [
            VideoData(t.id, t.subject, frame_features(t, SPOTTERS[spotter], ks), truth[t.id], ks, t)
            for t in (tracks[name] for name in tracks.ids())
        ]


@pytest.mark.slow
def test_the_left_out_subject_never_takes_part_in_model_selection(long_videos):
    from landmarkset.models.evaluation.megc import Interval
    from landmarkset.models.spotting import evaluate_spotter

    _, store, sheet = long_videos
    videos = _videos(store, sheet, "flow")
    first = evaluate_spotter("flow", videos)
    assert [f["test_subject"] for f in first.folds] == sorted({v.subject for v in videos})
    assert all(f["test_subject"] not in f["training_subjects"] for f in first.folds)
    # Move the left-out subject's annotations: its fold's threshold and its proposals must not change (the
    # model and the threshold were chosen without it), while the folds that train on it see other data.
    target = first.folds[0]["test_subject"]
    shifted = [
        dataclasses.replace(v, truth=[Interval(i.video, i.start + 300, i.end + 300, i.kind) for i in v.truth])
        if v.subject == target
        else v
        for v in videos
    ]
    second = evaluate_spotter("flow", shifted)
    assert second.folds[0]["test_subject"] == target
    assert second.folds[0]["threshold_any"] == first.folds[0]["threshold_any"]
    mine = {v.video for v in videos if v.subject == target}
    assert [i for i in second.proposals if i.video in mine] == [i for i in first.proposals if i.video in mine]
    assert second.megc != first.megc  # its own score does change: the check can fail


@pytest.mark.slow
def test_train_spotter_scores_every_spotter_in_one_table(long_videos, tmp_path):
    _, store, sheet = long_videos
    result = CliRunner().invoke(
        main,
        [
            "train-spotter",
            store,
            "--annotations",
            sheet,
            "-o",
            str(tmp_path / "s"),
            "--micro",
            "40",
            "--macro",
            "160",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    assert [r["spotter"] for r in report["results"]] == ["baseline", "landmarks", "flow", "both"]
    table = (tmp_path / "s" / "table.md").read_text()
    assert all(name in table for name in ("baseline", "landmarks", "flow", "both"))
    by_name = {r["spotter"]: r["megc"]["overall"] for r in report["results"]}
    assert all(0 <= s["f1"] <= 1 and s["ground_truth"] > 0 for s in by_name.values())
    # a trained spotter beats the training-free magnitude (which one, on these 8 intervals, is noise: the
    # comparison of the features is benchmarks/spotting_study.py's, on 42)
    assert max(by_name[name]["f1"] for name in ("landmarks", "flow", "both")) > by_name["baseline"]["f1"]
    # each trained spotter is delivered, fitted on every subject at the median of its folds' thresholds
    from landmarkset.models.spotting.saved import load_spotter

    assert sorted(p.name for p in (tmp_path / "s").glob("*.spotter")) == ["both.spotter", "flow.spotter",
                                                                          "landmarks.spotter"]  # fmt: skip
    flow = next(r for r in report["results"] if r["spotter"] == "flow")
    delivered = load_spotter(flow["file"])
    assert delivered.threshold == np.median([f["threshold_any"] for f in flow["folds"]])
    assert delivered.flow_lag == "40" and delivered.trained_on["loso_megc"] == flow["megc"]
    # spot applies it to (here: its own) videos: the intervals are its runs above that threshold
    spot = CliRunner().invoke(
        main, ["spot", store, "-o", str(tmp_path / "applied"), "--spotter", flow["file"], "--annotations", sheet, "-q"]
    )
    assert spot.exit_code == 0, spot.output
    assert "trained spotter" in spot.output and "probability above" in spot.output
    applied = json.loads((tmp_path / "applied" / "report.json").read_text())
    from landmarkset.io import open_tracks

    with open_tracks(store) as tracks:
        for entry in applied["videos"]:
            video = delivered.video(tracks[entry["video"]])
            expected = [(i.start, i.end, i.kind) for i in delivered.intervals(video, delivered.curve(video))]
            assert [(q["onset"], q["offset"], q["type"]) for q in entry["proposals"]] == expected
    assert sum(len(v["proposals"]) for v in applied["videos"]) > 0
    # its windows are its training's; a file that is not a spotter is one line
    refused = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "r"), "--spotter", flow["file"],
                                        "--micro", "20"])  # fmt: skip
    assert refused.exit_code != 0 and "drop --micro and --macro" in refused.output
    refused = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "r"), "--spotter", sheet])
    assert refused.exit_code != 0 and "not a spotter file" in refused.output and "Traceback" not in refused.output
    # a store without region flow: the flow spotters are skipped with the fix, the others run
    from landmarkset.io import open_tracks

    plain = str(tmp_path / "plain.h5")
    with open_tracks(store) as tracks, TrackWriter(plain) as writer:
        for name in tracks.ids():
            writer.write(dataclasses.replace(tracks[name], extras={}, extra_specs={}))
    result = CliRunner().invoke(
        main,
        [
            "train-spotter",
            plain,
            "--annotations",
            sheet,
            "-o",
            str(tmp_path / "p"),
            "--micro",
            "40",
            "--macro",
            "160",
            "-q",
            "--spotter",
            "baseline",
            "--spotter",
            "flow",
            "--recogniser",
            _untrained_tcn(str(tmp_path / "tcn.pt"), ["happy", "surprise", "disgust"]),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "SKIPPED flow: track" in result.output and "-O region_flow=LAG" in result.output
    # the delivered flow spotter on tracks without flow: each video fails alone, saying how to extract it
    applied = CliRunner().invoke(main, ["spot", plain, "-o", str(tmp_path / "a"), "--spotter",
                                        str(tmp_path / "s" / "flow.spotter"), "-q"])  # fmt: skip
    assert applied.exit_code == 0 and applied.output.count("FAILED") == 3 and "-O region_flow" in applied.output
    # spot-then-recognise beside the spotting figures: a TP is also a spotting TP
    (baseline,) = json.loads((tmp_path / "p" / "report.json").read_text())["results"]
    assert baseline["strs"]["tp"] <= baseline["megc"]["overall"]["tp"]
    assert baseline["strs"]["proposals"] == baseline["megc"]["overall"]["predictions"]
    assert "STRS (recognised / spotted)" in (tmp_path / "p" / "table.md").read_text()
    assert "STRS: intervals classified" in result.output


def _untrained_tcn(path: str, classes: list[str]) -> str:
    import torch
    from landmarkset.models import TCN, ModelRecord, save_model

    torch.manual_seed(0)
    record = ModelRecord(
        model="tcn",
        arguments={"n_classes": len(classes), "n_frames": 10, "n_landmarks": 68},
        classes=classes,
        input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 10, "landmarks": 68}},
    )
    return save_model(path, TCN(n_classes=len(classes), n_frames=10).eval(), record)


def test_spot_streams_long_tracks_in_blocks_with_the_same_curves(tmp_path, monkeypatch):
    from helpers import make_track
    from landmarkset.models.spotting import features

    from landmarkset.io import open_tracks

    track = make_track("long", n=700, seed=4)
    track = dataclasses.replace(track, landmarks=np.nan_to_num(track.landmarks, nan=0.5) * 0.01 + 0.4)
    with TrackWriter(str(tmp_path / "t.h5")) as writer:
        writer.write(track)
    monkeypatch.setattr(features, "BLOCK", 128)  # blocks of 128 frames, each with the lag's frames before it
    with open_tracks(str(tmp_path / "t.h5")) as tracks:
        streamed = features.streamed_score_curves(tracks, "long", {"micro": 9, "macro": 40})
        whole = tracks["long"]
    for name, lag in {"micro": 9, "macro": 40}.items():
        expected = features.spotting_score_curve(features.region_motion(whole, lag))
        np.testing.assert_allclose(streamed[name], expected, rtol=1e-9, equal_nan=True)
        assert np.isnan(streamed[name][:lag]).all() and np.isfinite(streamed[name][lag:]).any()


def test_strs_counts_a_tp_only_when_spotted_and_recognised(tmp_path):
    """STRS against a hand count: the model's class for each proposal is computed here the same way (its
    frames resampled, predict_proba), a recognised interval needs IoU >= 0.5 and that class equal to the
    emotion, and STRS is the spotting F1 times the recognition UF1 of the spotted intervals."""
    import torch
    from helpers import make_track
    from landmarkset.models import TCN, ModelRecord, predict_proba
    from landmarkset.models.evaluation.megc import Interval
    from landmarkset.models.spotting.recognise import LabelledInterval, interval_samples, reader_of_tracks, strs_scores

    torch.manual_seed(0)
    classes = ["happy", "surprise"]
    model = TCN(n_classes=2, n_frames=10).eval()
    record = ModelRecord(
        model="tcn",
        arguments={"n_classes": 2, "n_frames": 10, "n_landmarks": 68},
        classes=classes,
        input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 10, "landmarks": 68}},
    )
    track = make_track("v", n=300, seed=2)
    proposals = [Interval("v", 10, 40, "micro"), Interval("v", 100, 140, "micro"), Interval("v", 200, 260, "macro")]
    samples, usable = interval_samples(reader_of_tracks({"v": track}), proposals, 10)
    assert usable.all() and np.isfinite(samples).all()  # the faceless frame takes its neighbour's landmarks
    guess = [classes[i] for i in predict_proba(model, record, samples).argmax(1)]
    other = {"happy": "surprise", "surprise": "happy"}
    truth = [
        LabelledInterval(Interval("v", 12, 40, "micro"), guess[0]),  # spotted, right class: a TP
        LabelledInterval(Interval("v", 100, 138, "micro"), other[guess[1]]),  # spotted, wrong class
        LabelledInterval(Interval("v", 150, 190, "macro"), guess[2]),  # missed
        LabelledInterval(Interval("v", 270, 290, "macro"), None),  # no emotion: left out of the recall
    ]
    scores = strs_scores(truth, proposals, reader_of_tracks({"v": track}), model, record)
    assert (scores["tp"], scores["spotted"], scores["annotated_known_to_model"]) == (1, 2, 3)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(1 / 3)
    assert scores["joint_f1"] == pytest.approx(1 / 3) and scores["recognition_accuracy_on_spotted"] == 0.5
    # MEGC's STRS: spotting F1 (2 of 4 intervals hit by 3 proposals: P 2/3, R 1/2) x the UF1 of the two
    # spotted intervals (true [g0, not g1], guessed [g0, g1]: one class right once, the other never right)
    assert scores["spotting_f1"] == pytest.approx(4 / 7)
    uf1 = 1 / 3 if guess[0] == guess[1] else 2 / 3  # the same class twice: F1 2/3 and 0; else one class, F1 2/3
    assert scores["recognition_f1"] == pytest.approx(uf1) and scores["strs"] == pytest.approx(4 / 7 * uf1)


@pytest.mark.slow
def test_a_registered_model_spots_through_its_declaration(long_videos, tmp_path, monkeypatch):
    """model:tcn is trained on landmark windows by the TCN's own declaration, scored by the same protocol,
    delivered and applied like the other spotters; a model over crops cannot spot."""
    import landmarkset.models.spotting.windows as windows
    from landmarkset.models.prediction import Span
    from landmarkset.models.spotting import train_spotters
    from landmarkset.models.spotting.saved import load_spotter

    from landmarkset.errors import OptionError
    from landmarkset.io import open_tracks

    monkeypatch.setattr(windows, "EPOCHS", 1)  # the mechanics here, not the figures (benchmarks/spotting_study.py)
    _, store, sheet = long_videos
    frames = {"micro": Span(40), "macro": Span(160)}
    study = train_spotters(store, sheet, str(tmp_path / "s"), spotters=["model:tcn"], windows=frames, progress=False)
    (result,) = study.results
    assert result["spotter"] == "model:tcn" and "registered model 'tcn'" in result["description"]
    assert [f["test_subject"] for f in result["folds"]] == study.subjects  # one fold per subject, as for the others
    assert all(f["test_subject"] not in f["training_subjects"] for f in result["folds"])
    delivered = load_spotter(result["file"])
    with open_tracks(store) as tracks:
        video = delivered.video(tracks[tracks.ids()[0]])
    curve = delivered.curve(video)
    assert curve.shape == (video.track.n_frames,) and np.isfinite(curve).all() and 0 <= curve.min() <= curve.max() <= 1
    with pytest.raises(OptionError, match="not in a track store"):
        train_spotters(store, sheet, str(tmp_path / "c"), spotters=["model:scn"], windows=frames, progress=False)
    with pytest.raises(OptionError, match="Unknown model 'nope'"):
        train_spotters(store, sheet, str(tmp_path / "c"), spotters=["model:nope"], windows=frames, progress=False)
