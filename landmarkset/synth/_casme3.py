"""A CAS(ME)^3 part A tree (Li et al., 2022) as the field's loaders read it: data/spNO.1/a/color/0.jpg
(0-based frame files) and cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx (header on the first row: Subject,
Filename, Onset, Apex, Offset, AU, Objective class, emotion; frames as 0-based file indices). A clip
may hold several micro-expressions, each a row repeating its (Subject, Filename) pair. 30 fps; frames
at a quarter of the real 1280x720.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np
from tqdm.auto import tqdm

from ._identity import Identity, load_identities
from ._nuisance import Nuisances
from ._render import Look, Renderer
from ._samm import LONG_VIDEO_NUISANCES, facs_text, render_long_video, save_truth
from ._tree import SynthTree
from ._workbook import write_workbook

__all__ = ["CASME3_SHEET", "synth_casme3"]

CASME3_SHEET = "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"
CASME3_HEADER = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
CASME3_FPS = 30.0
CASME3_SIZE = (320, 180)
CASME3_EMOTION = {
    "happy": "happy",
    "disgust": "disgust",
    "fear": "fear",
    "anger": "anger",
    "sadness": "sad",
    "surprise": "surprise",
}


def synth_casme3(
    out: str,
    subjects: int = 4,
    clips_per_subject: int = 2,
    seed: int = 0,
    frames: int = 120,
    identities: Optional[list[Identity]] = None,
    size: tuple[int, int] = CASME3_SIZE,
    nuisances: Union[str, Nuisances] = LONG_VIDEO_NUISANCES,
    progress: Optional[bool] = None,
) -> SynthTree:
    """A CAS(ME)^3 part A tree under ``out`` and its truth (``landmarkset_truth.json``); see the module doc.

    Defects reproduced on purpose, flagged in the truth: clips holding more than one expression (their
    pair repeats in the sheet), and a row whose apex lies outside [onset, offset].
    """
    nuisances = Nuisances.of(nuisances)

    identities = identities or load_identities()
    truth: dict[str, Any] = {}
    rows: list[list[Any]] = []
    emotions = list(CASME3_EMOTION)
    for index in tqdm(range(subjects), desc="subjects", disable=None if progress is None else not progress):
        rng = np.random.default_rng([seed, index, 5])
        subject = f"spNO.{index + 1}"
        renderer = Renderer(identities[index % len(identities)], Look.sample(rng, size), size)
        for number in range(clips_per_subject):
            clip = "abcdefghijklmnop"[number]
            folder = os.path.join(out, "data", subject, clip, "color")
            streams = np.random.default_rng([seed, index, number, 7]), np.random.default_rng([seed, index, number, 8])
            rendered = render_long_video(
                renderer,
                rng,
                streams,
                frames,
                CASME3_FPS,
                nuisances,
                emotions,
                folder,
                lambda t: f"{t - 1}.jpg",
                micro_share=1.0,
            )
            records = []
            for k, (onset0, expression, _) in enumerate(rendered.intervals, start=1):
                onset, apex, offset = onset0, onset0 + expression.apex, onset0 + expression.offset  # 0-based
                label = CASME3_EMOTION.get(expression.emotion or "", "others")
                defects, sheet_apex = [], apex
                if index == 0 and number == 0 and k == 1:
                    defects.append("apex outside [onset, offset] in the sheet")
                    sheet_apex = offset + 5
                rows.append([subject, clip, onset, sheet_apex, offset, facs_text(expression.aus), label, label])
                records.append(
                    {
                        "onset": onset,
                        "apex": apex,
                        "offset": offset,
                        "emotion": label,
                        "aus": expression.aus,
                        "defects": defects,
                        "moved_landmarks": expression.moved(),
                    }
                )
            truth[f"{subject}/{clip}"] = {
                "subject": subject,
                "clip": clip,
                "identity": renderer.identity.name,
                "frames": frames,
                "intervals": records,
            }
    write_workbook(os.path.join(out, CASME3_SHEET), {"Sheet1": [CASME3_HEADER, *rows]})
    return save_truth(out, "casme3", seed, subjects, size, identities, truth, fps=CASME3_FPS, sheet=CASME3_SHEET)
