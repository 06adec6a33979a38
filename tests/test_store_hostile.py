"""The store against hostile states: links to it, private modes, damaged journals, interrupted overwrites."""

from __future__ import annotations

import dataclasses
import os
import stat

import h5py
import pytest
from helpers import make_track

from landmarkset import StoreError, TrackWriter, open_tracks
from landmarkset.errors import StoreBusyError


def _store(path: str, *ids: str) -> None:
    with TrackWriter(path) as writer:
        for track_id in ids:
            writer.write(make_track(track_id))


def _die_after_journalling(path: str, track, overwrite: bool = False) -> None:
    """A writer killed after journalling ``track`` and before publishing it (what kill -9 leaves)."""
    writer = TrackWriter(path, overwrite=overwrite)
    writer.publish = lambda: None  # the publication never happens
    writer.write(track)
    writer._work_file.close()
    writer._lock.release()


def test_a_link_to_a_store_is_that_store(tmp_path):
    (tmp_path / "real").mkdir()
    real, link = str(tmp_path / "real" / "t.h5"), str(tmp_path / "t.h5")
    _store(real, "a")
    os.symlink(real, link)
    with TrackWriter(link) as writer:
        writer.write(make_track("b"))
        with pytest.raises(StoreBusyError):  # the real name and the link share one lock
            TrackWriter(real)
    assert os.path.islink(link)  # publication replaced the real file, not the link
    with open_tracks(real) as store:
        assert store.ids() == ["a", "b"]
    assert sorted(os.listdir(tmp_path)) == ["real", "t.h5"]  # no working file beside the link


@pytest.mark.parametrize("mode", [0o600, 0o444])
def test_an_append_keeps_the_store_mode(tmp_path, mode):
    path = str(tmp_path / "t.h5")
    _store(path, "a")
    os.chmod(path, mode)
    _store(path, "b")
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    with open_tracks(path) as store:
        assert store.ids() == ["a", "b"]


def test_damaged_journal_entries_are_moved_aside_and_never_block_the_store(tmp_path):
    path = str(tmp_path / "t.h5")
    _store(path, "a")
    _die_after_journalling(path, make_track("b"))
    journal = tmp_path / ".t.h5.journal"
    good = journal / "00000000.h5"
    (journal / "00000001.h5").write_bytes(b"junk " * 100)
    (journal / "00000002.h5").write_bytes(good.read_bytes()[:900])  # truncated
    with h5py.File(journal / "00000003.h5", "w"):  # an empty HDF5 file
        pass
    (journal / "notes.txt").write_text("mine")
    (journal / "sub").mkdir()
    with pytest.warns(UserWarning) as caught:
        with TrackWriter(path) as writer:
            assert writer.ids() == {"a", "b"}  # the good entry is folded in
            writer.write(make_track("c"))
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 5
    for name in ("00000001.h5", "00000002.h5", "00000003.h5", "notes.txt", "sub"):
        assert sum(name in message for message in messages) == 1
    assert any("00000003.h5 in its journal was not folded in (not a landmarkset element" in m for m in messages)
    assert any("00000002.h5 in its journal was not folded in (damaged: " in m for m in messages)
    with open_tracks(path) as store:
        assert store.ids() == ["a", "b", "c"]
    rejected = tmp_path / ".t.h5.rejected"
    assert sorted(os.listdir(rejected)) == ["00000001.h5", "00000002.h5", "00000003.h5", "notes.txt", "sub"]
    assert (rejected / "notes.txt").read_text() == "mine"  # kept, never deleted
    assert not journal.exists()


def test_a_journal_entry_of_another_backend_is_not_folded_in(tmp_path):
    path = str(tmp_path / "t.h5")
    _store(path, "a")
    other = dataclasses.replace(make_track("b"), backend="mediapipe", backend_version="0.10")
    _die_after_journalling(path, other)
    with pytest.warns(UserWarning, match="mediapipe"):
        with TrackWriter(path) as writer:
            assert writer.ids() == {"a"}
    with open_tracks(path) as store:
        assert store.ids() == ["a"]  # still one backend: the store stays readable
    assert os.listdir(tmp_path / ".t.h5.rejected") == ["00000000.h5"]


