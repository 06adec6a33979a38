"""The generator's nuisances of real video: each switchable, seeded and recorded in the truth; neutral
sequences that move; and the rigid alignment that takes head motion out before the model."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from landmarkset.models.preprocess import align_frames, preprocess

from landmarkset.synth import TRUTH_FILE, Identity, Look, Nuisances, Renderer, astronaut, synth_ckplus
from landmarkset.synth._nuisance import DEPTH, nuisance_motion, turn


@pytest.fixture(scope="module")
def neutral_face() -> np.ndarray:
    return Renderer(astronaut(), Look()).neutral


def test_nuisances_are_named_and_switchable():
    assert Nuisances.parse("all") == Nuisances() and not Nuisances.parse("none").any
    chosen = Nuisances.parse("speech, blinks")
    assert chosen.speech and chosen.blinks and not (chosen.head_rotation or chosen.drift or chosen.intensity)
    with pytest.raises(ValueError, match="unknown nuisance 'yawn'"):
        Nuisances.parse("speech,yawn")


def test_speech_cycles_at_its_syllable_rate(neutral_face):
    rng = np.random.default_rng(4)
    motion = nuisance_motion(rng, 600, 30.0, Nuisances.parse("speech"), neutral_face, speaking=1.0)
    assert 3 <= motion.speech_rate <= 6 and not motion.blinks and np.all(motion.pose[:, :5] == 0)
    opening = motion.offsets[:, 66, 1] - motion.offsets[:, 62, 1]  # inner lips apart
    spectrum = np.abs(np.fft.rfft(opening - opening.mean()))
    peak = np.fft.rfftfreq(len(opening), 1 / 30.0)[spectrum.argmax()]
    assert peak == pytest.approx(motion.speech_rate, abs=0.2)
    assert np.abs(motion.offsets[:, 17:48]).max() == 0  # speech moves the mouth and jaw only, not the brows


def test_blinks_close_the_eyes_at_a_human_rate(neutral_face):
    rng = np.random.default_rng(1)
    motion = nuisance_motion(rng, 30 * 120, 30.0, Nuisances.parse("blinks"), neutral_face)
    assert 10 <= len(motion.blinks) / 2 <= 25  # per minute (10-20 drawn; Poisson spread)
    closed = neutral_face[41, 1] - (neutral_face[37, 1] + motion.offsets[:, 37, 1])
    gap = neutral_face[41, 1] - neutral_face[37, 1]
    assert closed.min() < 0.25 * gap  # fully closed at a blink's peak
    assert np.abs(motion.offsets[:, :36]).max() == 0 and np.abs(motion.offsets[:, 48:]).max() == 0


def test_head_rotation_is_out_of_plane(neutral_face):
    turned = turn(neutral_face, 10, 0)
    nose_tip, eye_corner = 30, 36
    shift = turned - neutral_face
    assert DEPTH[nose_tip] > DEPTH[eye_corner]
    assert abs(shift[nose_tip, 0]) > 2 * abs(shift[eye_corner, 0])  # the nose swings more: parallax
    assert np.allclose(turn(neutral_face, 0, 0), neutral_face)


def test_rigid_motion_is_aligned_away_and_an_expression_survives(neutral_face):
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(12):
        angle, scale = np.radians(rng.uniform(-6, 6)), rng.uniform(0.9, 1.1)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        frames.append((neutral_face @ rotation.T) * scale + rng.uniform(-0.3, 0.3, 2))
    moved = np.array(frames)[None]
    assert np.abs(preprocess(moved, "aligned")).max() < 1e-5 < np.abs(preprocess(moved, "motion")).max()
    smiling = moved.copy()
    smiling[0, 6:, [48, 54], 0] += [[-0.1], [0.1]]  # lip corners pulled in the last frames
    out = preprocess(smiling, "aligned")
    assert np.abs(out[0, -1, [48, 54]]).max() > 0.05 and np.abs(out[0, -1, :48]).max() < 1e-5
    assert np.allclose(align_frames(moved)[0, 0], moved[0, 0], atol=1e-6)


def test_synth_records_nuisances_and_writes_moving_neutral_sequences(tmp_path):
    identity: Identity = astronaut()
    truth = synth_ckplus(str(tmp_path / "ck"), subjects=1, sequences_per_subject=2, seed=5, identities=[identity],
                         neutral_sequences=2, progress=False)  # fmt: skip
    assert truth["generator"]["nuisances"] == Nuisances().as_dict()
    neutral = [(key, s) for key, s in truth["sequences"].items() if s["emotion"] == "neutral"]
    assert len(neutral) == 2
    for key, sequence in neutral:
        subject, number = key.split("/")
        emotion = tmp_path / "ck" / "Emotion" / subject / number
        assert next(emotion.iterdir()).read_text().strip() == "0.0000000e+00"  # CK+ code 0
        assert sequence["moved_landmarks"] == [] and sequence["aus"] == {}
        landmarks = np.array(sequence["landmarks"])
        assert np.abs(landmarks - landmarks[0]).max() > 0.5  # pixels: it moves, by nuisances alone
        assert len(sequence["nuisances"]["pose"]) == sequence["frames"]
    again = synth_ckplus(str(tmp_path / "again"), subjects=1, sequences_per_subject=2, seed=5,
                         identities=[identity], neutral_sequences=2, progress=False)  # fmt: skip
    assert again["sequences"] == truth["sequences"]  # seeded
    still = synth_ckplus(str(tmp_path / "still"), subjects=1, sequences_per_subject=2, seed=5, identities=[identity],
                         nuisances=Nuisances.none(), neutral_sequences=0, progress=False)  # fmt: skip
    records = list(still["sequences"].values())
    assert len(records) == 2 and all(r["nuisances"]["speech_rate_hz"] is None for r in records)
    assert all(not r["nuisances"]["blink_frames"] for r in records)
    # the expressions of a seed do not depend on the nuisances: the same AUs and timing
    assert [r["aus"] for r in records] == [s["aus"] for s in truth["sequences"].values() if s["emotion"] != "neutral"]
    with open(os.path.join(tmp_path / "still", TRUTH_FILE)) as handle:
        assert json.load(handle)["generator"]["neutral_sequences"] == 0


def test_augmentation_adds_tracking_jitter(neutral_face):
    from landmarkset.models.augment import augment

    from landmarkset.regions import eye_centre_distance

    samples = np.repeat((neutral_face * 0.05 + 0.5)[None, None], 20, axis=1).astype(np.float32)  # (1, 20, 68, 2)
    still = dict(rotation=0.0, scale=0.0, shift=0.0, mirror=0.0)
    rng = np.random.default_rng(0)
    assert np.allclose(augment(samples, rng, **still, jitter=0.0), samples)
    noisy = augment(samples, rng, **still, jitter=0.02)
    sigma = float(np.std(noisy - samples))
    assert sigma == pytest.approx(0.02 * float(eye_centre_distance(samples[0, 0])), rel=0.1)
