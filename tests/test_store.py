"""Track store: round trip, version refusal, resume and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from helpers import make_track

from landmarkset import StoreError, TrackWriter, open_tracks


def test_round_trip_keeps_every_field(tmp_path):
    path = str(tmp_path / "t.h5")
    originals = [make_track("b", seed=1), make_track("a", n=7, seed=2, names=True)]
    with TrackWriter(path) as writer:
        for track in originals:
            writer.write(track)
    with open_tracks(path) as store:
        assert store.ids() == ["a", "b"]
        assert store.attrs["encoding-type"] == "landmarkset-tracks"
        assert store.attrs["encoding-version"] == "1.1.0"
        for original in originals:
            loaded = store[original.id]
            for name in ("landmarks", "valid", "confidence", "frame_index", "timestamp", "box", "faces_detected"):
                np.testing.assert_array_equal(getattr(loaded, name), getattr(original, name))
                assert getattr(loaded, name).dtype == getattr(original, name).dtype
            for name in (
                "width",
                "height",
                "source",
                "fps",
                "backend",
                "backend_version",
                "backend_options",
                "subject",
                "label",
                "frame_names",
                "selection",
                "source_fingerprint",
                "frames_promised",
            ):
                assert getattr(loaded, name) == getattr(original, name)
            assert loaded.provenance == original.provenance
    assert sorted(os.listdir(tmp_path)) == ["t.h5"]  # no working copies or lock files left behind


def test_dtypes_follow_the_spec(tmp_path):
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a", names=True))
    with h5py.File(path) as file:
        group = file["sequences/a"]
        assert group["landmarks"].dtype == np.float32 and group["landmarks"].shape == (5, 68, 2)
        assert group["valid"].dtype == bool
        assert group["confidence"].dtype == np.float32
        assert group["frame_index"].dtype == np.int32
        assert group["timestamp"].dtype == np.float64
        assert group.attrs["encoding-type"] == "landmark-track"


def test_newer_format_is_refused_with_update_message(tmp_path):
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a"))
    with h5py.File(path, "a") as file:
        file.attrs["encoding-version"] = "2.0.0"
    with pytest.raises(StoreError, match=r"format 2\.0\.0, newer .* update landmarkset"):
        open_tracks(path)
    with pytest.raises(StoreError, match="update landmarkset"):
        TrackWriter(path)


def test_newer_sequence_element_is_refused(tmp_path):
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a"))
    with h5py.File(path, "a") as file:
        file["sequences/a"].attrs["encoding-version"] = "3.1.0"
    with open_tracks(path) as store, pytest.raises(StoreError, match=r"/sequences/a uses landmark-track format 3\.1"):
        store["a"]


def test_foreign_and_damaged_files_are_refused(tmp_path):
    foreign = str(tmp_path / "foreign.h5")
    with h5py.File(foreign, "w") as file:
        file.create_dataset("x", data=[1])
    with pytest.raises(StoreError, match="not a landmarkset element"):
        open_tracks(foreign)
    text = tmp_path / "text.h5"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not an HDF5 file"):
        open_tracks(str(text))
    with pytest.raises(StoreError, match="no such file"):
        open_tracks(str(tmp_path / "absent.h5"))


def test_writer_resumes_and_refuses_duplicates(tmp_path):
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a"))
    with TrackWriter(path) as writer:
        assert writer.ids() == {"a"}
        with pytest.raises(StoreError, match="already holds sequence 'a'"):
            writer.write(make_track("a"))
        writer.write(make_track("b"))
    with open_tracks(path) as store:
        assert store.ids() == ["a", "b"]


def test_readers_holding_the_file_open_do_not_block_or_see_changes(tmp_path):
    # A notebook or `landmarkset info` may hold the published file open while extraction goes on.
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a"))
        with open_tracks(path) as reader:
            writer.write(make_track("b"))
            writer.write(make_track("c"))
            assert reader.ids() == ["a"]  # the version it opened, intact
            assert reader["a"].n_frames == 5
    with open_tracks(path) as store:
        assert store.ids() == ["a", "b", "c"]


_WRITER_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from helpers import make_track
from landmarkset import TrackWriter
writer = TrackWriter({path!r})
for i in range(10_000):
    track_id = f"s{{i:05d}}"
    if track_id not in writer.ids():
        writer.write(make_track(track_id, n=50, seed=i))
"""


