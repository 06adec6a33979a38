"""Class activation maps over landmarks x frames, and the paper's post-processing.

    with torch.no_grad(): ...            # not needed: explain() handles gradients itself
    maps = explain(model, x)             # x: network input (N, 2, 68, frames); maps (N, 68, frames)

Methods:
- ``gradcam`` (the paper's): Grad-CAM on a convolutional layer (default: the model's ``features``, the TCN's
  last block, 64 x 33 x 9 for 68 x 20 input): channel weights = mean gradient of the target score, map =
  ReLU(sum of weighted channels), upsampled bilinearly to landmarks x frames. A 1-D feature map (N, C, L)
  is taken as running over frames (temporal convolutions) and repeated over the landmarks.
- ``gradient-input``: |sum over x/y of input x gradient|, at the input's own resolution (one value per
  landmark and frame); no upsampling blur.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from torch import nn

from landmarkset.errors import OptionError

METHODS = ("gradcam", "gradient-input")


class LayerRecorder:
    """Context manager recording a layer's output and its gradient; the hooks are removed on exit."""

    def __init__(self, layer: nn.Module) -> None:
        self.layer = layer
        self.activation: Optional[torch.Tensor] = None
        self.gradient: Optional[torch.Tensor] = None
        self._handle = None

    def _forward(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        self.activation = output.detach()
        if output.requires_grad:
            output.register_hook(self._backward)

    def _backward(self, gradient: torch.Tensor) -> None:
        self.gradient = gradient.detach()

    def __enter__(self) -> LayerRecorder:
        self._handle = self.layer.register_forward_hook(self._forward)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


def default_layer(model: nn.Module) -> nn.Module:
    """The model's ``features`` block if it has one, else its last convolution."""
    if isinstance(getattr(model, "features", None), nn.Module):
        return model.features
    convolutions = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    if not convolutions:
        raise OptionError("Grad-CAM needs a convolutional layer: pass layer=..., or use method='gradient-input'")
    return convolutions[-1]


def _upsample(cam: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, h, w) or (N, L) maps -> (N, landmarks, frames)."""
    if cam.dim() == 2:  # 1-D over frames
        frames = nn.functional.interpolate(cam[:, None], size=size[1], mode="linear", align_corners=False)[:, 0]
        return frames[:, None, :].expand(-1, size[0], -1)
    return nn.functional.interpolate(cam[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


def explain(
    model: nn.Module,
    x: torch.Tensor,
    target: Optional[int | list[int] | np.ndarray] = None,
    method: str = "gradcam",
    layer: Optional[nn.Module] = None,
) -> np.ndarray:
    """Maps (N, landmarks, frames) of why ``model`` gave class ``target`` (default: its prediction) to ``x``.

    ``x`` is the network input (N, 2, landmarks, frames) (a single sample without N is accepted). Values
    are non-negative and unnormalised; :func:`postprocess` applies the paper's steps.
    """
    if method not in METHODS:
        raise OptionError(f"Unknown method {method!r}. Valid: {', '.join(METHODS)}.")
    x = x[None] if x.dim() == 3 else x
    size = (x.shape[2], x.shape[3])
    model.eval()
    x = x.detach().clone().requires_grad_(method == "gradient-input")
    with torch.enable_grad(), LayerRecorder(layer or default_layer(model)) as recorder:
        scores = model(x)
        chosen = scores.argmax(1) if target is None else torch.as_tensor(np.broadcast_to(target, len(x)).copy())
        model.zero_grad(set_to_none=True)
        scores.gather(1, chosen.view(-1, 1).long()).sum().backward()
    if method == "gradient-input":
        return (x.grad * x).sum(1).abs().detach().cpu().numpy()
    activation, gradient = recorder.activation, recorder.gradient
    if activation is None or gradient is None:
        raise OptionError("The chosen layer took no part in the forward pass; pass another layer=")
    spatial = tuple(range(2, activation.dim()))
    weights = gradient.mean(dim=spatial, keepdim=True)
    cam = torch.relu((weights * activation).sum(1))
    return _upsample(cam, size).cpu().numpy()


def postprocess(
    maps: np.ndarray, scale: Optional[float] = 255.0, difference: bool = True, threshold: Optional[float] = 75.0
) -> np.ndarray:
    """The paper's steps, each optional: scale each map to [0, scale]; differences between successive frames
    (F -> F - 1 columns); values within [-threshold, threshold] set to 0."""
    out = np.asarray(maps, dtype=np.float64)
    single = out.ndim == 2
    out = out[None] if single else out
    if scale is not None:
        low = out.min(axis=(1, 2), keepdims=True)
        span = out.max(axis=(1, 2), keepdims=True) - low
        out = np.where(span > 0, (out - low) / np.where(span > 0, span, 1) * scale, 0.0)
    if difference:
        out = np.diff(out, axis=2)
    if threshold is not None:
        out = np.where(np.abs(out) <= threshold, 0.0, out)
    return out[0] if single else out
