"""Explanations: attribution methods (Captum) per method, the paper's post-processing and its quantile
variant, where maps point, faithfulness figures, the report, and the SCN's maps on its crops."""

from __future__ import annotations

import csv
import dataclasses
import json
import os

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from landmarkset.cli.main import main
from landmarkset.models import METHODS, TCN, attribute, postprocess, quantile_postprocess
from landmarkset.models.explain import explain_dataset
from landmarkset.models.explain.au import agreement, expected_regions, region_shares
from landmarkset.models.inputs import spread
from torch import nn

from landmarkset import OptionError
from landmarkset.regions import AU_REGIONS

MOUTH = list(range(48, 68))


def test_shapes_single_samples_and_unknown_methods():
    model = TCN(n_classes=3)
    for method in METHODS:
        assert attribute(model, TCN.spec, torch.rand(4, 20, 68, 2), method=method).shape == (4, 68, 20)
    assert attribute(model, TCN.spec, torch.rand(20, 68, 2), target=1, method="gradient-input").shape == (1, 68, 20)
    assert not model.features._forward_hooks and not model.features._backward_hooks  # Captum removed its hooks
    with pytest.raises(OptionError, match="Unknown method 'lime'"):
        attribute(model, TCN.spec, torch.rand(1, 20, 68, 2), method="lime")


def test_layer_maps_are_spread_over_the_axes_the_model_declares():
    over_frames = torch.arange(5, dtype=torch.float32).view(1, 5)
    maps = spread(over_frames, ("frames",), ("landmarks", "frames"), {"landmarks": 68, "frames": 20})
    assert maps.shape == (1, 68, 20)
    np.testing.assert_allclose(maps, maps[:, :1].expand(-1, 68, -1))  # the same for every landmark
    assert maps[0, 0, -1] > maps[0, 0, 0]  # upsampled in time, in order
    image = spread(
        torch.rand(1, 7, 7),
        ("height", "width"),
        ("frames", "height", "width"),
        {"frames": 3, "height": 28, "width": 28},
    )
    assert image.shape == (1, 3, 28, 28) and torch.equal(image[:, 0], image[:, 2])  # frames as channels: repeated


def test_postprocessing_arithmetic_by_hand():
    raw = np.array([[0.0, 1.0, 2.0, 4.0], [0.0, 0.0, 4.0, 4.0]])
    scaled = postprocess(raw, scale=255, difference=False, threshold=None)
    np.testing.assert_allclose(scaled, raw / 4 * 255)
    np.testing.assert_allclose(postprocess(raw, scale=255, difference=True, threshold=None), np.diff(raw / 4 * 255))
    # Differences 63.75, 63.75, 127.5 / 0, 255, 0: within [-75, 75] -> 0.
    np.testing.assert_allclose(postprocess(raw), [[0, 0, 127.5], [0, 255, 0]])
    np.testing.assert_allclose(postprocess(-raw, threshold=75)[1], [0, -255, 0])
    assert postprocess(np.ones((2, 68, 20))).shape == (2, 68, 19) and not postprocess(np.ones((68, 20))).any()


def test_quantile_post_processing_keeps_the_largest_changes_of_a_smooth_map():
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.random((68, 20)) * 2, axis=1)  # rises slowly: the paper's threshold empties it
    assert not postprocess(smooth).any()
    kept = quantile_postprocess(smooth, quantile=0.9)
    differences = np.abs(np.diff(smooth / smooth.max() * 255 - smooth.min() / smooth.max() * 255, axis=1))
    assert 0.05 < np.count_nonzero(kept) / kept.size <= 0.11
    assert np.abs(kept[kept != 0]).min() >= np.quantile(differences, 0.9) - 1e-6
    assert not quantile_postprocess(np.ones((68, 20))).any()  # a map that does not change stays empty


