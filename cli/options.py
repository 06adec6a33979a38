"""Checks and option groups shared by several commands."""

from __future__ import annotations


def check_device(device: str) -> str:
    """``device`` when torch can use it here; an OptionError saying what to use instead."""
    import torch

    from landmarkset.errors import OptionError

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise OptionError(f"--device {device!r} is not a torch device: use cpu, cuda, cuda:N or mps") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise OptionError(f"--device {device}: this torch has no usable CUDA GPU; use --device cpu")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise OptionError(f"--device {device}: MPS is not available here; use --device cpu")
    return device