def _wait_for_sequences(process: subprocess.Popen, path: str, count: int, timeout: float = 60.0) -> None:
    """Poll the published store (readable while the writer works) until it holds ``count`` sequences."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the writer exited on its own with code {process.returncode}")
        if os.path.exists(path):
            with open_tracks(path) as store:
                if len(store) >= count:
                    return
        time.sleep(0.01)
    raise AssertionError(f"{path} never reached {count} sequences")


@pytest.mark.slow
@pytest.mark.parametrize("extra_delay", [0.0, 0.003, 0.011, 0.029, 0.047])
def test_kill_at_any_moment_leaves_a_readable_store_that_resumes(tmp_path, extra_delay):
    path = str(tmp_path / "t.h5")
    script = _WRITER_SCRIPT.format(tests=os.path.dirname(__file__), path=path)
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        _wait_for_sequences(process, path, 3)
        time.sleep(extra_delay)  # land the kill at different points of a commit
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with open_tracks(path) as store:
        ids = store.ids()
        for track_id in ids:  # every committed sequence reads back whole
            assert store[track_id].n_frames == 50
    assert len(ids) >= 3
    assert ids == [f"s{i:05d}" for i in range(len(ids))]
    with TrackWriter(path):  # reopening folds in the dead run's journal and clears its working copies
        pass
    assert sorted(os.listdir(tmp_path)) == ["t.h5"]  # the lock removes its file when it lets go
    with open_tracks(path) as store:
        recovered = store.ids()
        assert all(store[track_id].n_frames == 50 for track_id in recovered)
    # Every track the dead run finished is kept, published or journalled, in order and whole.
    assert recovered[: len(ids)] == ids and recovered == [f"s{i:05d}" for i in range(len(recovered))]
    with TrackWriter(path) as writer:
        assert writer.ids() == set(recovered)
        writer.write(make_track("after-resume"))
    with open_tracks(path) as store:
        assert len(store) == len(recovered) + 1


def test_tracks_are_journalled_and_published_in_groups(tmp_path, monkeypatch):
    from landmarkset.io import writer as writer_module

    monkeypatch.setattr(writer_module, "PUBLISH_EVERY", 3600.0)  # only the first track, reads and the end publish
    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a"))
        writer.write(make_track("b"))
        writer.write(make_track("c"))
        with open_tracks(path) as store:
            assert store.ids() == ["a"]  # b and c wait in the journal, each a complete file
        assert len(os.listdir(tmp_path / ".t.h5.journal")) == 2
        assert writer.read("c").n_frames == 5  # reading back publishes first
        with open_tracks(path) as store:
            assert store.ids() == ["a", "b", "c"]
        writer.write(make_track("d"))
    with open_tracks(path) as store:
        assert store.ids() == ["a", "b", "c", "d"]  # the end publishes
    assert sorted(os.listdir(tmp_path)) == ["t.h5"]


def test_frozen_files_of_released_versions_still_read():
    # One small file per released format version, written by that version and never regenerated.
    path = os.path.join(os.path.dirname(__file__), "data", "tracks-1.0.0.h5")
    with open_tracks(path) as store:
        assert store.attrs["encoding-version"] == "1.0.0"
        assert store.ids() == ["clip", "S005__001"]
        expected = make_track("S005__001", n=4, seed=7, names=True)
        loaded = store["S005__001"]
        np.testing.assert_array_equal(loaded.landmarks, expected.landmarks)
        assert loaded.frame_names == ["f0.png", "f1.png", "f2.png", "f3.png"]
        assert list(loaded.valid) == [True, True, False, True]
        assert store["clip"].n_frames == 3 and store["clip"].frame_names is None


def test_frozen_1_1_0_file_reads_with_provenance_dataset_and_crops():
    from landmarkset import read_dataset
    from landmarkset.io import read_crops

    path = os.path.join(os.path.dirname(__file__), "data", "tracks-1.1.0.h5")
    with open_tracks(path) as store:
        assert store.attrs["encoding-version"] == "1.1.0" and store.ids() == ["clip", "S005__001"]
        clip, sequence = store["clip"], store["S005__001"]
    assert (clip.selection, clip.frames_promised, clip.n_frames) == ("all", 6, 4)
    assert clip.extras == {} and clip.point_confidence is None  # extras came with 1.2.0
    assert clip.source_fingerprint["digest"] == "0123456789abcdef0123"
    assert sequence.provenance.selection == (10, 11, 12, 13) and sequence.frame_names[0] == "S005_001_00000011.png"
    dataset = read_dataset(path)
    assert dataset.sequence == ["S005__001", "S005__001__neutral"] and dataset.source_frames[0].tolist() == [10, 12, 13]
    assert (
        dataset.intervals[0].tolist() == [11, 12, 14]
        and dataset.attrs["settings"] == '{"layout": "frozen", "span": "onset-offset"}'
    )
    assert read_crops(path).shape == (2, 3, 4, 4)


def test_frozen_1_2_0_file_reads_with_its_extras():
    from test_labelled import rich_track

    path = os.path.join(os.path.dirname(__file__), "data", "tracks-1.2.0.h5")
    with open_tracks(path) as store:
        assert store.ids() == ["clip", "S005__001"] and store.attrs["landmarkset_version"] == "0.4.0"
        clip, sequence = store["clip"], store["S005__001"]
    assert clip.extras == {}
    expected = rich_track("S005__001", n=4, seed=7)
    assert sorted(sequence.extras) == ["blendshapes", "gaze", "head_pose", "point_confidence"]
    for name, values in expected.extras.items():
        np.testing.assert_array_equal(sequence.extras[name], values)
    gaze = sequence.extra_specs["gaze"]  # a plug-in's extra, rebuilt from the file alone
    assert (gaze.labels, gaze.unit, gaze.shape) == (("x", "y"), "rad", (2,))


def test_a_1_0_0_store_is_appended_to_but_its_tracks_are_never_reused_blindly(tmp_path):
    import shutil

    from landmarkset import Provenance

    path = str(tmp_path / "old.h5")
    shutil.copy(os.path.join(os.path.dirname(__file__), "data", "tracks-1.0.0.h5"), path)
    with TrackWriter(path) as writer:
        stored = writer.provenance("clip")
        assert stored.source is None  # 1.0.0 recorded no fingerprint
        asked = Provenance(stored.backend, stored.backend_version, stored.backend_options, "all", {"path": "clip.mp4"})
        assert asked.setting_differences(stored) is None
        assert "stored without a source fingerprint" in asked.sequence_differences(stored)
        writer.write(make_track("new"))
    with open_tracks(path) as store:
        assert store.attrs["encoding-version"] == "1.1.0" and store.ids() == ["clip", "new", "S005__001"]
        assert store["clip"].n_frames == 3  # the old tracks are untouched
