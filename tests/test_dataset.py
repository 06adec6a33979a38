"""The custom-dataset API: resampling, the drop rule, synthetic neutrals, /dataset round trip, torch access."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from helpers import make_track

from landmarkset import OptionError, StoreError, TrackWriter, open_tracks
from landmarkset.datasets import DatasetBuilder, read_dataset, resample_indices, write_dataset


def sequence(n, seed=0):
    return np.random.default_rng(seed).random((n, 68, 2)).astype(np.float32)


@pytest.mark.parametrize(
    ("n", "frames", "expected"),
    [
        (20, 20, list(range(20))),
        (39, 20, [round(i * 38 / 19) for i in range(20)]),
        (5, 8, [0, 1, 1, 2, 2, 3, 3, 4]),
        (1, 3, [0, 0, 0]),
    ],
)
def test_resample_indices_keep_first_and_last(n, frames, expected):
    indices = resample_indices(n, frames)
    assert indices.tolist() == expected
    assert indices[0] == 0 and indices[-1] == n - 1


def test_drop_rule_and_class_selection_are_recorded():
    builder = DatasetBuilder(frames=20, min_frames=10, classes=["anger", "happy"])
    assert builder.add_sequence("long", sequence(12), label="happy", subject="S1")
    assert not builder.add_sequence("short", sequence(9), label="happy", subject="S1")
    assert not builder.add_sequence("scorn", sequence(15), label="contempt", subject="S2")
    assert builder.dropped == [
        ("short", "9 frames, fewer than min_frames=10"),
        ("scorn", "class 'contempt' not selected"),
    ]
    dataset = builder.build()
    assert dataset.X.shape == (1, 20, 68, 2) and dataset.classes == ["anger", "happy"] and dataset.y.tolist() == [1]


def test_frames_without_a_face_take_the_nearest_frame_with_one():
    landmarks = sequence(10)
    valid = np.ones(10, bool)
    valid[[3, 4, 9]] = False
    builder = DatasetBuilder(frames=10, min_frames=5)
    builder.add_sequence(
        "gappy", landmarks, label="happy", subject="S1", valid=valid, frame_numbers=np.arange(100, 110)
    )
    dataset = builder.build()
    assert dataset.source_frames[0].tolist() == [100, 101, 102, 102, 105, 105, 106, 107, 108, 108]
    np.testing.assert_array_equal(dataset.X[0, 3], landmarks[2])
    assert np.isfinite(dataset.X).all()


def test_neutral_samples_follow_the_seed_and_keep_their_subject():
    def build(seed):
        builder = DatasetBuilder(frames=20, min_frames=10)
        for i in range(8):
            builder.add_sequence(
                f"s{i}", sequence(15, seed=i), label="happy" if i % 2 else "anger", subject=f"S{i // 2}"
            )
        sources = builder.add_neutral(3, seed=seed)
        return sources, builder.build()

    sources, dataset = build(seed=0)
    assert sources == build(seed=0)[0] and len(set(sources)) == 3
    assert sources != build(seed=1)[0]
    assert dataset.classes == ["neutral", "anger", "happy"]
    assert dataset.counts() == {"neutral": 3, "anger": 4, "happy": 4}
    neutral = np.flatnonzero(dataset.synthetic)
    assert len(neutral) == 3 and (dataset.y[neutral] == 0).all()
    for index, source in zip(neutral, sources):
        original = dataset.sequence.index(source)
        assert dataset.subject[index] == dataset.subject[original]
        np.testing.assert_array_equal(dataset.X[index], np.repeat(dataset.X[original][:1], 20, axis=0))
        assert (dataset.source_frames[index] == dataset.source_frames[original][0]).all()
    builder = DatasetBuilder(frames=20, min_frames=10)
    builder.add_sequence("only", sequence(15), label="happy", subject="S1")
    with pytest.raises(OptionError, match="only 1 sequences"):
        builder.add_neutral(2)


def test_tracks_from_a_store_and_the_dataset_group_round_trip(tmp_path):
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a", n=12, seed=1))
        writer.write(make_track("b", n=30, seed=2))
    builder = DatasetBuilder(frames=20, min_frames=10)
    with open_tracks(path) as tracks:
        for track in tracks:
            builder.add_track(track)  # label "happy", subject "S005" from the track
    dataset = builder.build(backend="dlib")
    write_dataset(path, dataset)
    back = read_dataset(path)
    np.testing.assert_array_equal(back.X, dataset.X)
    assert back.y.tolist() == dataset.y.tolist() and back.classes == ["happy"]
    assert back.sequence == ["a", "b"] and back.subject == ["S005", "S005"]
    assert back.attrs["frames"] == 20 and back.attrs["resampling"] == "even-nearest" and back.attrs["backend"] == "dlib"
    with open_tracks(path) as tracks:  # the tracks are untouched beside /dataset
        assert tracks.ids() == ["a", "b"]
    assert dataset.counts_table().splitlines()[-1].split() == ["total", "2", "0"]


def test_newer_dataset_is_refused(tmp_path):
    path = str(tmp_path / "d.h5")
    builder = DatasetBuilder(frames=4, min_frames=2)
    builder.add_sequence("x", sequence(5), label="happy", subject="S1")
    with pytest.warns(UserWarning, match="no track in the file"):
        write_dataset(path, builder.build())
    with h5py.File(path, "a") as file:
        file["dataset"].attrs["encoding-version"] = "2.0.0"
    with pytest.raises(StoreError, match="update landmarkset"):
        read_dataset(path)


def test_torch_dataset_reads_lazily(tmp_path):
    import torch
    from torch.utils.data import DataLoader

    from landmarkset.datasets.torchdata import LandmarkDataset

    path = str(tmp_path / "d.h5")
    builder = DatasetBuilder(frames=20, min_frames=10)
    for i in range(6):
        builder.add_sequence(f"s{i}", sequence(15, seed=i), label=["anger", "happy"][i % 2], subject=f"S{i}")
    with pytest.warns(UserWarning, match="no track in the file"):
        write_dataset(path, builder.build())
    data = LandmarkDataset(path)
    assert len(data) == 6 and data.classes == ["anger", "happy"] and data._file is None
    x, y = data[3]
    assert x.shape == (20, 68, 2) and x.dtype == torch.float32 and y == 1
    batches = list(DataLoader(data, batch_size=4, num_workers=2))
    assert [b[0].shape[0] for b in batches] == [4, 2]
    np.testing.assert_array_equal(batches[0][0][3].numpy(), x.numpy())
