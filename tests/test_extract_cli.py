"""`landmarkset extract`, `info`, `overlay` and `demo` end to end: batches, failures, resume, workers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import wait_for_tracks, write_images, write_video
from landmarkset.cli.main import main

from landmarkset import extract, open_tracks, read_dataset


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def batch(tmp_path, carphone_frames):
    """Two good inputs, a corrupt video and an empty folder."""
    data = tmp_path / "data"
    write_video(str(data / "good.avi"), carphone_frames[:12])
    write_images(str(data / "frames"), carphone_frames[12:20])
    (data / "corrupt.mp4").write_bytes(os.urandom(10_000))
    (data / "empty").mkdir()
    return data


def test_bad_inputs_fail_alone_with_one_line_each(batch, tmp_path):
    out = str(tmp_path / "t.h5")
    result = run(
        "extract",
        str(batch / "good.avi"),
        str(batch / "corrupt.mp4"),
        str(batch / "frames"),
        str(batch / "empty"),
        "-o",
        out,
        "-b",
        "dlib",
        "-q",
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2
    assert failed[0].startswith(f"FAILED {batch / 'corrupt.mp4'}: ") or failed[1].startswith(
        f"FAILED {batch / 'corrupt.mp4'}: "
    )
    assert any(line == f"FAILED {batch / 'empty'}: folder holds no images or videos" for line in failed)
    with open_tracks(out) as store:
        assert store.ids() == ["frames", "good"]
        assert store["frames"].frame_names == [f"img{i}.png" for i in range(1, 9)]


def test_rerun_resumes_and_skips_completed(batch, tmp_path):
    out = str(tmp_path / "t.h5")
    first = extract([str(batch / "good.avi")], out, backend="dlib", progress=False)
    assert first.extracted == ["good"]
    again = extract([str(batch / "good.avi"), str(batch / "frames")], out, backend="dlib", progress=False)
    assert again.skipped == ["good"] and again.extracted == ["frames"]
    with open_tracks(out) as store:
        assert store.ids() == ["frames", "good"]


def test_resume_with_another_backend_is_refused(batch, tmp_path):
    out = str(tmp_path / "t.h5")
    extract([str(batch / "good.avi")], out, backend="dlib", progress=False)
    result = run("extract", str(batch / "frames"), "-o", out, "-b", "dlib", "-O", "upsample=0", "-q")
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "--overwrite" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (
        run(
            "extract", str(batch / "frames"), "-o", out, "-b", "dlib", "-O", "upsample=0", "-q", "--overwrite"
        ).exit_code
        == 0
    )


def test_output_that_is_not_a_store_is_a_one_line_error(batch, tmp_path):
    out = tmp_path / "notes.h5"
    out.write_text("my notes")
    result = run("extract", str(batch / "good.avi"), "-o", str(out), "-b", "dlib", "-q")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {out}: not an HDF5 file, or damaged (")
    assert len(result.output.strip().splitlines()) == 1
    assert out.read_text() == "my notes"  # nothing lost


def test_two_workers_give_the_same_tracks_as_one(tmp_path, carphone_frames):
    inputs = [write_video(str(tmp_path / f"v{i}.avi"), carphone_frames[i * 10 : (i + 1) * 10 + 5]) for i in range(3)]
    extract(inputs, str(tmp_path / "one.h5"), backend="dlib", workers=1, progress=False)
    report = extract(inputs, str(tmp_path / "two.h5"), backend="dlib", workers=2, progress=False)
    assert report.ok and sorted(report.extracted) == ["v0", "v1", "v2"]
    with open_tracks(str(tmp_path / "one.h5")) as one, open_tracks(str(tmp_path / "two.h5")) as two:
        assert one.ids() == two.ids()
        for track_id in one.ids():
            np.testing.assert_array_equal(one[track_id].landmarks, two[track_id].landmarks)
            np.testing.assert_array_equal(one[track_id].valid, two[track_id].valid)


def test_a_corrupt_input_fails_alone_in_a_worker_pool(batch, tmp_path):
    report = extract(
        [str(batch / "good.avi"), str(batch / "corrupt.mp4"), str(batch / "frames")],
        str(tmp_path / "t.h5"),
        backend="dlib",
        workers=2,
        progress=False,
    )
    assert sorted(report.extracted) == ["frames", "good"]
    assert [f.path for f in report.failed] == [str(batch / "corrupt.mp4")]


@pytest.mark.slow
def test_killed_run_leaves_a_readable_store_and_resumes(tmp_path, carphone):
    inputs = []
    for i in range(6):
        link = tmp_path / f"clip{i}.mp4"
        os.symlink(carphone, link)
        inputs.append(str(link))
    out = str(tmp_path / "t.h5")
    command = [sys.executable, "-m", "landmarkset.cli.main", "extract", *inputs, "-o", out, "-b", "dlib", "-q"]
    process = subprocess.Popen(command)
    try:
        wait_for_tracks(out)
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with open_tracks(out) as store:
        done_before = store.ids()
        assert 1 <= len(done_before) < 6
        assert all(store[i].n_frames == 120 for i in done_before)
    resumed = subprocess.run(command, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    # The published tracks and those still in the dead run's journal are all reused.
    reused = int(re.search(r"(\d+) sequence\(s\) already done", resumed.stdout).group(1))
    assert len(done_before) <= reused < 6
    with open_tracks(out) as store:
        assert store.ids() == [f"clip{i}" for i in range(6)]


def test_info_overlay_and_backends(batch, tmp_path):
    out = str(tmp_path / "t.h5")
    extract([str(batch / "good.avi")], out, backend="dlib", progress=False)
    info = run("info", out, "-s")
    assert info.exit_code == 0
    assert "1 sequences, 12 frames" in info.output and "backend dlib" in info.output
    assert "good" in info.output and "176x144" in info.output
    png = tmp_path / "overlay.png"
    result = run("overlay", out, "good", "-o", str(png))
    assert result.exit_code == 0 and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    listing = run("backends")
    assert "dlib" in listing.output and "mediapipe" in listing.output


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", str(out), "-b", "dlib", "--subjects", "4", "--epochs", "3", "--landmarks", "extracted", "-q")
    assert result.exit_code == 0, result.output
    assert (out / "video_overlay.png").stat().st_size > 10_000
    with open_tracks(str(out / "video_tracks.h5")) as store:
        assert store["carphone_pristine"].face_rate >= 0.9
    dataset = read_dataset(str(out / "ckplus.h5"))
    with open_tracks(str(out / "ckplus.h5")) as store:  # a track for each real sample, none for others
        assert set(store.ids()) >= {dataset.sequence[i] for i in range(len(dataset)) if not dataset.synthetic[i]}
        assert len(store) >= 15 and store[store.ids()[0]].backend == "dlib"
    for name in ("metrics.json", "confusion_matrix.png", "training_curves.png", "model.pt"):
        assert (out / "run" / name).stat().st_size > 1_000
    assert (out / "explain" / "report.md").read_text().startswith("# Explanations of a tcn model")
    assert "TCN subject-independent UAR" in result.output and "deletion AUC" in result.output
    index = (out / "README.md").read_text()  # every figure and table, one line each, paths relative to the folder
    assert "(run/confusion_matrix.png)" in index and "(explain/report.md)" in index and str(out) not in index
    assert not [name for _, _, names in os.walk(out) for name in names if name.endswith((".lock", ".owner"))]
    report = (out / "explain" / "report.md").read_text()
    assert "## Samples" in report and "](figures/" in report and str(tmp_path) not in report
    assert str(out / "explain" / "report.md") in result.output
    # the model over the real video: every window has a class, the share of neutral ones is said
    summary = json.loads((out / "video_predictions" / "summary.json").read_text())
    assert summary["sequences"][0]["windows"] > 0 and (out / "video_predictions" / "windows.csv").exists()
    assert "of its windows called neutral" in result.output
    assert (out / "video_predictions" / "timelines" / "carphone_pristine.png").stat().st_size > 10_000


_LONG_RUN = """
import sys
import landmarkset.extraction.tracking as tracking
from landmarkset.io.frames import Source
tracking.CHUNK = 64  # checkpoints every 64 frames instead of 2048: the test's video is short
frames = Source.frames
def reporting(self, start=0):
    print("START", start, file=sys.stderr, flush=True)
    return frames(self, start)
