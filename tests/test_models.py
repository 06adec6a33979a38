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
