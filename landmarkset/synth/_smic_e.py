"""A SMIC-E tree (SMIC-HS's longer clips) and its sheet SMIC-HS-E_annotation.xlsx (Subject, Filename,
OnsetF, OffsetF, Emotion, FirstF: absolute frame numbers, no apex). The release's folder tree is not
documented; this one is SMIC-E/HS_long/s1/s1_ne_01/image<N>.jpg. 100 fps; frames at half of 640x480.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np
from tqdm.auto import tqdm

from ._identity import Identity, load_identities
from ._nuisance import Nuisances
from ._render import Look, Renderer
from ._samm import LONG_VIDEO_NUISANCES, render_long_video, save_truth
from ._smic import SMIC_CODE
from ._tree import SynthTree
from ._workbook import write_workbook

__all__ = ["SMIC_E_SHEET", "synth_smic_e"]

SMIC_E_SHEET = "SMIC-HS-E_annotation.xlsx"
SMIC_E_HEADER = ["Subject", "Filename", "OnsetF", "OffsetF", "Emotion", "FirstF"]
SMIC_E_SIZE = (320, 240)
# The generator's emotions and SMIC's class of each.
SMIC_E_CLASS = {
    "happy": "positive",
    "disgust": "negative",
    "sadness": "negative",
    "fear": "negative",
    "surprise": "surprise",
}


def synth_smic_e(
    out: str,
    subjects: int = 3,
    clips_per_subject: int = 2,
    seed: int = 0,
    frames: int = 160,
    identities: Optional[list[Identity]] = None,
    size: tuple[int, int] = SMIC_E_SIZE,
    nuisances: Union[str, Nuisances] = LONG_VIDEO_NUISANCES,
    progress: Optional[bool] = None,
) -> SynthTree:
    """A SMIC-E tree under ``out`` and its truth (``landmarkset_truth.json``); see the module doc.

    The first subject's frame files are numbered from 1 while the sheet's numbers are absolute (FirstF
    says where the clip starts), as loaders of the release must handle; the others' files carry the
    absolute numbers.
    """
    nuisances = Nuisances.of(nuisances)

    identities = identities or load_identities()
    truth: dict[str, Any] = {}
    rows: list[list[Any]] = []
    for index in tqdm(range(subjects), desc="subjects", disable=None if progress is None else not progress):
        rng = np.random.default_rng([seed, index, 6])
        subject = f"s{index + 1}"
        renderer = Renderer(identities[index % len(identities)], Look.sample(rng, size), size)
        for number in range(1, clips_per_subject + 1):
            first = int(rng.integers(1000, 90000))
            from_one = index == 0
            streams = np.random.default_rng([seed, index, number, 7]), np.random.default_rng([seed, index, number, 8])
            folder = os.path.join(out, "SMIC-E", "HS_long", subject, "pending")
            rendered = render_long_video(
                renderer,
                rng,
                streams,
                frames,
                100.0,
                nuisances,
                list(SMIC_E_CLASS),
                folder,
                (lambda t: f"image{t}.jpg") if from_one else (lambda t, first=first: f"image{first + t - 1}.jpg"),
                micro_share=1.0,
            )
            label = (
                SMIC_E_CLASS.get(rendered.intervals[0][1].emotion or "", "negative")
                if rendered.intervals
                else "negative"
            )
            name = f"{subject}_{SMIC_CODE[label]}_{number:02d}"
            final = os.path.join(out, "SMIC-E", "HS_long", subject, name)
            os.replace(folder, final)
            records = []
            for onset0, expression, _ in rendered.intervals:
                onset, offset = first + onset0, first + onset0 + expression.offset  # absolute frame numbers
                emotion = SMIC_E_CLASS.get(expression.emotion or "", "negative")
                rows.append([index + 1, name, onset, offset, emotion, first])
                records.append(
                    {
                        "onset": onset,
                        "offset": offset,
                        "emotion": emotion,
                        "position": [onset0 + 1, onset0 + 1 + expression.offset],
                    }
                )
            truth[f"{subject}/{name}"] = {
                "subject": subject,
                "clip": name,
                "first": first,
                "files_from_one": from_one,
                "frames": frames,
                "intervals": records,
            }
    write_workbook(os.path.join(out, SMIC_E_SHEET), {"Sheet": [SMIC_E_HEADER, *rows]})  # openpyxl's default name
    return save_truth(out, "smic-e", seed, subjects, size, identities, truth, fps=100.0, sheet=SMIC_E_SHEET)
