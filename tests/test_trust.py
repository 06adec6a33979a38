"""Datasets are never silently wrong: each case a new user or a hostile input hit on 0.1 (issue 12).

Inputs are never skipped silently, resume never mixes settings, cells and file contents are data, one
writer at a time, user mistakes are one line, and the Python API refuses what it cannot do right.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from helpers import make_track, wait_for_tracks, write_images, write_video
from landmarkset.cli.main import main

from landmarkset import (
    DatasetBuilder,
    OptionError,
    ProvenanceError,
    StoreBusyError,
    Track,
    TrackWriter,
    extract,
    import_openface,
    open_tracks,
    read_dataset,
    write_dataset,
)
from landmarkset.synth import synth_samm

CLI = [sys.executable, "-m", "landmarkset.cli.main"]


def run(*args: str):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def one_error_line(result) -> str:
    """The single 'Error: ...' line that ends a refused command (exit 2)."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert errors == lines[-1:] and "Traceback" not in result.output, result.output
    return lines[-1]


# ---- no input skipped silently -------------------------------------------------------------------


def test_a_folder_with_videos_and_a_photo_extracts_the_videos_and_names_the_photo(tmp_path, carphone_frames):
    data = tmp_path / "data"
    write_video(str(data / "a.avi"), carphone_frames[:4])
    write_video(str(data / "b.avi"), carphone_frames[4:8])
    write_images(str(data), carphone_frames[8:9], pattern="photo{}.png")
    write_images(str(data / "frames"), carphone_frames[9:12])  # a folder of images below: one sequence
    out = tmp_path / "t.h5"
    result = run("extract", data, "-o", out, "-b", "dlib", "-q")
    assert result.exit_code == 0, result.output
    with open_tracks(str(out)) as store:
        assert store.ids() == ["a", "b", "frames"]
    assert f"ignored 1 file(s): {data / 'photo1.png'}: an image beside videos" in result.output
    assert result.output.strip().endswith("3 input sequence(s): 3 extracted, 0 already done, 0 failed")


_LOOPS = """
import sys, time
from landmarkset import discover_sources
started = time.monotonic()
found = discover_sources(sys.argv[1:])
print(sorted(s.id for s in found.sources), round(time.monotonic() - started, 1))
"""


def test_symbolic_link_loops_end_for_globs_and_folder_search(tmp_path, carphone_frames):
    root = tmp_path / "clips"
    write_video(str(root / "deep" / "x.avi"), carphone_frames[:2])
    for name in ("up", "again"):  # two loops: 2^40 paths for a walk that follows them blindly
        os.symlink("..", root / "deep" / name)
    os.symlink(root / "deep", tmp_path / "linked")  # a link the user made on purpose is still searched
    for inputs in ([str(root / "**" / "*.avi")], [str(root)], [str(tmp_path / "linked")]):
        done = subprocess.run([sys.executable, "-c", _LOOPS, *inputs], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        ids = eval(done.stdout.rsplit(" ", 1)[0])
        assert len(ids) == 1 and ids[0].endswith("x"), done.stdout


def test_a_video_cut_short_is_recorded_and_named_in_one_warning(tmp_path, carphone_frames):
    whole = write_video(str(tmp_path / "whole.avi"), carphone_frames[:60])
    data = open(whole, "rb").read()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 28 // 60])  # the container still promises 60 frames
    result = run("extract", cut, whole, "-o", tmp_path / "t.h5", "-b", "dlib", "-q")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("WARNING")]
    with open_tracks(str(tmp_path / "t.h5")) as store:
        decoded = store["cut"].n_frames
        assert store["cut"].frames_promised == 60 and 20 <= decoded < 60
        assert store["whole"].frames_promised == 60 and store["whole"].n_frames == 60
    info = run("info", tmp_path / "t.h5", "-s")
    assert "1 video(s) decoded fewer frames than their container promises, e.g. 'cut'" in info.output
    assert f"{decoded} listed" not in info.output and ", 60 promised" in info.output
    assert warnings == [f"WARNING {cut}: decoded {decoded} of the 60 frames its container promises (a damaged or "
                        "cut file?); the track holds the frames that decoded"]  # fmt: skip


