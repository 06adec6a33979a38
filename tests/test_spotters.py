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


def _windows():
    from landmarkset.intervals import Span

    return {"micro": Span(40), "macro": Span(160)}


def _videos(store, sheet, spotter):
    from landmarkset.models.spotting import get_spotter, load_video

    from landmarkset.datasets.registry import read_intervals
    from landmarkset.io import open_tracks

    truth = read_intervals("samm", sheet).by_video()
    chosen = get_spotter(spotter)
    with open_tracks(store) as tracks:
        return chosen, [load_video(tracks, name, chosen, _windows(), truth[name]) for name in tracks.ids()]


@pytest.mark.slow
def test_the_left_out_subject_never_takes_part_in_model_selection(long_videos):
    from landmarkset.models.spotting import evaluate_spotter

    _, store, sheet = long_videos
    flow, videos = _videos(store, sheet, "flow")
    first = evaluate_spotter(flow, videos)
    assert [f.test_subject for f in first.folds] == sorted({v.subject for v in videos})
    assert all(f.test_subject not in f.training_subjects for f in first.folds)
    # Move the left-out subject's annotations: its fold's threshold and its proposals must not change (the
    # model and the threshold were chosen without it), while the folds that train on it see other data.
    target = first.folds[0].test_subject
    later = [dataclasses.replace(v, truth=[dataclasses.replace(i, onset=i.onset + 300, offset=i.offset + 300)
                                           for i in v.truth]) for v in videos]  # fmt: skip
    moved = [shifted if v.subject == target else v for v, shifted in zip(videos, later)]
    second = evaluate_spotter(flow, moved)
    assert second.folds[0].test_subject == target
    assert second.folds[0].settings == first.folds[0].settings
    mine = {v.video for v in videos if v.subject == target}
    assert [i for i in second.proposals if i.video in mine] == [i for i in first.proposals if i.video in mine]
    assert second.megc != first.megc  # its own score does change: the check can fail


@pytest.mark.slow
def test_train_spotter_scores_every_spotter_in_one_table(long_videos, tmp_path):
    from landmarkset.models.spotting import load_spotter, load_video

    from landmarkset.io import open_tracks

    _, store, sheet = long_videos
    args = ["train-spotter", store, "--annotations", sheet, "-o", str(tmp_path / "s"), "--micro", "40", "--macro",
            "160", "-q"]  # fmt: skip
    result = CliRunner().invoke(main, args)
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
    assert sorted(p.name for p in (tmp_path / "s").glob("*.spotter")) == ["both.spotter", "flow.spotter",
                                                                          "landmarks.spotter"]  # fmt: skip
    assert "delivered 3 spotter(s)" in result.output and "flow.spotter" in result.output
    flow = next(r for r in report["results"] if r["spotter"] == "flow")
    delivered = load_spotter(flow["file"])
    assert delivered.settings == {"any": np.median([f["settings"]["any"] for f in flow["folds"]])}
    assert delivered.spotter.flow_lag == "40" and delivered.trained_on["loso_megc"] == flow["megc"]
    assert delivered.source["backend"] == "truth"
    # spot applies it to (here: its own) videos: the intervals are its runs above that threshold
    spot = CliRunner().invoke(
        main, ["spot", store, "-o", str(tmp_path / "applied"), "--spotter", flow["file"], "--annotations", sheet, "-q"]
    )
    assert spot.exit_code == 0, spot.output
    assert "trained spotter" in spot.output and "threshold" in spot.output
    applied = json.loads((tmp_path / "applied" / "report.json").read_text())
    with open_tracks(store) as tracks:
        for entry in applied["videos"]:
            video = load_video(tracks, entry["video"], delivered.spotter, delivered.windows)
            found = delivered.spotter.intervals(video, delivered.spotter.curves(video), delivered.settings)
            assert [(q["onset"], q["offset"], q["type"]) for q in entry["proposals"]] == [
                (i.onset, i.offset, i.type) for i in found
            ]
    assert sum(len(v["proposals"]) for v in applied["videos"]) > 0
    # its windows are its training's; a file that is not a spotter is one line
    refused = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "r"), "--spotter", flow["file"],
                                        "--micro", "20"])  # fmt: skip
    assert refused.exit_code == 2 and "drop --micro, --macro" in refused.output
    refused = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "r"), "--spotter", sheet])
    assert refused.exit_code == 2 and "not a spotter file" in refused.output and "Traceback" not in refused.output
    # a store without region flow: the flow spotters are skipped with the fix (exit 1), the others run
    plain = str(tmp_path / "plain.h5")
    with open_tracks(store) as tracks, TrackWriter(plain) as writer:
        for name in tracks.ids():
            writer.write(dataclasses.replace(tracks[name], extras={}, extra_specs={}))
    recogniser = _untrained_tcn(str(tmp_path / "tcn.pt"), ["happy", "surprise", "disgust"])
    result = CliRunner().invoke(
        main,
        [
            args[0],
            plain,
            *args[2:4],
            "-o",
            str(tmp_path / "p"),
            *args[6:],
            "--spotter",
            "baseline",
            "--spotter",
            "flow",
            "--recogniser",
            recogniser,
        ],
    )
    assert result.exit_code == 1, result.output
    assert "SKIPPED flow: track" in result.output and "-O region_flow=LAG" in result.output
    # the delivered flow spotter on tracks without flow: each video fails alone, saying how to extract it;
    # none could be spotted: exit 2
    applied = CliRunner().invoke(main, ["spot", plain, "-o", str(tmp_path / "a"), "--spotter",
                                        str(tmp_path / "s" / "flow.spotter"), "-q"])  # fmt: skip
    assert applied.exit_code == 2 and applied.output.count("FAILED") == 3 and "-O region_flow" in applied.output
    # spot-then-recognise beside the spotting figures
    (baseline,) = json.loads((tmp_path / "p" / "report.json").read_text())["results"]
    assert 0 <= baseline["strs"]["recognised"] <= baseline["strs"]["spotting_tp"]
    assert "STRS (recognised / spotted pairs)" in (tmp_path / "p" / "table.md").read_text()
    assert "STRS: intervals classified" in result.output


