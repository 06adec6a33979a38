"""Facial Action Coding facts used across landmarkset: the emotion prototypes and the CK+ emotion codes.

One table, read by the dataset builders (SAMM labels from AU strings), the generator (which AUs to move
for an emotion), the explanation tables (which regions an emotion should light up) and the CLI.
"""

from __future__ import annotations

# EMFACS-style prototypes (the Action Units of each emotion, as the paper and the CK+ / SAMM documentation
# list them); "R" marks a unilateral (right-side) AU. Neutral moves nothing.
EMOTION_AUS: dict[str, tuple[str, ...]] = {
    "anger": ("4", "5", "7", "23"),
    "contempt": ("R12", "R14"),
    "disgust": ("9", "15", "16"),
    "fear": ("1", "2", "4", "5", "7", "20", "26"),
    "happy": ("6", "12"),
    "sadness": ("1", "4", "15"),
    "surprise": ("1", "2", "5", "26"),
    "neutral": (),
}

# CK+ Emotion files: code -> emotion.
CKPLUS_CODES: dict[int, str] = {
    0: "neutral",
    1: "anger",
    2: "contempt",
    3: "disgust",
    4: "fear",
    5: "happy",
    6: "sadness",
    7: "surprise",
}
CKPLUS_CODE_OF: dict[str, int] = {name: code for code, name in CKPLUS_CODES.items()}


def au_numbers(emotion: str) -> tuple[int, ...]:
    """The emotion's prototype AUs as numbers, laterality dropped (() for neutral or an unknown emotion)."""
    return tuple(int(code.lstrip("RL")) for code in EMOTION_AUS.get(emotion, ()))