Source.frames = reporting  # observed, not changed: the test reads where the run started
from landmarkset.cli.main import main
sys.argv = ["landmarkset", "extract", {video!r}, "-o", {out!r}, "-b", "dlib", "-q"]
main()
"""


@pytest.mark.slow
def test_a_long_video_killed_midway_resumes_from_its_last_chunk(tmp_path, carphone_frames, monkeypatch):
    from landmarkset.extraction import tracking
    from landmarkset.extraction.checkpoint import checkpoint_dir

    video = write_video(str(tmp_path / "long.avi"), (carphone_frames + carphone_frames[::-1]) * 2)  # 480 frames
    out = str(tmp_path / "t.h5")
    script = _LONG_RUN.format(video=video, out=out)
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    partial = checkpoint_dir(out)
    try:
        deadline = time.monotonic() + 120
        while not (os.path.isdir(partial) and os.listdir(partial)) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(1.5)  # a few more chunks
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not os.path.exists(out) or len(open_tracks(out)) == 0  # the track was not finished
    resumed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    (start,) = [int(line.split()[1]) for line in resumed.stderr.splitlines() if line.startswith("START")]
    assert start >= 64 and start % 64 == 0  # continued after its last checkpoint, not from frame 0
    assert not os.path.exists(partial)  # the checkpoint went once the track was stored
    monkeypatch.setattr(tracking, "CHUNK", 64)
    extract([video], str(tmp_path / "whole.h5"), backend="dlib", progress=False)
    with open_tracks(out) as resumed_store, open_tracks(str(tmp_path / "whole.h5")) as whole_store:
        resumed_track, whole = resumed_store["long"], whole_store["long"]
    assert resumed_track.n_frames == whole.n_frames == 480
    for name in ("landmarks", "valid", "confidence", "box", "faces_detected", "timestamp"):
        np.testing.assert_array_equal(getattr(resumed_track, name), getattr(whole, name), err_msg=name)
