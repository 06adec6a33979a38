"""Attribution methods, from Captum, over a model's prepared input (docs/explain.md).

Every method explains the change from the sample's first frame: its input is the *motion* ``delta`` =
prepared input - first frame repeated, and its baseline is no motion (delta 0, the point or pixel frozen
at its first-frame value). Deleting a feature in the faithfulness curves means the same thing.

- ``gradcam`` (the paper's): Captum's LayerGradCam on the layer the model declares, upsampled to the map
  axes it runs over (``ModelSpec.layer_axes``).
- ``gradient-input``: Captum's InputXGradient (gradient x motion).
- ``integrated-gradients``: Captum's IntegratedGradients from no motion to the sample (32 steps).
- ``occlusion``: Captum's FeatureAblation of groups (landmark region of ``landmarkset.regions``, or crop
  patch) x time window, each frozen at the first frame; every element gets its group's effect.

    maps = attribute(model, TCN.spec, prepared, method="integrated-gradients")   # (N, 68, frames)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
from captum.attr import FeatureAblation, InputXGradient, IntegratedGradients, LayerGradCam
from torch import nn

from landmarkset.errors import OptionError

from ..inputs import spread
from ..spec import ModelSpec

WINDOW = 5  # frames per occlusion time window
IG_STEPS = 16


@dataclass
class Problem:
    """One batch to explain: the model as a function of motion, the motion, the targets and the declaration."""

    model: nn.Module
    spec: ModelSpec
    delta: torch.Tensor
    base: torch.Tensor
    target: torch.Tensor

    def forward(self, delta: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        return self.model(self.spec.layout(base + delta))


def _gradcam(problem: Problem) -> torch.Tensor:
    spec, kind = problem.spec, problem.spec.input
    cam = LayerGradCam(problem.forward, spec.explained_layer(problem.model))
    layer_map = cam.attribute(
        problem.delta, target=problem.target, additional_forward_args=(problem.base,), relu_attributions=True
    )[:, 0]
    if layer_map.dim() - 1 != len(spec.layer_axes):
        raise OptionError(
            f"The {spec.name!r} model's layer {spec.layer!r} has {layer_map.dim() - 1} spatial dimension(s), but its "
            f"ModelSpec names {len(spec.layer_axes)} in layer_axes"
        )
    sizes = kind.map_sizes(tuple(problem.delta.shape[1:]))
    maps = spread(layer_map.detach(), spec.layer_axes, kind.map_axes, sizes)
    return kind.from_map(maps)


def _gradient_input(problem: Problem) -> torch.Tensor:
    return InputXGradient(problem.forward).attribute(
        problem.delta.clone().requires_grad_(), target=problem.target, additional_forward_args=(problem.base,)
    )


def _integrated_gradients(problem: Problem) -> torch.Tensor:
    return IntegratedGradients(problem.forward).attribute(
        problem.delta,
        baselines=0.0,
        target=problem.target,
        additional_forward_args=(problem.base,),
        n_steps=IG_STEPS,
        internal_batch_size=max(len(problem.delta), 1) * IG_STEPS,
    )


def _occlusion(problem: Problem) -> torch.Tensor:
    kind = problem.spec.input
    mask = kind.occlusion_ids(tuple(problem.delta.shape[1:]), WINDOW).unsqueeze(0)
    return FeatureAblation(problem.forward).attribute(
        problem.delta,
        baselines=0.0,
        target=problem.target,
        additional_forward_args=(problem.base,),
        feature_mask=mask.to(problem.delta.device),
        perturbations_per_eval=8,
    )


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    compute: Callable[[Problem], torch.Tensor]
    uses_layer: bool = False  # needs ModelSpec.layer


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("gradcam", "Grad-CAM on the model's declared layer (the paper's)", _gradcam, uses_layer=True),
        Method("gradient-input", "gradient x motion from the first frame", _gradient_input),
        Method(
            "integrated-gradients", f"integrated gradients from no motion ({IG_STEPS} steps)", _integrated_gradients
        ),
        Method("occlusion", f"region (or patch) x {WINDOW}-frame window frozen at the first frame", _occlusion),
    )
}
DEFAULT_METHOD = "integrated-gradients"  # chosen by measurement: docs/explain.md, "Choosing the method"


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise OptionError(f"Unknown method {name!r}. Valid: {', '.join(METHODS)}.")
    return METHODS[name]


def split_motion(prepared: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(delta, base): prepared input as its first frame repeated plus the motion from it."""
    base = prepared[:, :1].expand_as(prepared).contiguous()
    return (prepared - base).detach(), base.detach()


def input_attributions(
    model: nn.Module,
    spec: ModelSpec,
    prepared: torch.Tensor,
    *,
    target: Optional[int | list[int] | np.ndarray | torch.Tensor] = None,
    method: str = DEFAULT_METHOD,
) -> torch.Tensor:
    """Attributions over the prepared input (same shape), of class ``target`` (default: the prediction)."""
    chosen = get_method(method)
    model.eval()
    prepared = prepared[None] if prepared.dim() == 3 else prepared  # one sample
    delta, base = split_motion(prepared.float())
    if target is None:
        with torch.no_grad():
            target = model(spec.layout(prepared)).argmax(1)
    target = torch.as_tensor(np.broadcast_to(np.asarray(target), len(prepared)).copy(), device=prepared.device)
    problem = Problem(model, spec, delta, base, target.long())
    with torch.enable_grad():
        out = chosen.compute(problem)
    model.zero_grad(set_to_none=True)
    return out.detach()


def attribute(
    model: nn.Module,
    spec: ModelSpec,
    prepared: torch.Tensor,
    *,
    target: Optional[int | list[int] | np.ndarray | torch.Tensor] = None,
    method: str = DEFAULT_METHOD,
) -> np.ndarray:
    """Maps (N, *map axes of the input kind) of why ``model`` gave class ``target`` (default: its prediction).

    ``prepared`` is the input kind's prepared input (landmarks: (N, frames, 68, 2)); values are non-negative
    and unnormalised; :func:`~landmarkset.models.explain.postprocess.postprocess` applies the paper's steps.
    """
    return spec.input.to_map(input_attributions(model, spec, prepared, target=target, method=method))
