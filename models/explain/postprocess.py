"""The paper's post-processing of class activation maps, and a variant that keeps something on typical maps.

- :func:`postprocess` (the paper's): scale each map to [0, 255], take successive-frame differences, and
  set values within [-75, 75] to 0. On maps upsampled from a few feature columns, successive differences
  rarely pass 75, so the result is often empty (measured in docs/explain.md).
- :func:`quantile_postprocess`: the same differences, thresholded at a quantile of each map's own
  absolute differences (default: keep the top 10 %), so a map is empty only when it does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

SCALE, THRESHOLD, QUANTILE = 255.0, 75.0, 0.9  # the paper's scale and threshold; the variant's quantile


def postprocess(
    maps: np.ndarray, *, scale: Optional[float] = SCALE, difference: bool = True, threshold: Optional[float] = THRESHOLD
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


def quantile_postprocess(maps: np.ndarray, *, quantile: float = QUANTILE, scale: Optional[float] = SCALE) -> np.ndarray:
    """Scale to [0, scale], successive-frame differences, and |value| below the map's ``quantile`` of
    |differences| set to 0."""
    out = postprocess(maps, scale=scale, difference=True, threshold=None)
    single = out.ndim == 2
    out = out[None] if single else out
    limits = np.quantile(np.abs(out), quantile, axis=(1, 2), keepdims=True)
    out = np.where((np.abs(out) < limits) | (np.abs(out) == 0), 0.0, out)
    return out[0] if single else out


@dataclass
class PostProcessing:
    """The paper's steps (None / False switches one off), or a per-map quantile threshold instead."""

    scale: Optional[float] = SCALE
    difference: bool = True
    threshold: Optional[float] = THRESHOLD
    quantile: Optional[float] = None  # e.g. 0.9: keep the top 10 % of each map's |differences| (overrides threshold)

    def apply(self, maps: np.ndarray) -> np.ndarray:
        if self.quantile is not None:
            return quantile_postprocess(maps, quantile=self.quantile, scale=self.scale)
        return postprocess(maps, scale=self.scale, difference=self.difference, threshold=self.threshold)

    def describe(self) -> str:
        if self.quantile is not None:
            return f"successive-frame differences above each map's {self.quantile:.2f} quantile"
        steps = [f"scaled to [0, {self.scale:g}]" if self.scale is not None else "unscaled"]
        steps += ["successive-frame differences"] if self.difference else []
        steps += [f"|value| <= {self.threshold:g} set to 0"] if self.threshold is not None else []
        return "the paper's steps: " + ", ".join(steps)
