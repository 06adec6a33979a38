"""face-alignment backend, integration only: the real FAN architecture with seeded random weights.

The published weights cannot be downloaded on our machines, so nothing here says anything about
accuracy. What is tested: weights are found offline and checked before any input is opened, the
missing-weights message, our face boxes framing the network's input, the coordinate frame, no-face
frames and batching.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from helpers import write_video

from landmarkset import WeightsError, extract, get_extractor, open_tracks
from landmarkset.extractors._face_alignment import FAN_2D, FaceAlignmentExtractor
from landmarkset.extractors._weights import WEIGHTS_ENV


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory) -> str:
    from face_alignment.models import FAN

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    torch.save(FAN(4).state_dict(), folder / FAN_2D.name)
    return str(folder)


@pytest.fixture(autouse=True)
def isolated_caches(tmp_path, monkeypatch):
    # Never find (or write) weights in the user's real torch hub cache.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)


def fan(weights_dir, **options):
    return get_extractor(
        "face-alignment", weights_dir=weights_dir, check_hash=False, download=False, flip_input=False, **options
    )


def test_missing_weights_are_reported_before_any_input_is_opened(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WeightsError) as caught:
        extract(
            [str(tmp_path / "not-even-there.mp4")],
            str(tmp_path / "t.h5"),
            backend="face-alignment",
            options={"weights_dir": str(empty), "download": False},
        )
    message = str(caught.value)
    assert FAN_2D.name in message and FAN_2D.url in message
    assert str(empty) in message and os.path.join(str(tmp_path / "torch-home"), "hub", "checkpoints") in message
    assert WEIGHTS_ENV in message
    assert not os.path.exists(tmp_path / "t.h5")


def test_sfd_detector_needs_its_own_weights(weights_dir):
    with pytest.raises(WeightsError, match=r"s3fd-619a316812\.pth \(SFD face detector"):
        get_extractor("face-alignment", weights_dir=weights_dir, download=False, check_hash=False, detector="sfd")


def test_weights_are_found_through_the_environment_and_hash_checked(weights_dir, monkeypatch):
    monkeypatch.setenv(WEIGHTS_ENV, weights_dir)
    with pytest.raises(WeightsError, match=r"does not match the published 2DFAN4-11f355bf06.pth.tar .*11f355bf06"):
        get_extractor("face-alignment", download=False)  # random weights are not the published file
    assert get_extractor("face-alignment", download=False, check_hash=False).options["check_hash"] is False


def test_device_is_validated(weights_dir):
    with pytest.raises(ValueError, match=r"'device' option .* Got 'gpu0'"):
        fan(weights_dir, device="gpu0")
    if not torch.cuda.is_available():
        extractor = fan(weights_dir, device="cuda")
        with pytest.raises(ValueError, match="asks for CUDA"):
            extractor.process(np.zeros((64, 64, 3), np.uint8))


def _capture_network_inputs(extractor):
    seen = []
    extractor.process(np.zeros((32, 32, 3), np.uint8))  # loads the network
    extractor._network.register_forward_hook(lambda module, args, output: seen.append(args[0].clone()))
    return seen


@pytest.mark.slow
def test_our_face_box_frames_the_network_input(weights_dir, carphone_frames):
    from face_alignment.utils import crop

    extractor = fan(weights_dir)
    seen = _capture_network_inputs(extractor)
    frame = carphone_frames[0]
    result = extractor.process(frame)
    assert result.face_found and result.landmarks.shape == (68, 2)
    expected = crop(frame, *FaceAlignmentExtractor.crop_frame(result.box)).transpose(2, 0, 1) / 255.0
    assert len(seen) == 1 and seen[0].shape == (1, 3, 256, 256)
    np.testing.assert_allclose(seen[0][0].numpy(), expected, atol=1e-6)


@pytest.mark.slow
def test_coordinate_frame_maps_heatmap_peaks_to_image_pixels(weights_dir, carphone_frames):
    # Re-derive each point from the network's own heatmaps: the peak of a 64 x 64 heatmap covers
    # 1/64 of the crop, and the crop covers 200 * scale image pixels around the centre.
    extractor = fan(weights_dir)
    extractor.process(np.zeros((32, 32, 3), np.uint8))
    heatmaps = []
    extractor._network.register_forward_hook(lambda module, args, output: heatmaps.append(output[-1].numpy()))
    result = extractor.process(carphone_frames[0])
    (maps,) = heatmaps
    centre, scale = FaceAlignmentExtractor.crop_frame(result.box)
    peaks = maps[0].reshape(68, -1).argmax(axis=1)
    peak_xy = np.stack([peaks % 64, peaks // 64], axis=1) + 0.5
    expected = centre + (peak_xy / 64 - 0.5) * 200 * scale
    cell = 200 * scale / 64
    assert np.all(np.abs(result.landmarks - expected) <= cell), np.abs(result.landmarks - expected).max() / cell
    assert len(np.unique(peaks)) > 10  # random weights still put the peaks in many places: x and y are tested


@pytest.mark.slow
def test_frames_are_batched_and_match_one_by_one(weights_dir, carphone_frames):
    frames = [*carphone_frames[:5], np.zeros_like(carphone_frames[0]), *carphone_frames[5:7]]
    batched = fan(weights_dir, batch_size=4)
    seen = _capture_network_inputs(batched)
    together = batched.process_batch(frames)
    assert [len(batch) for batch in seen] == [4, 3]  # 7 faces, one frame without
    single = fan(weights_dir)
    one_by_one = [single.process(frame) for frame in frames]
    assert [r.face_found for r in together] == [r.face_found for r in one_by_one] == [True] * 5 + [False] + [True] * 2
    for a, b in zip(together, one_by_one):
        np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-3)


@pytest.mark.slow
def test_extract_with_face_alignment(weights_dir, carphone_frames, tmp_path):
    frames = carphone_frames[:6] + [np.zeros_like(carphone_frames[0])] * 2 + carphone_frames[6:10]
    video = write_video(str(tmp_path / "clip.avi"), frames)
    options = {"weights_dir": weights_dir, "check_hash": False, "download": False, "batch_size": 3}
    report = extract(video, str(tmp_path / "t.h5"), backend="face-alignment", options=options, progress=False)
    assert report.ok
    with open_tracks(str(tmp_path / "t.h5")) as store:
        track = store["clip"]
    assert track.n_frames == 12 and track.backend == "face-alignment"
    assert list(track.valid) == [True] * 6 + [False] * 2 + [True] * 4
    assert np.isnan(track.landmarks[6:8]).all()
    assert track.backend_options["batch_size"] == 3
    # Each point's confidence is its heatmap's peak; the frame's confidence is their mean.
    peaks = track.point_confidence
    assert peaks.shape == (12, 68) and np.isnan(peaks[6:8]).all() and np.isfinite(peaks[track.valid]).all()
    np.testing.assert_allclose(peaks[track.valid].mean(axis=1), track.confidence[track.valid], rtol=1e-5)


def test_a_weights_folder_that_cannot_be_searched_is_named(tmp_path, monkeypatch):
    a_file = tmp_path / "weights.txt"
    a_file.write_text("not a folder")
    monkeypatch.setenv(WEIGHTS_ENV, str(a_file))
    options = {"weights_dir": str(tmp_path / "typo"), "download": False}
    with pytest.raises(WeightsError) as caught:
        get_extractor("face-alignment", **options)
    message = str(caught.value)
    assert f"Could not search: {tmp_path / 'typo'} does not exist; {a_file} is not a folder." in message
