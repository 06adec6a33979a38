"""Landmark augmentation: small rotation, scale, shift, mirroring with the 68-point index permutation, and
tracking jitter (the frame-to-frame noise of a real landmark tracker)."""

from __future__ import annotations

import numpy as np

from landmarkset.regions import MIRROR, eye_centre_distance


def augment(
    samples: np.ndarray,
    rng: np.random.Generator,
    rotation: float = 8.0,
    scale: float = 0.08,
    shift: float = 0.03,
    mirror: float = 0.5,
    jitter: float = 0.0,
) -> np.ndarray:
    """Randomly transformed copies of (N, F, 68, 2) normalised samples (one transform per sample, all frames).

    Rotation in degrees and scale as a fraction, both about the sample's mean point; shift in image
    fractions; mirroring flips x and swaps left and right points, so point i stays the same facial point;
    jitter adds independent Gaussian noise to every point of every frame, its sigma a fraction of the
    sample's first-frame inter-ocular distance.
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
        if jitter:
            sigma = jitter * float(np.nan_to_num(eye_centre_distance(out[index, 0]), nan=0.0))
            out[index] += rng.normal(0, sigma, out[index].shape).astype(np.float32)
    return out
