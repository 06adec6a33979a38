"""Class activation maps: shapes, hooks, the paper's post-processing, where maps point, and `explain`."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from landmarkset.cli.main import main
from landmarkset.models import TCN, explain, postprocess
from landmarkset.models.au import AU_REGIONS, agreement, expected_regions, region_shares
from landmarkset.models.cam import LayerRecorder
from landmarkset.models.report import explain_dataset
from torch import nn

from landmarkset import OptionError

MOUTH = list(range(48, 68))


def test_shapes_single_samples_and_hooks_released():
    model = TCN(n_classes=3)
    assert explain(model, torch.rand(4, 2, 68, 20)).shape == (4, 68, 20)
    assert explain(model, torch.rand(2, 68, 20), target=1, method="gradient-input").shape == (1, 68, 20)
    assert not model.features._forward_hooks
    with pytest.raises(RuntimeError), LayerRecorder(model.features):
        raise RuntimeError("boom")
    assert not model.features._forward_hooks  # released on errors too
    with pytest.raises(OptionError, match="Unknown method 'lime'"):
        explain(model, torch.rand(1, 2, 68, 20), method="lime")


def test_one_dimensional_feature_maps_run_over_frames():
    class Temporal(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(136, 8, 3, padding=1)
            self.head = nn.Linear(8, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            features = torch.relu(self.conv(x.flatten(1, 2)))  # (N, 8, frames)
            return self.head(features.mean(2))

    model = Temporal()
    maps = explain(model, torch.rand(3, 2, 68, 20), layer=model.conv)
    assert maps.shape == (3, 68, 20)
    np.testing.assert_allclose(maps, np.repeat(maps[:, :1], 68, axis=1))  # the same for every landmark


def test_postprocessing_arithmetic_by_hand():
    raw = np.array([[0.0, 1.0, 2.0, 4.0], [0.0, 0.0, 4.0, 4.0]])
    scaled = postprocess(raw, scale=255, difference=False, threshold=None)
    np.testing.assert_allclose(scaled, raw / 4 * 255)
    np.testing.assert_allclose(postprocess(raw, scale=255, difference=True, threshold=None), np.diff(raw / 4 * 255))
    # Differences 63.75, 63.75, 127.5 / 0, 255, 0: within [-75, 75] -> 0.
    np.testing.assert_allclose(postprocess(raw), [[0, 0, 127.5], [0, 255, 0]])
    np.testing.assert_allclose(postprocess(-raw, threshold=75)[1], [0, -255, 0])
    assert postprocess(np.ones((2, 68, 20))).shape == (2, 68, 19) and not postprocess(np.ones((68, 20))).any()


def _mouth_data(n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Class 1 opens the mouth over the frames; everything else is noise of the same size in both classes."""
    x = rng.normal(0, 0.3, (n, 2, 68, 20)).astype(np.float32)
    y = np.arange(n) % 2
    x[y == 1, 1, 48:68, :] += np.linspace(0, 1.5, 20, dtype=np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def test_a_model_that_sees_only_the_mouth_is_explained_by_the_mouth():
    class MouthOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tcn = TCN(n_classes=2)
            mask = torch.zeros(1, 1, 68, 1)
            mask[:, :, MOUTH] = 1
            self.register_buffer("mask", mask)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.tcn(x * self.mask)

    torch.manual_seed(0)
    model = MouthOnly()
    x, y = _mouth_data(64, np.random.default_rng(0))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(40):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()
    model.eval()
    assert (model(x).argmax(1) == y).float().mean() > 0.95
    opened = x[y == 1][:8]
    exact = explain(model, opened, target=1, method="gradient-input")
    assert exact[:, MOUTH].sum() > 0 and not np.delete(exact, MOUTH, axis=1).any()
    cam = explain(model, opened, target=1, layer=model.tcn.features)
    share = cam[:, MOUTH].sum() / cam.sum()
    assert share > 0.6  # the mouth is 20 of 68 landmarks (0.29)


def test_region_shares_and_au_agreement():
    scores = np.zeros(68)
    scores[list(AU_REGIONS["lip corners"])] = 1.0
    shares = region_shares(scores)
    assert shares["lip corners"] == 1.0 and sum(shares.values()) == pytest.approx(1.0)
    assert expected_regions("happy") == ["eyes/lids", "cheeks", "lip corners"]  # AU6 and AU12
    inside, lift = agreement(shares, "happy")
    assert inside == 1.0 and lift == pytest.approx(68 / (12 + 6 + 4))
    assert np.isnan(agreement(shares, "neutral")[0])
    assert agreement(region_shares(np.ones(68)), "happy")[1] == pytest.approx(1.0)  # uniform map: lift 1


def test_explain_command_on_generated_data(train_data, trained_tcn, tmp_path):
    run, _ = trained_tcn
    out = str(tmp_path / "explain")
    result = CliRunner().invoke(main, ["explain", os.path.join(run, "model.pt"), train_data, "-o", out, "-q"])
    assert result.exit_code == 0, result.output
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["samples"] == 3 * 7
    # Measured: precision@moved 0.59 vs 0.41 random; deletion AUC 0.32 vs 0.47 random, insertion 0.62 vs 0.50.
    overall = summary["overall"]
    assert overall["precision@moved"] > overall["random precision"] + 0.1
    assert overall["deletion_auc"] < overall["random_deletion_auc"]
    assert overall["insertion_auc"] > overall["random_insertion_auc"]
    files = os.listdir(os.path.join(out, "figures"))
    assert len([f for f in files if f.endswith("_face.png")]) >= 21 and "class_happy_map.png" in files
    assert all(os.path.getsize(os.path.join(out, "figures", f)) > 5_000 for f in files)
    maps = [f for f in os.listdir(os.path.join(out, "maps")) if not f.endswith("_processed.npy")]
    assert np.load(os.path.join(out, "maps", maps[0])).shape == (68, 20)
    with open(os.path.join(out, "regions_per_class.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert {row["class"] for row in rows} <= set(summary["per_class"]) and "share lip corners" in rows[0]
    report = open(os.path.join(out, "report.md")).read()
    assert "| happy |" in report and "figures/class_happy_face.png" in report
    result = CliRunner().invoke(
        main, ["explain", os.path.join(run, "model.pt"), train_data, "-o", out, "--samples", "nope"]
    )
    assert result.exit_code == 2 and result.output.startswith("Error: No sample 'nope' in the dataset")


def test_explain_refuses_image_models(train_data, tmp_path):
    from landmarkset.models.train import TrainConfig, cross_validate

    from landmarkset.datasets import read_dataset
    from landmarkset.io import read_crops

    crops = read_crops(train_data)
    cross_validate(
        train_data,
        read_dataset(train_data),
        str(tmp_path / "scn"),
        "subject",
        2,
        TrainConfig(epochs=1),
        False,
        "scn",
        crops,
    )
    with pytest.raises(OptionError, match="explain works on landmark models"):
        explain_dataset(str(tmp_path / "scn" / "model.pt"), train_data, str(tmp_path / "out"))


def test_faces_without_the_frames_are_drawn_on_the_outline(train_data, trained_tcn, tmp_path):
    from landmarkset.datasets import read_dataset, write_dataset

    run, _ = trained_tcn
    dataset = read_dataset(train_data)
    bare = str(tmp_path / "bare.h5")
    with pytest.warns(UserWarning, match="no track in the file"):  # the dataset alone: no path to the frames
        write_dataset(bare, dataset)
    out = tmp_path / "out"
    summary = explain_dataset(os.path.join(run, "model.pt"), bare, str(out), ids=[dataset.sequence[0]], progress=False)
    assert summary["samples"] == 1
    assert summary["drawn_as_outlines"] == [f"{dataset.sequence[0]}: {bare} holds no track {dataset.sequence[0]!r}"]
    assert "face figure(s) show landmark outlines instead of the frame" in (out / "report.md").read_text()
    face = out / "figures" / f"{dataset.sequence[0]}_face.png"
    assert face.stat().st_size > 5_000
