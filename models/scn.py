"""The paper's stacked-image CNN: the sample's frames as the channels of one grayscale image.

The paper: three VGG-like blocks of two 3x3 convolutions (64, 128, 256 filters) followed by batch
normalisation and 2x2/2 max-pooling, then FC 256 and FC 7; "5,647,943 trainable parameters", which no
simple reading reproduces. Reading chosen: ReLU after each convolution, one BatchNorm per block (as the
text orders it), and, between the blocks and FC 256, torchvision VGG-16's adaptive 7x7 average pooling
(flattening 28x28x256 straight into FC 256 would need 51 M parameters). For 20 frames of 224x224 and 7
classes this gives 4,369,415 trainable parameters (pinned by a test).
"""

from __future__ import annotations

import torch
from torch import nn

from landmarkset.errors import OptionError

from .inputs import CROPS
from .spec import ModelSpec, register_model


def _block(channels_in: int, channels_out: int) -> list[nn.Module]:
    return [
        nn.Conv2d(channels_in, channels_out, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(channels_out, channels_out, 3, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(channels_out),
        nn.MaxPool2d(2, 2),
    ]


@register_model
class SCN(nn.Module):
    """Input (N, frames, size, size) grayscale crops in [0, 1]; the CROPS input kind prepares stored uint8 crops."""

    spec = ModelSpec(
        name="scn",
        input=CROPS,
        arguments=lambda dims, classes: {"n_classes": classes, "n_frames": dims["frames"], "size": dims["height"]},
        description="the paper's stacked-image CNN over face crops (frames as channels)",
        training={"momentum": 0.7},
        layer="features",
        layer_axes=("height", "width"),
    )

    def __init__(self, n_classes: int = 7, n_frames: int = 20, size: int = 224) -> None:
        super().__init__()
        for name, value, low in (("n_classes", n_classes, 2), ("n_frames", n_frames, 1), ("size", size, 8)):
            if not isinstance(value, int) or value < low:
                raise OptionError(f"The {name!r} parameter of SCN must be an int >= {low}. Got {value!r} instead.")
        self.n_classes, self.n_frames, self.size = n_classes, n_frames, size
        self.features = nn.Sequential(*_block(n_frames, 64), *_block(64, 128), *_block(128, 256))
        self.pool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(256 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.n_frames, self.size, self.size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise OptionError(
                f"SCN expects input of shape (N, {', '.join(map(str, expected))}) (frames, height, width); got "
                f"{tuple(x.shape)}. Build the model with the data's n_frames and crop size."
            )
        return self.classifier(self.pool(self.features(x)))
