"""`landmarkset merge`: three datasets whose subject ids collide become one composite (MEGC 2019), subjects
kept apart, classes mapped and recorded, LOSO folds over all subjects, UF1 / UAR per part as scikit-learn
computes them."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import make_track
from landmarkset.cli.main import main
from sklearn.metrics import f1_score, recall_score

from landmarkset.datasets import DatasetBuilder, merge_datasets, read_dataset, write_dataset
from landmarkset.io import open_tracks

LABELS = {
    "SAMM": ["Happiness", "Anger", "Surprise", "Other", "Contempt"],
    "CASME2": ["happiness", "repression", "surprise", "others", "disgust"],
    "SMIC": ["positive", "negative", "surprise", "negative", "positive"],
}


def _part(path: str, name: str, labels: list[str], subjects: int = 2) -> str:
    builder = DatasetBuilder(frames=6, min_frames=4)
    for s in range(subjects):
        for k, label in enumerate(labels):
            track = make_track(f"S{s + 1:02d}__{k}", n=12, seed=hash((name, s, k)) % 1000)
            builder.add_track(track, label=label, subject=f"S{s + 1:02d}")
    dataset = builder.build(layout=name, settings={"layout": name, "landmarks": "dlib"})
    write_dataset(path, dataset)
    return path


@pytest.fixture
def parts(tmp_path):
    return {name: _part(str(tmp_path / f"{name}.h5"), name, labels) for name, labels in LABELS.items()}


def test_subjects_are_kept_apart_and_classes_mapped_with_a_record(parts, tmp_path):
    out = str(tmp_path / "composite.h5")
    report = merge_datasets(parts, out)
    data = read_dataset(out)
    assert data.classes == ["negative", "positive", "surprise"]
    # every part has subjects S01 and S02: six people, not two
    assert sorted(set(data.subject)) == sorted(f"{p}__S0{i}" for p in LABELS for i in (1, 2))
    assert data.parts is not None and set(data.parts) == set(LABELS)
    # "Other" and "others" are left out and counted; contempt, anger, repression, disgust are negative
    assert report.left_out == {"SAMM": {"Other": 2}, "CASME2": {"others": 2}, "SMIC": {}}
    assert report.samples["SAMM"] == {"positive": 2, "negative": 4, "surprise": 2}
    assert report.samples["SMIC"] == {"positive": 4, "negative": 4, "surprise": 2}
    assert len(data) == 8 + 8 + 10
    record = json.loads(data.attrs["composite"])
    assert "repression" in record["table"]["negative"] and record["parts"]["CASME2"]["left_out"] == {"others": 2}
    assert len(record["parts"]["SMIC"]["sha256"]) == 64
    # the tracks come along under the same prefixed ids, so figures still find each sample's frames
    with open_tracks(out) as store:
        assert all(data.source_sequence(i) in store for i in range(len(data)))
    # labels follow the samples: a SAMM Anger sample is negative
    anger = data.sequence.index("SAMM__S01__1")
    assert data.classes[data.y[anger]] == "negative"


def test_parts_that_differ_in_frames_are_refused_and_an_input_is_never_the_output(parts, tmp_path):
    other = str(tmp_path / "other.h5")
    builder = DatasetBuilder(frames=8, min_frames=4)
    builder.add_track(make_track("a", n=12), label="happiness", subject="S01")
    write_dataset(other, builder.build())
    runner = CliRunner()
    result = runner.invoke(main, ["merge", f"A={parts['SAMM']}", f"B={other}", "-o", str(tmp_path / "c.h5")])
    assert result.exit_code != 0 and "differ in frames per sample" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not os.path.exists(tmp_path / "c.h5")
    result = runner.invoke(main, ["merge", f"A={parts['SAMM']}", f"B={parts['SMIC']}", "-o", parts["SAMM"]])
    assert result.exit_code != 0 and "input" in result.output.lower()
    assert read_dataset(parts["SAMM"]).classes != ["negative", "positive", "surprise"]  # untouched
    result = runner.invoke(main, ["merge", f"A={parts['SAMM']}", f"A={parts['SMIC']}", "-o", str(tmp_path / "d.h5")])
    assert result.exit_code != 0 and "two parts are named 'A'" in result.output
    # one dataset under two names (a copy too) is refused: leave-one-subject-out would test on training samples
    shutil.copy(parts["SAMM"], tmp_path / "copy.h5")
    result = runner.invoke(
        main, ["merge", f"A={parts['SAMM']}", f"B={tmp_path / 'copy.h5'}", "-o", str(tmp_path / "e.h5")]
    )
    assert result.exit_code == 2 and "are one dataset" in result.output and not os.path.exists(tmp_path / "e.h5")
    # an existing output is replaced only with --overwrite; a part that is not a file says so
    merged = [f"{name}={path}" for name, path in parts.items()]
    assert runner.invoke(main, ["merge", *merged, "-o", str(tmp_path / "f.h5")]).exit_code == 0
    result = runner.invoke(main, ["merge", *merged, "-o", str(tmp_path / "f.h5")])
    assert result.exit_code == 2 and "exists" in result.output and "--overwrite" in result.output
    assert runner.invoke(main, ["merge", *merged, "-o", str(tmp_path / "f.h5"), "--overwrite"]).exit_code == 0
    result = runner.invoke(main, ["merge", f"A={parts['SAMM']}", "SMIC=/dev/null", "-o", str(tmp_path / "g.h5")])
    assert result.exit_code == 2 and "/dev/null (part SMIC): not a regular file" in result.output


@pytest.mark.slow
def test_loso_over_the_composite_reports_each_part_as_sklearn_does(parts, tmp_path):
    out = str(tmp_path / "composite.h5")
    result = CliRunner().invoke(main, ["merge", *(f"{n}={p}" for n, p in parts.items()), "-o", out])
    assert result.exit_code == 0, result.output
    assert "SAMM" in result.output and "left out" in result.output
    from landmarkset.models import load_model, predict
    from landmarkset.models.training import TrainConfig, cross_validate

    run = str(tmp_path / "run")
    data = read_dataset(out)
    report = cross_validate(
        out,
        data,
        run,
        protocol="loso",
        config=TrainConfig(epochs=3, patience=3, seed=0),
        keep_rejected=True,
        progress=False,
    )
    # one fold per subject over all parts, each testing one subject of one part
    assert len(report.folds) == 6 and all(len(fold.test_subjects) == 1 for fold in report.folds)
    truth, guess, parts_of = [], [], []
    for fold in report.folds:
        model, record = load_model(os.path.join(run, "folds", f"fold{fold.fold}.pt"))
        test = np.array(record.test_indices)
        guess.append(predict(model, record, data.X[test]))
        truth.append(data.y[test])
        parts_of += [data.parts[i] for i in test]
    truth, guess, parts_of = np.concatenate(truth), np.concatenate(guess), np.array(parts_of)
    assert set(report.by_dataset) == set(LABELS)
    for name in LABELS:
        mine = parts_of == name
        # scikit-learn's macro averages over the classes in the truth or the predictions (MEGC 2019's too)
        expected_uf1 = f1_score(truth[mine], guess[mine], average="macro", zero_division=0)
        expected_uar = recall_score(truth[mine], guess[mine], average="macro", zero_division=0)
        assert report.by_dataset[name]["uf1"] == pytest.approx(expected_uf1)
        assert report.by_dataset[name]["uar"] == pytest.approx(expected_uar)
        assert report.by_dataset[name]["samples"] == int(mine.sum())
    metrics = json.load(open(os.path.join(run, "metrics.json")))
    assert set(metrics["by_dataset"]) == set(LABELS)


@pytest.mark.slow
def test_three_generated_releases_merge_into_the_megc_composite(tmp_path):
    from landmarkset.datasets import build_casme2, build_samm, build_smic
    from landmarkset.synth import synth_casme2, synth_samm, synth_smic

    roots = {name: str(tmp_path / name) for name in ("samm", "casme2", "smic")}
    truths = {
        "samm": synth_samm(roots["samm"], subjects=2, clips_per_subject=3, seed=1, progress=False),
        "casme2": synth_casme2(roots["casme2"], subjects=2, clips_per_subject=3, seed=1, progress=False),
        "smic": synth_smic(roots["smic"], subjects=2, clips_per_subject=3, seed=1, progress=False),
    }
    common = {"backend": "dlib", "min_frames": 5, "progress": False}
    built = {
        "SAMM": build_samm(
            roots["samm"],
            truths["samm"].sheet,
            str(tmp_path / "samm.h5"),
            keep_other=True,
            **common,
        ),
        "CASME2": build_casme2(roots["casme2"], truths["casme2"].sheet, str(tmp_path / "casme2.h5"), **common),
        "SMIC": build_smic(roots["smic"], str(tmp_path / "smic.h5"), **common),
    }
    assert all(report.ok for report in built.values()), [r.summary() for r in built.values()]
    report = merge_datasets({name: r.output for name, r in built.items()}, str(tmp_path / "cde.h5"))
    data = read_dataset(str(tmp_path / "cde.h5"))
    # subject ids collide across the releases (sub01 / s1 / 006 are all first subjects) but never merge
    for part, reports in built.items():
        own = {f"{part}__{s}" for s in set(reports.dataset.subject)}
        assert own == {s for s, p in zip(data.subject, data.parts) if p == part}
    # every sample is accounted for: kept in a class, or left out and counted by its label
    for part, reports in built.items():
        kept = sum(report.samples[part].values())
        assert kept + sum(report.left_out[part].values()) == len(reports.dataset)
    assert set(data.classes) == {"negative", "positive", "surprise"}
    assert all(label.lower() in ("other", "others") for part in report.left_out for label in report.left_out[part])
    smic_truth = [r for r in truths["smic"]["sequences"].values() if r["micro"]]
    assert sum(report.samples["SMIC"].values()) == len(smic_truth)