@pytest.mark.slow
def test_spot_and_train_spotter_share_the_one_recipe(long_videos, tmp_path):
    """The training-free baseline of train-spotter and `spot` are one spotter: at the p a fold chose, spot's
    intervals on the fold's left-out videos are the fold's."""
    from landmarkset.models.spotting import evaluate_spotter, spot_tracks

    _, store, sheet = long_videos
    baseline, videos = _videos(store, sheet, "baseline")
    evaluation = evaluate_spotter(baseline, videos)
    fold = evaluation.folds[-1]
    left_out = [v.video for v in videos if v.subject == fold.test_subject]
    report = spot_tracks(store, str(tmp_path / "s"), windows=_windows(), p=fold.settings, sequences=left_out,
                         curves=False, progress=False)  # fmt: skip
    spotted = [p for entry in report.videos for p in entry.proposals]
    assert spotted and spotted == [p for p in evaluation.proposals if p.video in left_out]


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


def test_recognise_makes_each_interval_a_sample_as_a_dataset_does(tmp_path):
    """A recogniser's class for a proposal is the model's on the sample a dataset builder makes of its frames;
    a proposal with a face on fewer than half its frames gets none."""
    import torch
    from helpers import make_track
    from landmarkset.models import TCN, ModelRecord, predict_proba
    from landmarkset.models.spotting.recognise import recognise

    from landmarkset.datasets import DatasetBuilder
    from landmarkset.intervals import Proposal

    torch.manual_seed(0)
    classes = ["happy", "surprise"]
    model = TCN(n_classes=2, n_frames=10).eval()
    record = ModelRecord(
        model="tcn",
        arguments={"n_classes": 2, "n_frames": 10, "n_landmarks": 68},
        classes=classes,
        input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 10, "landmarks": 68}},
    )
    track = make_track("v", n=300, seed=2)  # frame 150 has no face
    track.valid[200:260] = False
    track.landmarks[200:260] = np.nan
    proposals = [Proposal("v", 140, 170, "micro"), Proposal("v", 195, 262, "macro")]
    found = recognise(proposals, lambda v, a, b: (track.landmarks[a:b], track.valid[a:b]), model, record)
    builder = DatasetBuilder(frames=10)
    builder.add_sequence("p", track.landmarks[139:170], label="x", subject="s", valid=track.valid[139:170])
    expected = predict_proba(model, record, builder.samples[0].landmarks[None])[0]
    assert found[0].emotion == classes[int(expected.argmax())]
    assert found[0].emotion_probability == pytest.approx(float(expected.max()), abs=1e-5)
    assert found[1].emotion is None and found[1].emotion_probability is None  # 8 faces of 68 frames


