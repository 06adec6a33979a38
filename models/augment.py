"""Landmark augmentation: small rotation, scale, shift, and mirroring with the 68-point index permutation."""

from __future__ import annotations

import numpy as np

from landmarkset.regions import MIRROR


def augment(
    samples: np.ndarray,
    rng: np.random.Generator,
    rotation: float = 8.0,
    scale: float = 0.08,
    shift: float = 0.03,
    mirror: float = 0.5,
) -> np.ndarray:
    """Randomly transformed copies of (N, F, 68, 2) normalised samples (one transform per sample, all frames).

    Rotation in degrees and scale as a fraction, both about the sample's mean point; shift in image
    fractions; mirroring flips x and swaps left and right points, so point i stays the same facial point.
    """
    out = np.array(samples, dtype=np.float32, copy=True)
    for index in range(len(out)):
        sample = out[index]
        if rng.random() < mirror:
            sample = sample[:, list(MIRROR)]
            sample[..., 0] = 1.0 - sample[..., 0]
        centre = np.nanmean(sample.reshape(-1, 2), axis=0)
        angle = np.radians(rng.uniform(-rotation, rotation))
        factor = 1.0 + rng.uniform(-scale, scale)
        c, s = np.cos(angle) * factor, np.sin(angle) * factor
        matrix = np.array([[c, -s], [s, c]], dtype=np.float32)
        out[index] = (sample - centre) @ matrix.T + centre + rng.uniform(-shift, shift, 2)
    return out