def _mouth_data(n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Prepared landmarks (N, frames, 68, 2): class 1 opens the mouth over the frames; noise of the same size
    moves every point in both classes."""
    x = rng.normal(0, 0.3, (n, 20, 68, 2)).astype(np.float32)
    y = np.arange(n) % 2
    x[y == 1, :, 48:68, 1] += np.linspace(0, 1.5, 20, dtype=np.float32)[:, None]
    return torch.from_numpy(x), torch.from_numpy(y)


class MouthOnly(nn.Module):
    """A TCN that sees only the mouth; it declares its layer inside the wrapped TCN."""

    spec = dataclasses.replace(TCN.spec, name="mouth-only", layer="tcn.features")

    def __init__(self) -> None:
        super().__init__()
        self.tcn = TCN(n_classes=2)
        mask = torch.zeros(1, 1, 68, 1)
        mask[:, :, MOUTH] = 1
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tcn(x * self.mask)


@pytest.fixture(scope="module")
def mouth_model() -> tuple[MouthOnly, torch.Tensor]:
    torch.manual_seed(0)
    model = MouthOnly()
    x, y = _mouth_data(64, np.random.default_rng(0))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(40):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(MouthOnly.spec.layout(x)), y).backward()
        optimiser.step()
    model.eval()
    assert (model(MouthOnly.spec.layout(x)).argmax(1) == y).float().mean() > 0.95
    return model, x[y == 1][:8]


# Measured shares on the mouth (20 of 68 landmarks, 0.29 for a uniform map): gradient methods and occlusion
# 1.00 (nothing else has any attribution but float rounding: occlusion scores perturbed inputs in batches, and
# oneDNN's convolutions may round differently by batch size), Grad-CAM 0.7.
@pytest.mark.parametrize("method", list(METHODS))
def test_a_model_that_sees_only_the_mouth_is_explained_by_the_mouth(mouth_model, method):
    model, opened = mouth_model
    maps = attribute(model, MouthOnly.spec, opened, target=1, method=method)
    share = maps[:, MOUTH].sum() / maps.sum()
    if METHODS[method].uses_layer:
        assert share > 0.6
    else:
        assert maps[:, MOUTH].sum() > 0 and np.delete(maps, MOUTH, axis=1).max() <= 1e-5 * maps[:, MOUTH].max()


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
    args = ["explain", os.path.join(run, "model.pt"), train_data, "-o", out, "-q", "--per-class", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["samples"] == 2 * 7 and summary["method"] == "integrated-gradients"
    # Measured (exact landmarks): precision@moved 0.93 vs 0.41 random; deletion AUC 0.21 vs 0.45 random,
    # insertion 0.71 vs 0.48.
    overall = summary["overall"]
    assert overall["precision@moved"] > 0.8 > overall["random precision"] + 0.3
    assert overall["deletion_auc"] < 0.6 * overall["random_deletion_auc"]
    assert overall["insertion_auc"] > overall["random_insertion_auc"]
    files = os.listdir(os.path.join(out, "figures"))
    assert len([f for f in files if f.endswith("_face.png")]) >= 14 and "class_happy_map.png" in files
    assert all(os.path.getsize(os.path.join(out, "figures", f)) > 5_000 for f in files)
    maps = [f for f in os.listdir(os.path.join(out, "maps")) if not f.endswith("_processed.npy")]
    assert np.load(os.path.join(out, "maps", maps[0])).shape == (68, 20)
    with open(os.path.join(out, "regions_per_class.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert {row["class"] for row in rows} <= set(summary["per_class"]) and "share lip corners" in rows[0]
    report = open(os.path.join(out, "report.md")).read()
    assert "| happy |" in report and "figures/class_happy_face.png" in report and "## Methods" in report
    result = CliRunner().invoke(
        main, ["explain", os.path.join(run, "model.pt"), train_data, "-o", out, "--samples", "nope"]
    )
    assert result.exit_code == 2 and result.output.startswith("Error: No sample 'nope' in the dataset")


def test_every_method_is_measured_in_one_table(train_data, trained_tcn, tmp_path):
    run, _ = trained_tcn
    from landmarkset.datasets import read_dataset

    dataset = read_dataset(train_data)
    chosen = [
        dataset.sequence[int(np.flatnonzero(dataset.y == dataset.classes.index(name))[0])]
        for name in ("happy", "surprise", "disgust", "neutral")
    ]
    out = tmp_path / "compare"
    args = ["explain", os.path.join(run, "model.pt"), train_data, "-o", str(out), "-q"]
    args += [option for name in chosen for option in ("--samples", name)]
    result = CliRunner().invoke(main, [*args, "--method", "gradcam", "--compare", "all", "--quantile", "0.9"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["methods"] == ["gradcam", "gradient-input", "integrated-gradients", "occlusion"]
    for method, figures in summary["per_method"].items():
        assert {"deletion_auc", "insertion_auc", "infidelity", "sensitivity", "seconds"} <= set(figures), method
        assert figures["infidelity"] >= 0 and figures["sensitivity"] >= 0
    gradients = summary["per_method"]["integrated-gradients"]
    assert gradients["precision@moved"] > summary["per_method"]["gradcam"]["precision@moved"]
    with open(out / "methods.csv") as handle:
        assert [row["method"] for row in csv.DictReader(handle)] == summary["methods"]
    report = (out / "report.md").read_text()
    assert "| occlusion |" in report and "| gradcam (maps drawn) |" in report and "0.90 quantile" in report
    processed = [np.load(path) for path in (out / "maps").glob("*_processed.npy")]
    assert sum(bool(p.any()) for p in processed) >= len(processed) - 1  # quantile maps are not empty (neutral is)


def test_the_scn_is_explained_on_its_crops(train_data, tmp_path):
    from landmarkset.models.training import TrainConfig, cross_validate

    from landmarkset.datasets import read_dataset

    dataset = read_dataset(train_data)
    run = tmp_path / "scn"
    cross_validate(
        train_data, dataset, str(run), model="scn", folds=2, config=TrainConfig(epochs=2), keep_rejected=True,
        progress=False,
    )  # fmt: skip
    out = tmp_path / "out"
    summary = explain_dataset(
        str(run / "model.pt"), train_data, str(out), per_class=1, method="gradcam", compare=("occlusion",),
        progress=False,
    ).to_json()  # fmt: skip
    assert summary["model_name"] == "scn" and summary["samples"] == 7 and not summary["not_on_landmarks"]
    assert np.load(next((out / "maps").glob("*.npy"))).shape == (20, 32, 32)  # frames x crop pixels
    faces = sorted((out / "figures").glob("*_face.png"))
    assert len(faces) >= 7 and all(face.stat().st_size > 5_000 for face in faces)
    with open(out / "regions_per_sample.csv") as handle:
        row = next(csv.DictReader(handle))
    assert float(row["share lips"]) + float(row["share brows"]) > 0  # crop maps read at the landmarks
    assert set(summary["per_method"]) == {"gradcam", "occlusion"}


def test_faces_without_the_frames_are_drawn_on_the_outline(train_data, trained_tcn, tmp_path):
    from landmarkset.datasets import read_dataset, write_dataset

    run, _ = trained_tcn
    dataset = read_dataset(train_data)
    bare = str(tmp_path / "bare.h5")
    with pytest.warns(UserWarning, match="no track in the file"):  # the dataset alone: no path to the frames
        write_dataset(bare, dataset)
    out = tmp_path / "out"
    summary = explain_dataset(
        os.path.join(run, "model.pt"), bare, str(out), ids=[dataset.sequence[0]], progress=False
    ).to_json()
    assert summary["samples"] == 1
    assert summary["drawn_as_outlines"] == [f"{dataset.sequence[0]}: {bare} holds no track {dataset.sequence[0]!r}"]
    assert "face figure(s) show landmark outlines instead of the frame" in (out / "report.md").read_text()
    face = out / "figures" / f"{dataset.sequence[0]}_face.png"
    assert face.stat().st_size > 5_000
