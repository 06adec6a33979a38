"""A CASME II tree (Yan et al., 2014), as the release and the field's loaders lay it out:
CASME2_RAW_selected/sub01/EP02_01f/img46.jpg (absolute frame numbers, not padded) and the coding sheet
CASME2-coding-20140508.xlsx (header on the first row, two columns without a name, Subject an integer,
ApexFrame "/" where the coders gave none). 200 fps; frames at half the real 640x480 to keep generation fast.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
from tqdm.auto import tqdm

from ._identity import Identity, load_identities
from ._render import Look, Renderer
from ._samm import facs_text, micro_expression, save_truth, write_frames
from ._tree import SynthTree
from ._workbook import write_workbook

__all__ = ["CASME2_EMOTION", "CASME2_SHEET", "synth_casme2"]

CASME2_SHEET = "CASME2-coding-20140508.xlsx"
CASME2_TREE = "CASME2_RAW_selected"
CASME2_SIZE = (320, 240)
CASME2_HEADER = [
    "Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units", "Estimated Emotion",
]  # fmt: skip
# The generator's emotions in CASME II's words; "repression" and "others" are AU sets of no emotion.
CASME2_EMOTION = {"happy": "happiness", "disgust": "disgust", "surprise": "surprise", "sadness": "sadness",
                  "fear": "fear"}  # fmt: skip


def synth_casme2(
    out: str,
    subjects: int = 6,
    clips_per_subject: int = 4,
    seed: int = 0,
    identities: Optional[list[Identity]] = None,
    size: tuple[int, int] = CASME2_SIZE,
    progress: Optional[bool] = None,
) -> SynthTree:
    """A CASME II tree under ``out`` and its truth (``landmarkset_truth.json``); see the module doc.

    Defects of the release reproduced on purpose, silent in the sheet and flagged in the truth: an apex
    given as "/", and a clip whose emotion is "others" (an AU set of no emotion).
    """

    identities = identities or load_identities()
    emotions = [*CASME2_EMOTION, "repression"]
    truth, rows = {}, []
    for index in tqdm(range(subjects), desc="subjects", disable=None if progress is None else not progress):
        rng = np.random.default_rng([seed, index, 2])
        subject = f"sub{index + 1:02d}"
        renderer = Renderer(identities[index % len(identities)], Look.sample(rng, size), size)
        for clip in range(1, clips_per_subject + 1):
            choice = str(rng.choice([*emotions, "others"]))
            emotion = choice if choice in CASME2_EMOTION else None
            expression = micro_expression(rng, emotion, micro=True)
            name = f"EP{int(rng.integers(1, 20)):02d}_{clip:02d}{'f' if rng.random() < 0.5 else ''}"
            onset = int(rng.integers(1, 120))
            frames = expression.offset + 1
            names = [f"img{onset + t}.jpg" for t in range(frames)]
            track = write_frames(renderer, expression, os.path.join(out, CASME2_TREE, subject, name), names)
            apex, offset = onset + expression.apex, onset + frames - 1
            label = CASME2_EMOTION.get(emotion, choice)
            defects, sheet_apex = [], apex
            if index == 0 and clip == 1:
                defects.append("apex '/' in the sheet")
                sheet_apex = "/"
            rows.append([index + 1, name, None, onset, sheet_apex, offset, None, facs_text(expression.aus), label])
            truth[f"{subject}/{name}"] = {
                "subject": subject,
                "clip": name,
                "identity": renderer.identity.name,
                "emotion": label,
                "aus": expression.aus,
                "onset": onset,
                "apex": apex,
                "offset": offset,
                "defects": defects,
                "moved_landmarks": expression.moved(),
                "landmarks": np.round(track, 3).tolist(),
            }
    write_workbook(os.path.join(out, CASME2_SHEET), {"Sheet1": [CASME2_HEADER, *rows]})
    return save_truth(out, "casme2", seed, subjects, size, identities, truth, sheet=CASME2_SHEET)