def test_an_interrupted_overwrite_is_finished_by_overwrite_and_refused_otherwise(tmp_path):
    path = str(tmp_path / "t.h5")
    _store(path, "a")
    new = dataclasses.replace(make_track("b"), backend="mediapipe", backend_version="0.10")
    _die_after_journalling(path, new, overwrite=True)
    with pytest.raises(StoreError, match="interrupted --overwrite"):
        TrackWriter(path)
    with open_tracks(path) as store:
        assert store.ids() == ["a"]  # the refusal changed nothing
    with TrackWriter(path, overwrite=True) as writer:
        writer.write(new)
    with open_tracks(path) as store:
        assert store.ids() == ["b"] and store["b"].backend == "mediapipe"
    _store(path, "c")  # after the overwrite has published, appending is plain again
    with open_tracks(path) as store:
        assert store.ids() == ["b", "c"]


def test_info_counts_the_journal_and_a_writing_command_warns_in_one_line(tmp_path):
    from click.testing import CliRunner
    from landmarkset.cli.main import main

    path = str(tmp_path / "t.h5")
    _store(path, "a")
    _die_after_journalling(path, make_track("b"))
    (tmp_path / ".t.h5.journal" / "00000007.h5").write_bytes(b"junk")
    result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 0, result.output
    assert "1 sequences" in result.output and "2 more sequence(s) of an interrupted run" in result.output
    csvs = tmp_path / "csv"
    assert CliRunner().invoke(main, ["export", path, "-o", str(csvs), "-f", "openface"]).exit_code == 0
    imported = str(tmp_path / "openface.h5")
    command = ["import-openface", str(csvs / "a.csv"), "-o", imported, "--size", "640x490"]
    assert CliRunner().invoke(main, command).exit_code == 0
    (tmp_path / ".openface.h5.journal").mkdir()
    (tmp_path / ".openface.h5.journal" / "00000007.h5").write_bytes(b"junk")
    result = CliRunner().invoke(main, command)  # a rerun: nothing new
    assert result.exit_code == 0, result.output
    warning = [line for line in result.output.splitlines() if line.startswith("Warning: ")]
    assert len(warning) == 1 and "00000007.h5 in its journal was not folded in (damaged: " in warning[0]


def test_a_store_held_open_for_writing_elsewhere_is_called_so(tmp_path):
    import subprocess
    import sys

    path = str(tmp_path / "t.h5")
    _store(path, "a")
    script = f"import h5py, sys; f = h5py.File({path!r}, 'a'); print('open', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="another program holds this file open for writing"):
            open_tracks(path)
    finally:
        holder.communicate("")


def test_a_store_with_flipped_bytes_is_refused_in_one_line_or_read(tmp_path):
    import random

    from landmarkset.openface import export_table

    path = str(tmp_path / "t.h5")
    with TrackWriter(path) as writer:
        for number in range(4):
            writer.write(make_track(f"s{number}", n=50, seed=number))
    original = open(path, "rb").read()
    rng, refused = random.Random(1), 0
    for trial in range(30):
        data = bytearray(original)
        for _ in range(8):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        damaged = tmp_path / f"d{trial}.h5"
        damaged.write_bytes(bytes(data))
        try:
            with open_tracks(str(damaged)) as store:
                for track in store:
                    assert track.n_frames == 50
            export_table(str(damaged), str(tmp_path / f"d{trial}.csv"))
        except StoreError as error:  # never a RuntimeError, KeyError or OSError from h5py
            assert str(damaged) in str(error) and "\n" not in str(error)
            refused += 1
    assert refused >= 10  # checksums (fletcher32) catch flips in the landmarks too, not only in the metadata


def test_checkpoints_join_chunks_that_follow_on_and_drop_stale_ones(tmp_path):
    import numpy as np

    from landmarkset.extraction.checkpoint import Checkpoints
    from landmarkset.provenance import Provenance

    ours, other = Provenance("dlib", "20.0", {}), Provenance("mediapipe", "0.10", {})
    chunk = {"valid": np.ones(64, bool), "timestamp": np.arange(64.0), "unreadable": np.array(1)}
    saved = Checkpoints(str(tmp_path / "partial"))
    saved.save("v", ours, 0, chunk)
    saved.save("v", ours, 64, chunk)
    saved.save("v", other, 128, chunk)  # a run of another setting, killed later
    saved.save("v", ours, 256, chunk)  # after a gap
    joined = saved.load("v", ours)
    assert len(joined["valid"]) == 128 and joined["timestamp"][64] == 0.0 and int(joined["unreadable"]) == 1
    assert len(os.listdir(tmp_path / "partial")) == 2  # the stale chunks went
    assert saved.load("v", other) is None and not os.listdir(tmp_path / "partial")
    saved.clear("v")
    assert not (tmp_path / "partial").exists()
