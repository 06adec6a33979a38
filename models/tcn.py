"""The paper's temporal CNN over landmarks x frames (input: x and y as two channels).

One reading of the paper's loosely described blocks reproduces its stated 330,119 trainable parameters
exactly for 68 landmarks x 20 frames and 7 classes (shared reference notes); a test pins it.
"""

from __future__ import annotations

import torch
from torch import nn

from landmarkset.errors import OptionError

from .inputs import LANDMARKS
from .spec import ModelSpec, register_model


def _block(channels_in: int, channels_out: int, kernel: int) -> list[nn.Module]:
    """Conv ('same' size: odd kernels pad both sides, a 2x2 kernel pads right and bottom), BN, ReLU."""
    pad = [nn.ZeroPad2d((0, 1, 0, 1))] if kernel == 2 else []
    conv = nn.Conv2d(channels_in, channels_out, kernel, padding=0 if kernel == 2 else kernel // 2)
    return [*pad, conv, nn.BatchNorm2d(channels_out), nn.ReLU()]


@register_model
class TCN(nn.Module):
    """conv 2->64 3x3; conv 64->128 2x2 'same'; max-pool 3/2; conv 128->64 2x2 'same'; max-pool 2/2; FC 64; FC classes.

    Input (N, 2, landmarks, frames); :meth:`from_samples` converts dataset samples (N, frames, landmarks, 2).
    ``features`` (the last convolutional block, over landmarks x frames) is what class activation maps use.
    """

    spec = ModelSpec(
        name="tcn",
        input=LANDMARKS,
        arguments=lambda dims, classes: {
            "n_classes": classes,
            "n_frames": dims["frames"],
            "n_landmarks": dims["landmarks"],
        },
        description="the paper's temporal CNN over landmarks x frames",
        layout=lambda x: TCN.from_samples(x),
        training={"momentum": 0.3},
        layer="features",
        layer_axes=("landmarks", "frames"),
    )

    def __init__(self, n_classes: int = 7, n_frames: int = 20, n_landmarks: int = 68) -> None:
        super().__init__()
        for name, value, low in (
            ("n_classes", n_classes, 2),
            ("n_frames", n_frames, 6),
            ("n_landmarks", n_landmarks, 6),
        ):
            if not isinstance(value, int) or value < low:
                raise OptionError(f"The {name!r} parameter of TCN must be an int >= {low}. Got {value!r} instead.")
        self.n_classes, self.n_frames, self.n_landmarks = n_classes, n_frames, n_landmarks
        self.features = nn.Sequential(*_block(2, 64, 3), *_block(64, 128, 2), nn.MaxPool2d(3, 2), *_block(128, 64, 2))
        self.pool = nn.MaxPool2d(2, 2)
        with torch.no_grad():
            flat = self.pool(self.features(torch.zeros(1, 2, n_landmarks, n_frames))).numel()
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(flat, 64), nn.ReLU(), nn.Linear(64, n_classes))

    @staticmethod
    def from_samples(samples: torch.Tensor) -> torch.Tensor:
        """(N, frames, landmarks, 2) dataset samples -> (N, 2, landmarks, frames) network input."""
        return samples.permute(0, 3, 2, 1).contiguous()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (2, self.n_landmarks, self.n_frames)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise OptionError(
                f"TCN expects input of shape (N, {', '.join(map(str, expected))}) (x/y, landmarks, frames); got "
                f"{tuple(x.shape)}. Convert dataset samples with TCN.from_samples, and build the model with the "
                "data's n_frames and n_landmarks."
            )
        return self.classifier(self.pool(self.features(x)))


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
