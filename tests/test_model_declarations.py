"""Models declare themselves: a third model registered here trains, evaluates and explains through the
public API and the CLI; model files are typed and versioned; nothing switches on a model's name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from landmarkset.cli.main import main
from landmarkset.models import LANDMARKS, TCN, ModelRecord, ModelSpec, list_models, load_model, register_model
from landmarkset.models.evaluation import evaluate
from landmarkset.models.explain import explain_dataset
from landmarkset.models.inference import predict
from landmarkset.models.modelfile import FORMAT, save_model
from landmarkset.models.training import TrainConfig, cross_validate
from torch import nn

from landmarkset import InputError
from landmarkset.datasets import read_dataset

ROOT = Path(__file__).resolve().parent.parent


@register_model
class LandmarkGRU(nn.Module):
    """A small GRU over the frames of flattened landmarks: no convolution, so no layer for Grad-CAM."""

    spec = ModelSpec(
        name="test-gru",
        input=LANDMARKS,
        arguments=lambda dims, classes: {"n_classes": classes, "n_landmarks": dims["landmarks"]},
        description="a GRU over landmarks (test model)",
        layout=lambda x: x.flatten(2),  # (N, frames, 68, 2) -> (N, frames, 136)
        training={"momentum": 0.9},
    )

    def __init__(self, n_classes: int, n_landmarks: int = 68, hidden: int = 32) -> None:
        super().__init__()
        self.gru = nn.GRU(2 * n_landmarks, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(x)
        return self.head(out[:, -1])


def test_a_registered_third_model_trains_evaluates_and_explains_through_the_api(train_data, tmp_path):
    assert "test-gru" in list_models()
    dataset = read_dataset(train_data)
    run = tmp_path / "gru"
    config = TrainConfig(epochs=15, batch_size=8, lr=0.05)
    metrics = cross_validate(
        train_data, dataset, str(run), model="test-gru", folds=2, config=config, progress=False
    ).to_json()
    assert metrics["model"] == "test-gru" and metrics["config"]["momentum"] == 0.9  # its own declared default
    assert metrics["accuracy_mean"] > 2 * metrics["chance"]  # measured 0.9 (chance 0.18)
    model, record = load_model(str(run / "model.pt"))
    assert isinstance(model, LandmarkGRU) and record.input["preprocessing"] == "aligned"
    scores = evaluate(str(run / "model.pt"), train_data, str(tmp_path / "eval")).to_json()
    assert scores["accuracy"] == pytest.approx(np.mean(predict(model, record, dataset.X) == dataset.y))
    ids = dataset.sequence[:3]
    summary = explain_dataset(
        str(run / "model.pt"), train_data, str(tmp_path / "explain"), ids=ids, progress=False
    ).to_json()
    assert summary["model_name"] == "test-gru" and summary["overall"]["deletion_auc"] >= 0
    assert (tmp_path / "explain" / "report.md").read_text().startswith("# Explanations of a test-gru model")


def test_the_third_model_through_the_cli(train_data, tmp_path):
    run = tmp_path / "run"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "train",
            "--model",
            "test-gru",
            train_data,
            "-o",
            str(run),
            "--folds",
            "2",
            "--epochs",
            "2",
            "--keep-rejected",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "TEST-GRU subject protocol, 2 folds" in result.output
    model = str(run / "model.pt")
    result = runner.invoke(main, ["explain", model, train_data, "-o", str(tmp_path / "x"), "--method", "gradcam"])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "declares no layer, which --method gradcam needs; use one of the gradient or occlusion methods"
    )
    first = read_dataset(train_data).sequence[0]
    result = runner.invoke(main, ["explain", model, train_data, "-o", str(tmp_path / "x"), "--samples", first, "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["evaluate", model, train_data, "-o", str(tmp_path / "eval")])
    assert result.exit_code == 0 and result.output.startswith("UAR ")
    result = runner.invoke(main, ["train", "--model", "nope", train_data, "-o", str(run)])
    assert result.exit_code == 2 and "'nope' is not one of" in result.output and "'tcn'" in result.output


def test_nothing_outside_a_model_compares_model_names():
    pattern = re.compile(r"""[=!]=\s*["'](tcn|scn)["']|["'](tcn|scn)["']\s*[=!]=|in \(["'](tcn|scn)""")
    for folder in ("models", "cli", "landmarkset"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not pattern.search(path.read_text()), f"{path} switches on a model name"


def _tcn_record() -> ModelRecord:
    return ModelRecord(
        model="tcn",
        arguments={"n_classes": 3, "n_frames": 20, "n_landmarks": 68},
        classes=["a", "b", "c"],
        input={"kind": "landmarks", "preprocessing": "face", "dimensions": {"frames": 20, "landmarks": 68}},
        training={"epochs": 1},
        data={"sha256": "0" * 64},
        versions={"landmarkset": "test"},
    )


def test_model_files_round_trip_and_older_files_read(tmp_path):
    torch.manual_seed(0)
    network = TCN(n_classes=3).eval()
    path = save_model(str(tmp_path / "model.pt"), network, _tcn_record())
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == FORMAT and raw["format_version"] == "2.0"
    model, record = load_model(path)
    assert record == _tcn_record()
    x = torch.rand(2, 2, 68, 20)
    torch.testing.assert_close(model(x), network(x))
    # The untyped dictionary that landmarkset 0.1 and 0.2 wrote.
    legacy = {
        "model": "tcn",
        "classes": ["a", "b", "c"],
        "preprocessing": {"input": "landmarks", "landmarks": "motion"},
        "state_dict": network.state_dict(),
        "shape": {"n_classes": 3, "n_frames": 20, "n_landmarks": 68},
        "trained_on": {"protocol": "subject"},
        "landmarkset_version": "0.2.0",
    }
    torch.save(legacy, tmp_path / "old.pt")
    old, old_record = load_model(str(tmp_path / "old.pt"))
    assert old_record.preprocessing == "motion" and old_record.dimensions == {"frames": 20, "landmarks": 68}
    torch.testing.assert_close(old(x), network(x))


def test_newer_and_foreign_model_files_are_one_line_errors(tmp_path):
    network = TCN(n_classes=3)
    newer = {"format": FORMAT, "format_version": "3.0", "record": {}, "state_dict": network.state_dict()}
    torch.save(newer, tmp_path / "newer.pt")
    with pytest.raises(InputError, match=r"newer\.pt: model file format 3\.0 is newer .*: update landmarkset"):
        load_model(str(tmp_path / "newer.pt"))
    minor = {"format": FORMAT, "format_version": "2.7", "state_dict": network.state_dict()}
    minor["record"] = {**json.loads(json.dumps(_tcn_record().__dict__)), "added_later": 1}
    torch.save(minor, tmp_path / "minor.pt")
    assert load_model(str(tmp_path / "minor.pt"))[1].model == "tcn"  # a newer minor version adds fields only
    foreign = {
        "list.pt": [1, 2, 3],
        "other.pt": {"format": "someone-else", "state_dict": {}},
        "weights.pt": network.state_dict(),
    }
    for name, content in foreign.items():
        torch.save(content, tmp_path / name)
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    torch.save({"format": FORMAT, "format_version": "2.0", "record": Path("x")}, tmp_path / "code.pt")  # a class
    for name in [*foreign, "junk.pt", "code.pt"]:
        with pytest.raises(InputError, match=rf"{re.escape(name)}: not a landmarkset model file") as error:
            load_model(str(tmp_path / name))
        assert "\n" not in str(error.value)
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "code.pt"), str(tmp_path / "junk.pt"), "-o", "x"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    with pytest.raises(InputError, match=r"nothing\.pt: no such model file"):
        load_model(str(tmp_path / "nothing.pt"))


class PluginMean(nn.Module):
    """Not registered here: an installed package declares it under the landmarkset.models entry point."""

    spec = ModelSpec(
        name="plugin-mean",
        input=LANDMARKS,
        arguments=lambda dims, classes: {"n_classes": classes},
        layout=lambda x: x.mean(1).flatten(1),  # mean position over the frames
    )

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.head = nn.Linear(136, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)


def test_models_of_installed_packages_are_found_by_entry_point(tmp_path, monkeypatch):
    from landmarkset.models import get_model

    info = tmp_path / "site" / "landmarkset_plugin_mean-0.1.dist-info"  # what pip writes for an installed package
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: landmarkset-plugin-mean\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[landmarkset.models]\nplugin-mean = {__name__}:PluginMean\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert "plugin-mean" in list_models()
    assert isinstance(get_model("plugin-mean", n_classes=3), PluginMean)


def test_a_third_input_kind_trains_evaluates_and_explains(train_data, tmp_path):
    """An input kind declared here (landmark velocities: frame-to-frame motion) and a model that takes it go
    through training, evaluation and explanation by the public API, which read only the kind's declaration."""
    from dataclasses import dataclass
    from typing import ClassVar

    import torch
    from landmarkset.models.inputs import LandmarkInput
    from landmarkset.models.preprocess import preprocess
    from landmarkset.models.spec import ModelSpec

    @dataclass(frozen=True)
    class VelocityInput(LandmarkInput):
        name: ClassVar[str] = "test-velocities"
        preprocessing: ClassVar[tuple[str, ...]] = ("velocity",)

        def prepare(self, samples: np.ndarray, preprocessing: str) -> torch.Tensor:
            moved = preprocess(samples, "motion")
            return torch.from_numpy(np.diff(moved, axis=1, prepend=moved[:, :1]).astype(np.float32))

    velocities = VelocityInput()

    @register_model
    class VelocityTCN(TCN):
        spec = ModelSpec(
            name="test-velocity-tcn",
            input=velocities,
            arguments=TCN.spec.arguments,
            layout=TCN.spec.layout,
            layer=TCN.spec.layer,
            layer_axes=TCN.spec.layer_axes,
        )

    dataset = read_dataset(train_data)
    run = tmp_path / "run"
    # the budget of 0.4 and its patience: velocities learn late (a long plateau of the validation loss), which the
    # default patience of 50 optimiser steps cuts short; this test is about the declaration
    config = TrainConfig(steps=300, augment=False, patience=50)
    report = cross_validate(train_data, dataset, str(run), model="test-velocity-tcn", folds=2, config=config,
                            progress=False)  # fmt: skip
    assert report.input["kind"] == "test-velocities" and report.input["preprocessing"] == "velocity"
    assert report.accuracy_mean > 2 * report.chance and report.final.check == "passed"
    model, record = load_model(str(run / "model.pt"))
    assert isinstance(model, VelocityTCN) and record.spec.input is velocities
    scores = evaluate(str(run / "model.pt"), train_data, str(tmp_path / "eval"))
    assert scores.accuracy == pytest.approx(np.mean(predict(model, record, dataset.X) == dataset.y))
    explained = explain_dataset(str(run / "model.pt"), train_data, str(tmp_path / "explain"),
                                ids=dataset.sequence[:2], compare=("gradcam",), progress=False)  # fmt: skip
    assert explained.samples == 2 and set(explained.per_method) == {"integrated-gradients", "gradcam"}
    assert (tmp_path / "explain" / "figures" / f"{dataset.sequence[0]}_face.png").stat().st_size > 5_000


def test_a_record_whose_classes_do_not_match_the_outputs_is_refused(tmp_path):
    import dataclasses

    network = TCN(n_classes=3)
    fewer = dataclasses.replace(_tcn_record(), classes=["a", "b"])
    save_model(str(tmp_path / "fewer.pt"), network, fewer)
    with pytest.raises(InputError, match="the model has 3 outputs but its record names 2 classes"):
        load_model(str(tmp_path / "fewer.pt"))
    twice = dataclasses.replace(_tcn_record(), classes=["a", "b", "a"])
    save_model(str(tmp_path / "twice.pt"), network, twice)
    with pytest.raises(InputError, match="names a class twice"):
        load_model(str(tmp_path / "twice.pt"))
