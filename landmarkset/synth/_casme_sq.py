"""A CAS(ME)^2 tree (Qu et al., 2017) as the field's loaders read it: long videos of frames,
rawpic/s15/15_0101disgustingteeth/img1.jpg (1-based, not padded), and CAS(ME)^2code_final.xlsx with
three sheets: CASMEcode_final (no header row; columns by position: subject number, video name and
expression number, onset, apex, offset, AUs, emotion, expression type, self-report), naming rule1
(subject folder, its number, the sheet's subject number) and naming rule2 (video code, video name).
30 fps; frames at half the real 640x480. Video folder suffixes after the code are invented.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np
from tqdm.auto import tqdm

from ._identity import Identity, load_identities
from ._nuisance import Nuisances
from ._render import Look, Renderer
from ._samm import LONG_TRUTH_TRACKS, LONG_VIDEO_NUISANCES, facs_text, render_long_video, save_truth
from ._tree import SynthTree
from ._workbook import write_workbook

__all__ = ["CASME_SQ_SHEET", "synth_casme_sq"]

CASME_SQ_SHEET = "CAS(ME)^2code_final.xlsx"
CASME_SQ_FPS = 30.0
CASME_SQ_SIZE = (320, 240)
SUBJECT_FOLDERS = (15, 16, 19, 20, 21, 22, 23, 24, 25, 26, 27, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 40)
STIMULI = (
    ("0101", "disgust1", "disgustingteeth"),
    ("0102", "disgust2", "eatingworms"),
    ("0401", "anger1", "crackingmirror"),
    ("0502", "happy2", "pigeon"),
)
# The generator's emotions in CAS(ME)^2's four classes (an expression of no emotion is "others").
CASME_SQ_CLASS = {
    "happy": "positive",
    "surprise": "surprise",
    "disgust": "negative",
    "sadness": "negative",
    "fear": "negative",
    "anger": "negative",
    "contempt": "negative",
}


def synth_casme_sq(
    out: str,
    subjects: int = 3,
    videos_per_subject: int = 2,
    seed: int = 0,
    frames: int = 450,
    identities: Optional[list[Identity]] = None,
    size: tuple[int, int] = CASME_SQ_SIZE,
    nuisances: Union[str, Nuisances] = LONG_VIDEO_NUISANCES,
    progress: Optional[bool] = None,
) -> SynthTree:
    """A CAS(ME)^2 tree under ``out`` and its truth (``landmarkset_truth.json``; every frame's true landmarks
    in ``landmarkset_truth_tracks/``); see the module doc.

    Defects of the release reproduced on purpose, silent in the sheet and flagged in the truth: an offset
    of 0 (the release's "use the apex" rows), and a video code written as a number in naming rule2 (its
    leading zero lost: 0101 becomes 101).
    """
    nuisances = Nuisances.of(nuisances)

    if subjects > len(SUBJECT_FOLDERS) or videos_per_subject > len(STIMULI):
        raise ValueError(f"at most {len(SUBJECT_FOLDERS)} subjects and {len(STIMULI)} videos per subject")
    identities = identities or load_identities()
    truth: dict[str, Any] = {}
    rows: list[list[Any]] = []
    emotions = list(CASME_SQ_CLASS)
    for index in tqdm(range(subjects), desc="subjects", disable=None if progress is None else not progress):
        rng = np.random.default_rng([seed, index, 4])
        code = SUBJECT_FOLDERS[index]
        renderer = Renderer(identities[index % len(identities)], Look.sample(rng, size), size)
        for number, (video_code, video_name, suffix) in enumerate(STIMULI[:videos_per_subject], start=1):
            video = f"{code}_{video_code}{suffix}"
            folder = os.path.join(out, "rawpic", f"s{code}", video)
            streams = np.random.default_rng([seed, index, number, 7]), np.random.default_rng([seed, index, number, 8])
            rendered = render_long_video(
                renderer, rng, streams, frames, CASME_SQ_FPS, nuisances, emotions, folder, lambda t: f"img{t}.jpg"
            )
            os.makedirs(os.path.join(out, LONG_TRUTH_TRACKS), exist_ok=True)
            np.save(os.path.join(out, LONG_TRUTH_TRACKS, f"{video}.npy"), rendered.track)
            records = []
            for k, (onset0, expression, micro) in enumerate(rendered.intervals, start=1):
                onset, apex, offset = onset0 + 1, onset0 + 1 + expression.apex, onset0 + expression.offset + 1
                label = CASME_SQ_CLASS.get(expression.emotion or "", "others")
                defects, sheet_offset = [], offset
                if index == 0 and number == 1 and k == 1:
                    defects.append("offset 0 in the sheet")
                    sheet_offset = 0
                kind = "micro-expression" if micro else "macro-expression"
                rows.append(
                    [
                        index + 1,
                        f"{video_name}_{k}",
                        onset,
                        apex,
                        sheet_offset,
                        facs_text(expression.aus),
                        label,
                        kind,
                        expression.emotion or "other",
                    ]
                )
                records.append(
                    {
                        "name": f"{video_name}_{k}",
                        "type": "micro" if micro else "macro",
                        "onset": onset,
                        "apex": apex,
                        "offset": offset,
                        "emotion": label,
                        "aus": expression.aus,
                        "defects": defects,
                        "moved_landmarks": expression.moved(),
                    }
                )
            truth[video] = {
                "subject": f"s{code}",
                "sheet_subject": index + 1,
                "video": video,
                "identity": renderer.identity.name,
                "frames": frames,
                "fps": CASME_SQ_FPS,
                "intervals": records,
                "nuisances": nuisances.as_dict(),
                "blink_frames": [frame + 1 for frame in rendered.extra.blinks],
                "track_file": f"{LONG_TRUTH_TRACKS}/{video}.npy",
            }
    rule1 = [[f"s{SUBJECT_FOLDERS[index]}", SUBJECT_FOLDERS[index], index + 1] for index in range(subjects)]
    rule2 = [[int(video_code) if position == 0 else video_code, video_name]  # the lost leading zero
             for position, (video_code, video_name, _) in enumerate(STIMULI)]  # fmt: skip
    pages = {"CASMEcode_final": rows, "naming rule1": rule1, "naming rule2": rule2}
    write_workbook(os.path.join(out, CASME_SQ_SHEET), pages)
    return save_truth(out, "casme-sq", seed, subjects, size, identities, truth, fps=CASME_SQ_FPS, sheet=CASME_SQ_SHEET)