@pytest.mark.slow
def test_a_registered_model_spots_through_its_declaration(long_videos, tmp_path, monkeypatch):
    """model:tcn is trained on landmark windows by the TCN's own declaration, scored by the same protocol,
    delivered and applied like the other spotters; a model over crops cannot spot."""
    from landmarkset.models.spotting import ModelSpotter, load_spotter, load_video, train_spotters

    from landmarkset.errors import OptionError
    from landmarkset.io import open_tracks

    monkeypatch.setattr(ModelSpotter, "epochs", 1)  # the mechanics here, not the figures (the benchmark's)
    _, store, sheet = long_videos
    study = train_spotters(store, sheet, str(tmp_path / "s"), spotters=["model:tcn"], windows=_windows(),
                           progress=False)  # fmt: skip
    (result,) = study.results
    assert result.spotter == "model:tcn" and "registered model 'tcn'" in result.description
    assert [f.test_subject for f in result.folds] == study.subjects  # one fold per subject, as for the others
    assert all(f.test_subject not in f.training_subjects for f in result.folds)
    delivered = load_spotter(result.file)
    with open_tracks(store) as tracks:
        video = load_video(tracks, tracks.ids()[0], delivered.spotter, delivered.windows)
    curve = delivered.spotter.curves(video)["any"]
    assert curve.shape == (video.frames,) and np.isfinite(curve).all() and 0 <= curve.min() <= curve.max() <= 1
    with pytest.raises(OptionError, match="not in a track store"):
        train_spotters(store, sheet, str(tmp_path / "c"), spotters=["model:scn"], windows=_windows(), progress=False)
    with pytest.raises(OptionError, match="Unknown model 'nope'"):
        train_spotters(store, sheet, str(tmp_path / "c"), spotters=["model:nope"], windows=_windows(), progress=False)


def test_nothing_outside_a_spotter_switches_on_its_name_or_features():
    """Spotters are declarations: the driver, the study, the protocol and the file read them, never compare
    names ("flow") or peek at which features a spotter reads."""
    import pathlib
    import re

    names = r"(baseline|landmarks|flow|both)"
    pattern = re.compile(rf"""[=!]=\s*["']{names}["']|["']{names}["']\s*[=!]=|["']{names}["']\s+(not\s+)?in\s""")
    root = pathlib.Path(__file__).resolve().parents[1]
    for folder in ("models", "cli", "landmarkset"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "spotters.py":
                continue  # each spotter reads its own declaration
            assert not pattern.search(path.read_text()), f"{path} switches on a spotter's name or features"


def test_a_crafted_spotter_file_never_runs_its_payload(tmp_path):
    """A spotter file is opened without unpickling anything: a pickle given as --spotter (a spotter of
    landmarkset 0.4, or an attack), or a spotter archive whose classifier is a pickle, fails in one line and
    its payload never runs; a record with a malformed field names it."""
    import pickle
    import zipfile

    from helpers import make_track

    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    store = str(tmp_path / "t.h5")
    with TrackWriter(store) as writer:
        writer.write(make_track("v", n=100))
    crafted = tmp_path / "evil.spotter"
    crafted.write_bytes(pickle.dumps({"format": "landmarkset-spotter", "format_version": 1, "classifier": Payload()}))
    result = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "a"), "--spotter", str(crafted)])
    assert result.exit_code == 2 and "not a spotter file" in result.output and "pickles" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not marker.exists()
    record = {"format": "landmarkset-spotter", "format_version": "2.0", "spotter": "flow", "settings": {"any": 0.5},
              "windows": {"micro": [40, False], "macro": [160, False]}, "source": {}, "trained_on": {}, "state": {},
              "members": ["classifier.skops"]}  # fmt: skip
    archive = tmp_path / "inside.spotter"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("spotter.json", json.dumps(record))
        handle.writestr("classifier.skops", pickle.dumps(Payload()))
    result = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "b"), "--spotter", str(archive)])
    assert result.exit_code == 2 and "cannot be read safely" in result.output and not marker.exists()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("spotter.json", json.dumps({**record, "settings": {"any": "high"}}))
    result = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "c"), "--spotter", str(archive)])
    assert result.exit_code == 2 and "its settings" in result.output and "Traceback" not in result.output