# ---- one writer, never lose an input ---------------------------------------------------------------


def test_an_output_that_is_an_input_is_refused_before_anything_is_touched(tmp_path, carphone_frames):
    video = write_video(str(tmp_path / "v.avi"), carphone_frames[:3])
    before = digest(video)
    line = one_error_line(run("extract", video, "-o", video, "-b", "dlib", "--overwrite", "-q"))
    assert line == f"Error: {video} is one of the inputs: choose another output (nothing was changed)"
    assert digest(video) == before


_HOLDER = """
import time
from landmarkset import TrackWriter, discover_sources, get_extractor, track_source
track = track_source(get_extractor("dlib"), discover_sources([{video!r}]).sources[0])
with TrackWriter({path!r}) as writer:
    writer.write(track)
    print("holding", flush=True)
    time.sleep(120)
"""


def test_a_second_writer_stops_at_once_naming_the_first(tmp_path, carphone_frames):
    path = str(tmp_path / "t.h5")
    held = write_video(str(tmp_path / "held.avi"), carphone_frames[:3])
    video = write_video(str(tmp_path / "v.avi"), carphone_frames[3:6])
    script = _HOLDER.format(video=held, path=path)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        second = subprocess.run(
            [*CLI, "extract", video, "-o", path, "-b", "dlib", "-q"], capture_output=True, text=True
        )
        assert time.monotonic() - started < 30  # at once, not after the holder finishes
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr.startswith(
            f"Error: {path} is being written by another landmarkset process (pid {holder.pid}"
        )
        assert second.stderr.strip().endswith("wait for it to finish, or write to another output")
        assert second.stderr.count("\n") == 1
        with open_tracks(path) as store:  # readers are never blocked
            assert store.ids() == ["held"]
        with pytest.raises(StoreBusyError, match=f"pid {holder.pid}"):
            TrackWriter(path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    resumed = subprocess.run([*CLI, "extract", video, "-o", path, "-b", "dlib", "-q"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr  # a killed holder releases the lock with its life
    with open_tracks(path) as store:
        assert store.ids() == ["held", "v"]


def test_runs_that_write_nothing_leave_no_store(tmp_path, carphone_frames):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(5000))
    result = run("extract", corrupt, "-o", tmp_path / "t.h5", "-b", "dlib", "-q")
    assert result.exit_code == 1 and f"FAILED {corrupt}: " in result.output
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("name,score\nx,1\n")
    report = import_openface(str(bad_csv), str(tmp_path / "o.h5"), size=(640, 480))
    assert not report.ok and len(report.failed) == 1
    assert sorted(os.listdir(tmp_path)) == ["bad.csv", "corrupt.mp4"]


def test_overwrite_keeps_the_old_store_until_the_new_one_has_a_track(tmp_path, carphone_frames):
    video = write_video(str(tmp_path / "v.avi"), carphone_frames[:3])
    out = str(tmp_path / "t.h5")
    assert extract([video], out, backend="dlib", progress=False).ok
    before = digest(out)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(5000))
    assert not extract([str(corrupt)], out, backend="dlib", overwrite=True, progress=False).ok
    assert digest(out) == before  # nothing was lost to a run that produced nothing
    notes = tmp_path / "notes.h5"
    notes.write_text("my notes")
    line = one_error_line(run("extract", video, "-o", notes, "-b", "dlib", "--overwrite", "-q"))
    assert line.startswith(f"Error: {notes}: not an HDF5 file") and notes.read_text() == "my notes"


# ---- user mistakes are one line ----------------------------------------------------------------------


def test_ordinary_output_mistakes_are_one_line_with_the_fix(tmp_path, carphone_frames):
    video = write_video(str(tmp_path / "v.avi"), carphone_frames[:3])
    line = one_error_line(run("extract", video, "-o", tmp_path / "no" / "such" / "t.h5", "-b", "dlib", "-q"))
    assert line == f"Error: the folder {tmp_path / 'no' / 'such'} does not exist: create it first (mkdir -p), or " \
        "choose another output"  # fmt: skip
    long_name = "x" * 252 + ".h5"
    line = one_error_line(run("extract", video, "-o", tmp_path / long_name, "-b", "dlib", "-q"))
    assert "is too long" in line and "choose a shorter name" in line
    line = one_error_line(run("extract", video, "-o", tmp_path, "-b", "dlib", "-q"))
    assert line == f"Error: {tmp_path} is a folder: give the store a file name, e.g. {tmp_path / 'tracks.h5'}"


def test_a_read_only_output_folder_is_one_line(carphone_frames):
    # root ignores permission bits: as root, the command runs with the effective uid of "nobody", who may not
    # read a checkout in a private folder, so what the command imports is imported first; the output is
    # checked before any backend is loaded.
    import tempfile

    import landmarkset.extraction  # noqa: F401

    base = tempfile.mkdtemp(prefix="landmarkset-ro-")
    os.chmod(base, 0o755)
    video = write_video(os.path.join(base, "v.avi"), carphone_frames[:3])
    folder = os.path.join(base, "read-only")
    os.makedirs(folder)
    os.chmod(folder, 0o555)
    as_root = os.geteuid() == 0
    try:
        if as_root:
            os.seteuid(65534)
        result = run("extract", video, "-o", os.path.join(folder, "t.h5"), "-b", "dlib", "-q")
    finally:
        if as_root:
            os.seteuid(0)
        shutil.rmtree(base)
    line = one_error_line(result)
    assert line == f"Error: cannot write in {folder} (Permission denied): choose another output folder"


def test_fewer_samples_or_subjects_than_folds_is_one_line(tmp_path):
    builder = DatasetBuilder(frames=4, min_frames=2)
    rng = np.random.default_rng(0)
    for index in range(4):
        builder.add_sequence(f"s{index}", rng.random((5, 68, 2)), label=["a", "b"][index % 2], subject=f"S{index}")
    with pytest.warns(UserWarning, match="no track"):
        write_dataset(str(tmp_path / "d.h5"), builder.build())
    for protocol, folds, fix in (("subject", 6, "Use fewer --folds"), ("subject", 3, "Use fewer --folds"),
                                 ("paper", 6, "build a larger dataset")):  # fmt: skip
        result = run("train-tcn", tmp_path / "d.h5", "-o", tmp_path / protocol, "--protocol", protocol,
                     "--folds", folds, "-q")  # fmt: skip
        assert fix in one_error_line(result)


# ---- resume never mixes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samm_tree(tmp_path_factory) -> tuple[str, str]:
    out = str(tmp_path_factory.mktemp("samm-trust"))
    synth_samm(out, subjects=2, clips_per_subject=3, seed=1, size=(480, 256), progress=False)
    return out, os.path.join(out, "SAMM_Micro_FACS_Codes_v2.xlsx")


def assert_no_sample_mixes_provenance(path: str) -> None:
    """Every sample's frames come from a track made by the dataset's backend, within the dataset's span."""
    dataset = read_dataset(path)
    settings = json.loads(dataset.attrs["settings"])
    with open_tracks(path) as store:
        for index in range(len(dataset)):
            track = store[dataset.source_sequence(index)]
            assert track.backend == settings["landmarks"] or settings["landmarks"] == "provided"
            assert set(dataset.source_frames[index].tolist()) <= set(track.frame_index.tolist())
            if dataset.intervals is not None and not dataset.synthetic[index]:
                onset, apex, offset = dataset.intervals[index]
                end = apex if settings["span"] == "onset-apex" else offset
                assert onset - 1 <= dataset.source_frames[index].min() <= dataset.source_frames[index].max() <= end - 1
                assert track.frame_index.max() <= end - 1  # the track holds no frame of another span


def test_build_samm_rerun_with_other_settings_is_refused_before_writing(samm_tree, tmp_path):
    root, sheet = samm_tree
    out = tmp_path / "s.h5"
    first = run("build-samm", root, "--annotations", sheet, "-o", out, "-b", "dlib", "--min-frames", "5", "-q")
    assert first.exit_code == 0, first.output
    before = digest(out)
    line = one_error_line(
        run("build-samm", root, "--annotations", sheet, "-o", out, "-b", "dlib", "--apex", "--frames", "10", "-q")
    )
    assert "was stored from 20 frames between positions" in line and "this run asks for 10 frames" in line
    assert line.endswith("pass --overwrite to start a new store, or write to another output; nothing was written")
    assert digest(out) == before
    again = run("build-samm", root, "--annotations", sheet, "-o", out, "-b", "dlib", "--min-frames", "5", "-q")
    assert again.exit_code == 0 and "tracks: 0 written, " in again.output  # the same settings: all reused
    changed = run(
        "build-samm", root, "--annotations", sheet, "-o", out, "-b", "dlib", "--apex", "--frames", "10",
        "--min-frames", "5", "--overwrite", "-q",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert json.loads(read_dataset(str(out)).attrs["settings"])["span"] == "onset-apex"
    assert_no_sample_mixes_provenance(str(out))


def test_a_killed_build_rerun_with_changed_settings_never_mixes(samm_tree, tmp_path):
    root, sheet = samm_tree
    out = str(tmp_path / "s.h5")
    command = [*CLI, "build-samm", root, "--annotations", sheet, "-o", out, "-b", "dlib", "--min-frames", "5", "-q"]
    process = subprocess.Popen(command)
    try:
        wait_for_tracks(out)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with open_tracks(out) as store:
        killed_with = len(store)
    changed = subprocess.run([*command, "--apex"], capture_output=True, text=True)
    assert changed.returncode == 2 and "was stored from" in changed.stderr, changed.stderr
    finished = subprocess.run(command, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert killed_with >= 1 and f"{killed_with} already done (kept)" in finished.stdout
    assert_no_sample_mixes_provenance(out)


@pytest.mark.slow
def test_build_ckplus_provided_over_extracted_tracks_is_refused(ck_tree, tmp_path):
    out = tmp_path / "ck.h5"
    first = run("build-ckplus", ck_tree, "-o", out, "-b", "dlib", "--neutral", "2", "-q")
    assert first.exit_code == 0, first.output
    before = digest(out)
    line = one_error_line(run("build-ckplus", ck_tree, "-o", out, "--landmarks", "provided", "-q"))
    assert f"Error: {out} holds tracks made by 'dlib'" in line and "this run uses 'ckplus-landmarks'" in line
    assert digest(out) == before
    assert_no_sample_mixes_provenance(str(out))


def test_a_source_changed_on_disk_is_refused(ck_tree, tmp_path):
    tree = tmp_path / "CK+"
    shutil.copytree(ck_tree, tree)
    out = tmp_path / "ck.h5"
    assert run("build-ckplus", tree, "-o", out, "--landmarks", "provided", "-q").exit_code == 0
    assert run("build-ckplus", tree, "-o", out, "--landmarks", "provided", "-q").exit_code == 0  # unchanged: reused
    frame = sorted((tree / "cohn-kanade-images" / "S010" / "001").iterdir())[3]
    frame.write_bytes(frame.read_bytes() + b"\0")  # one frame edited
    line = one_error_line(run("build-ckplus", tree, "-o", out, "--landmarks", "provided", "-q"))
    assert "sequence 'S010__001' changed on disk since it was stored" in line
    fresh = tmp_path / "fresh.h5"
    assert run("build-ckplus", tree, "-o", fresh, "--landmarks", "provided", "-q").exit_code == 0
    moved = tmp_path / "moved"
    shutil.copytree(tree, moved)  # a copy that keeps the files' times: the same files, under another root
    again = run("build-ckplus", moved, "-o", fresh, "--landmarks", "provided", "-q")
    assert again.exit_code == 0 and "tracks: 0 written" in again.output, again.output


def test_extract_reuses_only_tracks_made_from_the_same_files(tmp_path, carphone_frames):
    video = write_video(str(tmp_path / "v.avi"), carphone_frames[:3])
    out = str(tmp_path / "t.h5")
    extract([video], out, backend="dlib", progress=False)
    assert extract([video], out, backend="dlib", progress=False).skipped == ["v"]
    write_video(video, carphone_frames[3:7])  # the same name, another video
    with pytest.raises(ProvenanceError, match="sequence 'v' changed on disk since it was stored"):
        extract([video], out, backend="dlib", progress=False)


# ---- cells, file names and label files are data ---------------------------------------------------------


def _hostile_sheet(sheet: str, out: str) -> dict[str, int]:
    """A copy of ``sheet`` with hostile rows appended; returns the Excel row of each."""
    book = openpyxl.load_workbook(sheet)
    table = book.active
    header = next(row for row in range(1, table.max_row + 1) if table.cell(row, 1).value == "Subject")
    labelled = next(
        row for row in range(header + 1, table.max_row + 1) if table.cell(row, 10).value not in (None, "Other")
    )
    first = [table.cell(labelled, column).value for column in range(1, 13)]
    rows = {
        "escape": ["../../elsewhere", "006_9_1", *first[2:]],
        "slash": [first[0], "x/../../006_1_1", *first[2:]],
        "infinite": [first[0], "006_9_2", first[2], "inf", *first[4:]],
        "huge": [first[0], "006_9_3", first[2], 1e300, *first[4:]],
        "formula": [first[0], "006_9_4", first[2], "=D15+1", *first[4:]],
        "no frames": [first[0], "006_9_5", *first[2:]],
        "same row twice": list(first),
    }
    numbers = {}
    for name, values in rows.items():
        numbers[name] = table.max_row + 1
        for column, value in enumerate(values, start=1):
            table.cell(numbers[name], column, value=value)
    book.save(out)
    return numbers


def test_sheet_cells_are_data_and_bad_rows_fail_alone(samm_tree, tmp_path):
    root, sheet = samm_tree
    tree = tmp_path / "samm"
    shutil.copytree(root, tree)
    elsewhere = tmp_path / "elsewhere" / "006_9_1"  # a folder of frames outside the root, reachable by ".."
    write_images(str(elsewhere), [np.zeros((256, 480, 3), np.uint8)] * 40, pattern="006_{:05d}.jpg")
    os.makedirs(tree / "SAMM" / "006" / "006_9_5")  # a frame folder without frames
    hostile = str(tmp_path / "hostile.xlsx")
    rows = _hostile_sheet(sheet, hostile)
    out = tmp_path / "s.h5"
    command = ("build-samm", tree, "--annotations", hostile, "-o", out, "-b", "dlib", "--min-frames", "5", "--crops",
               "--crop-size", "16", "-q")  # fmt: skip
    result = run(*command)
    assert result.exit_code == 1 and "Traceback" not in result.output and "bug" not in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert failed == [
        f"FAILED {hostile}: row {rows['escape']} (006_9_1): Subject '../../elsewhere' cannot name a folder: "
        "'../../elsewhere' contains a path separator",
        f"FAILED {hostile}: row {rows['slash']} (x/../../006_1_1): Filename 'x/../../006_1_1' cannot name a folder: "
        "'x/../../006_1_1' contains a path separator",
        f"FAILED {hostile}: row {rows['infinite']} (006_9_2): Onset inf is not a finite number",
        f"FAILED {hostile}: row {rows['huge']} (006_9_3): Onset 1e+300 is out of range (frame numbers up to 10000000)",
        f"FAILED {hostile}: row {rows['formula']} (006_9_4): Onset is a formula ('=D15+1'), not a value: save the "
        "sheet with values",
        f"FAILED {tree / 'SAMM' / '006' / '006_9_5'}: no frames of 006_9_5 (sheet row {rows['no frames']}) found here",
    ]
    assert "dropped 1 sequence(s): duplicate (kept once)" in result.output
    dataset = read_dataset(str(out))
    assert len(dataset.sequence) == len(set(dataset.sequence)) > 0  # the rest is built, each row once
    assert json.loads(dataset.attrs["failed"])[0][1].startswith(f"row {rows['escape']}")
    with open_tracks(str(out)) as store:
        assert all(str(tree) in store[i].source for i in store.ids())  # nothing read from outside the root
    again = run(*command)  # a re-run: the same failures, the same dataset, nothing stored twice
    assert again.exit_code == 1 and [line for line in again.output.splitlines() if line.startswith("FAILED")] == failed
    assert read_dataset(str(out)).sequence == dataset.sequence


def test_ckplus_label_files_that_are_not_labels_fail_alone(ck_tree, tmp_path):
    tree = tmp_path / "CK+"
    shutil.copytree(ck_tree, tree)
    (binary,) = (tree / "Emotion" / "S010" / "001").iterdir()
    binary.write_bytes(b"\x00\xff\xfe\x89PNG" * 8)
    (infinite,) = (tree / "Emotion" / "S010" / "002").iterdir()
    infinite.write_text("   inf\n")
    result = run("build-ckplus", tree, "-o", tmp_path / "ck.h5", "--landmarks", "provided", "--neutral", "2", "-q")
    assert result.exit_code == 1 and "Traceback" not in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert failed == [
        f"FAILED {binary}: not a CK+ emotion file (binary content)",
        f"FAILED {infinite}: emotion code inf is not a CK+ code (one number, 0-7)",
    ]
    assert "dataset written" in result.output


# ---- the Python API refuses what it cannot do right ---------------------------------------------------


def _track(n: int = 100, label: str = "happy") -> Track:
    track = make_track("clip", n=n)
    track.label = label
    track.valid[:] = True
    track.landmarks[:] = np.random.default_rng(1).random((n, 68, 2))
    return track


def test_an_interval_selects_the_span_it_names():
    builder = DatasetBuilder(frames=5, min_frames=3)
    builder.add_track(_track(), sequence="apex", interval=(11, 31, 61), span="onset-apex")
    builder.add_track(_track(), sequence="offset", interval=(11, 31, 61))
    dataset = builder.build()
    assert dataset.source_frames.tolist() == [[10, 15, 20, 25, 30], [10, 22, 35, 48, 60]]
    assert dataset.intervals.tolist() == [[11, 31, 61], [11, 31, 61]]
    with pytest.raises(OptionError, match="onset <= apex <= offset"):
        builder.add_track(_track(), sequence="bad", interval=(30, 20, 61))


def test_the_builder_refuses_what_would_make_a_wrong_dataset():
    builder = DatasetBuilder(frames=5, min_frames=3)
    with pytest.raises(OptionError, match="has no label: pass label="):
        builder.add_track(_track(label=""))
    builder.add_track(_track())
    with pytest.raises(OptionError, match="'clip' was already added"):
        builder.add_track(_track())
    with pytest.raises(OptionError, match="divide pixel coordinates by the frame size"):
        builder.add_sequence("pixels", _track().landmarks * 640, label="happy", subject="S1")
    with pytest.raises(OptionError, match=r"cannot be used: '\.\./x' contains a path separator"):
        builder.add_sequence("../x", _track().landmarks, label="happy", subject="S1")


def test_neutral_samples_never_share_a_name():
    builder = DatasetBuilder(frames=5, min_frames=3)
    for index in range(3):
        builder.add_sequence(f"s{index}", _track().landmarks, label="happy", subject=f"S{index}")
    first, second = builder.add_neutral(2, seed=0), builder.add_neutral(1, seed=0)
    assert len(set(first + second)) == 3
    names = builder.build().sequence
    assert len(names) == len(set(names)) == 6
    with pytest.raises(OptionError, match="only 0 sequences are left without one"):
        builder.add_neutral(1)


def test_write_dataset_carries_the_tracks_its_samples_came_from(tmp_path):
    store = str(tmp_path / "tracks.h5")
    with TrackWriter(store) as writer:
        writer.write(_track())
    builder = DatasetBuilder(frames=5, min_frames=3)
    with open_tracks(store) as tracks:
        builder.add_track(tracks["clip"])
    builder.add_neutral(1)
    fresh = str(tmp_path / "new.h5")
    write_dataset(fresh, builder.build())
    with open_tracks(fresh) as tracks:
        assert tracks.ids() == ["clip"] and tracks["clip"].provenance == _track().provenance
    other = _track()
    other.backend = "mediapipe"
    builder = DatasetBuilder(frames=5, min_frames=3)
    builder.add_track(other)
    with pytest.raises(ProvenanceError, match="holds tracks made by 'dlib'"):
        write_dataset(fresh, builder.build())


def test_import_openface_checks_the_csv_against_its_media(tmp_path, carphone_frames):
    from test_openface import face, openface_csv

    video = write_video(str(tmp_path / "take.avi"), carphone_frames[:72])
    csv_path = openface_csv(tmp_path / "rows.csv", [(i, 0, i / 30, 0.9, 1, face(i) / 3) for i in range(1, 101)])
    result = run("import-openface", csv_path, "-o", tmp_path / "t.h5", "--media", video)
    assert result.exit_code == 1
    assert f"FAILED {csv_path}: the CSV describes 100 frames but {video} has 72: is it the CSV of that media?" in (
        result.output
    )
    assert not os.path.exists(tmp_path / "t.h5")
    wide = openface_csv(tmp_path / "wide.csv", [(i, 0, i / 30, 0.9, 1, face(i) * 3) for i in range(1, 73)])
    result = run("import-openface", wide, "-o", tmp_path / "t.h5", "--media", video)
    assert result.exit_code == 1 and "but " + video + " is 176x144" in result.output


# ---- the structure that makes it hold ---------------------------------------------------------------------


def _project_imports() -> dict[str, set[str]]:
    """Module -> project modules it imports (at any depth of the code), from the source text."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    places = {
        "landmarkset": root / "landmarkset",
        "landmarkset.models": root / "models",
        "landmarkset.cli": root / "cli",
    }
    files = {}
    for package, folder in places.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if package == "landmarkset" and parts[0] in ("models", "cli"):
                continue
            name = ".".join((package, *parts)).removesuffix(".__init__")
            files[name] = (path, path.name == "__init__.py")
    graph: dict[str, set[str]] = {}
    private: list[str] = []
    for name, (path, is_package) in files.items():
        tree = ast.parse(path.read_text())
        here = name if is_package else name.rsplit(".", 1)[0]
        graph[name] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1] + ([base] if base else []))
                modules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in files]
                targets = modules or [base]
                for alias in node.names:
                    if alias.name.startswith("_") and alias.name != "__version__" and base in files:
                        private.append(f"{name} imports {alias.name} from {base}")
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(target for target in targets if target in files and target != name)
    graph["__private__"] = set(private)
    return graph


def test_no_import_cycles_and_no_private_names_across_modules():
    graph = _project_imports()
    assert sorted(graph.pop("__private__")) == []
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target == path[0]:
                cycles.append(" -> ".join([*path, target]))
            elif target not in path and target not in seen:
                seen.add(target)
                visit(target, [*path, target])

    for start in sorted(graph):
        seen: set[str] = set()
        visit(start, [start])
    assert cycles == []
