"""The paper's TCN: parameter count, shapes, clear errors, and that it can learn."""

from __future__ import annotations

import pytest
import torch
from landmarkset.models import TCN, count_parameters, get_model, list_models

from landmarkset import OptionError


def test_registry():
    assert "tcn" in list_models()
    assert isinstance(get_model("tcn"), TCN)
    with pytest.raises(OptionError, match=r"Unknown model 'scn2'. Valid models: .*tcn"):
        get_model("scn2")


def test_paper_parameter_count():
    assert count_parameters(get_model("tcn", n_classes=7, n_frames=20, n_landmarks=68)) == 330_119


def test_shapes_follow_the_data():
    model = get_model("tcn", n_classes=5, n_frames=30)
    samples = torch.rand(4, 30, 68, 2)
    assert model(TCN.from_samples(samples)).shape == (4, 5)
    with pytest.raises(OptionError, match=r"TCN expects input of shape \(N, 2, 68, 30\).*got \(4, 2, 68, 20\)"):
        model(torch.rand(4, 2, 68, 20))
    with pytest.raises(OptionError, match="'n_frames' parameter of TCN must be an int >= 6"):
        TCN(n_frames=3)


def test_a_tiny_batch_is_overfit():
    torch.manual_seed(0)
    model = TCN(n_classes=3)
    x, y = torch.rand(12, 2, 68, 20), torch.arange(12) % 3
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(60):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
    model.eval()
    assert (model(x).argmax(1) == y).all() and loss.item() < 0.1


def test_scn_reading_parameter_count_and_shapes():
    from landmarkset.models.scn import SCN

    assert "scn" in list_models()
    assert count_parameters(get_model("scn", n_classes=7, n_frames=20, size=224)) == 4_369_415
    model = SCN(n_classes=3, n_frames=5, size=32)
    assert model(torch.rand(2, 5, 32, 32)).shape == (2, 3)
    with pytest.raises(OptionError, match=r"SCN expects input of shape \(N, 5, 32, 32\).*got \(2, 5, 48, 48\)"):
        model(torch.rand(2, 5, 48, 48))


def test_preprocessing_removes_position_and_size():
    import numpy as np
    from landmarkset.models.preprocess import interocular, preprocess

    rng = np.random.default_rng(0)
    sample = rng.uniform(0.3, 0.7, (1, 20, 68, 2)).astype(np.float32)
    moved = sample * 1.7 + 0.1  # the same face, bigger and elsewhere
    np.testing.assert_allclose(preprocess(sample, "motion"), preprocess(moved, "motion"), atol=1e-5)
    np.testing.assert_allclose(preprocess(sample, "face"), preprocess(moved, "face"), atol=1e-5)
    assert not preprocess(sample, "motion")[:, 0].any()  # the first frame is the origin
    np.testing.assert_array_equal(preprocess(sample, "none"), sample)
    assert interocular(np.full((68, 2), np.nan)) == 1.0
    with pytest.raises(OptionError, match="Unknown preprocessing 'raw'"):
        preprocess(sample, "raw")
