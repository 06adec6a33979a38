"""A SMIC-HS tree (Li et al., 2013) as the field's loaders read it: SMIC_all_cropped/HS/s1/micro/positive/
s1_po_01/ with the class in the folder and no sheet. Subjects are numbered with gaps (the release's HS
part keeps 16 of 20); frames are named ``image<N>.jpg`` from an absolute frame number (the release's own
names are not confirmed). 100 fps; frames smaller than the real 640x480 to keep generation fast.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
from tqdm.auto import tqdm

from ..datasets.smic import SMIC_TREE
from ._identity import Identity, load_identities
from ._render import Look, Renderer
from ._samm import micro_expression, save_truth, write_frames
from ._tree import SynthTree

__all__ = ["SMIC_TREE", "synth_smic"]

SMIC_SIZE = (320, 240)
# SMIC's classes, each the generator's emotions it stands for, and the clip code in the folder name.
SMIC_CLASS_EMOTIONS = {"positive": ("happy",), "negative": ("disgust", "sadness", "fear"), "surprise": ("surprise",)}
SMIC_CODE = {"positive": "po", "negative": "ne", "surprise": "sur"}


def synth_smic(
    out: str,
    subjects: int = 6,
    clips_per_subject: int = 4,
    seed: int = 0,
    identities: Optional[list[Identity]] = None,
    size: tuple[int, int] = SMIC_SIZE,
    progress: Optional[bool] = None,
) -> SynthTree:
    """A SMIC-HS tree under ``out`` and its truth (``landmarkset_truth.json``); see the module doc.

    Defects reproduced on purpose, each flagged in the truth: a subject number skipped (s3 is absent), a
    ``non_micro`` clip of the first subject (SMIC-E's, not a micro-expression), and a hidden file.
    """
    identities = identities or load_identities()
    truth: dict[str, Any] = {}
    numbers = [n for n in range(1, subjects + 2) if n != 3][:subjects]
    for index, number in enumerate(tqdm(numbers, desc="subjects", disable=None if progress is None else not progress)):
        rng = np.random.default_rng([seed, index, 3])
        subject = f"s{number}"
        renderer = Renderer(identities[index % len(identities)], Look.sample(rng, size), size)
        counts = {label: 0 for label in SMIC_CLASS_EMOTIONS}
        for clip in range(clips_per_subject + (1 if index == 0 else 0)):
            non_micro = index == 0 and clip == clips_per_subject
            label = str(rng.choice(list(SMIC_CLASS_EMOTIONS)))
            emotion = str(rng.choice(SMIC_CLASS_EMOTIONS[label]))
            expression = micro_expression(rng, emotion, micro=not non_micro, fps=100.0)
            counts[label] += 1
            name = f"{subject}_{SMIC_CODE[label]}_{counts[label]:02d}"
            start = int(rng.integers(1000, 9000))
            frames = expression.offset + 1
            kind = "non_micro" if non_micro else "micro"
            folder = os.path.join(out, SMIC_TREE, "HS", subject, kind, label, name)
            track = write_frames(renderer, expression, folder, [f"image{start + t}.jpg" for t in range(frames)])
            if index == 0 and clip == 0:
                with open(os.path.join(folder, ".DS_Store"), "wb") as handle:
                    handle.write(b"\0\0\0\1Bud1")
            truth[f"{subject}/{name}"] = {
                "subject": subject,
                "clip": name,
                "identity": renderer.identity.name,
                "class": label,
                "emotion": emotion,
                "aus": expression.aus,
                "micro": not non_micro,
                "frames": frames,
                "apex": expression.apex + 1,
                "defects": ["non_micro clip"] if non_micro else [],
                "moved_landmarks": expression.moved(),
                "landmarks": np.round(track, 3).tolist(),
            }
    return save_truth(out, "smic", seed, subjects, size, identities, truth, fps=100.0)
