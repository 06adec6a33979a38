"""Extraction on a real Dask LocalCluster (loopback, 2 worker processes): same tracks as the local pool,
a killed worker's input re-run, a killed run resumed, shards merged once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from helpers import wait_for_tracks, write_video

from landmarkset import TrackWriter, extract, open_tracks
from landmarkset.extraction.dask import shard_dir

distributed = pytest.importorskip("distributed")  # in the test extra; skipped only outside it


@pytest.fixture
def clips(tmp_path, carphone_frames) -> list[str]:
    return [write_video(str(tmp_path / "in" / f"clip{i}.avi"), carphone_frames[i * 10 : i * 10 + 40]) for i in range(4)]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as local:
        yield local


def test_dask_gives_the_same_tracks_as_the_local_pool(clips, tmp_path, cluster):
    (tmp_path / "in" / "corrupt.mp4").write_bytes(os.urandom(5000))
    inputs = [*clips, str(tmp_path / "in" / "corrupt.mp4")]
    pool = extract(inputs, str(tmp_path / "pool.h5"), backend="dlib", workers=2, progress=False)
    dask = extract(
        inputs, str(tmp_path / "dask.h5"), backend="dlib", progress=False, scheduler=cluster.scheduler_address
    )
    assert sorted(dask.extracted) == sorted(pool.extracted) == [f"clip{i}" for i in range(4)]
    assert [f.path for f in dask.failed] == [f.path for f in pool.failed] == [inputs[-1]]
    assert dask.failed[0].reason == pool.failed[0].reason
    with open_tracks(str(tmp_path / "pool.h5")) as a, open_tracks(str(tmp_path / "dask.h5")) as b:
        assert a.ids() == b.ids()
        for track_id in a.ids():
            np.testing.assert_array_equal(a[track_id].landmarks, b[track_id].landmarks)
            np.testing.assert_array_equal(a[track_id].valid, b[track_id].valid)
    assert not os.path.exists(shard_dir(str(tmp_path / "dask.h5")))  # merged, then removed


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_input_rerun(tmp_path, carphone):
    inputs = []
    for i in range(6):
        os.symlink(carphone, tmp_path / f"clip{i}.mp4")
        inputs.append(str(tmp_path / f"clip{i}.mp4"))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as local,
        distributed.Client(local) as client,
    ):
        pids = client.run(os.getpid)
        result = {}
        runner = threading.Thread(
            target=lambda: result.update(
                report=extract(
                    inputs, str(tmp_path / "t.h5"), backend="dlib", progress=False, scheduler=local.scheduler_address
                )
            )
        )
        runner.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(client.processing().values()):
            time.sleep(0.05)
        time.sleep(0.5)  # mid-input
        busy = next(address for address, tasks in client.processing().items() if tasks)
        os.kill(pids[busy], signal.SIGKILL)
        runner.join(300)
    report = result["report"]
    assert report.failed == [] and sorted(report.extracted) == [f"clip{i}" for i in range(6)]
    with open_tracks(str(tmp_path / "t.h5")) as store:
        assert store.ids() == [f"clip{i}" for i in range(6)]
        assert all(store[i].n_frames == 120 for i in store.ids())


def test_tracks_left_in_shards_are_merged_once_not_extracted_again(clips, tmp_path, cluster):
    out = str(tmp_path / "t.h5")
    first = extract(clips[:1], str(tmp_path / "seed.h5"), backend="dlib", progress=False)
    assert first.ok
    with open_tracks(str(tmp_path / "seed.h5")) as store:
        track = store["clip0"]
    track.landmarks[:] = 0.25  # a marker: extraction would give real landmarks
    os.makedirs(shard_dir(out))
    with TrackWriter(os.path.join(shard_dir(out), "shard-killed.h5")) as shard:
        shard.write(track)
    report = extract(clips, out, backend="dlib", progress=False, scheduler=cluster.scheduler_address)
    assert report.ok and sorted(report.extracted) == [f"clip{i}" for i in range(4)]
    with open_tracks(out) as store:
        assert (store["clip0"].landmarks == 0.25).all() and not (store["clip1"].landmarks == 0.25).all()
    assert not os.path.exists(shard_dir(out))


@pytest.mark.slow
def test_a_killed_cluster_run_resumes(tmp_path, carphone):
    inputs = []
    for i in range(6):
        os.symlink(carphone, tmp_path / f"clip{i}.mp4")
        inputs.append(str(tmp_path / f"clip{i}.mp4"))
    out = str(tmp_path / "t.h5")
    command = [sys.executable, "-m", "landmarkset.cli.main", "extract", *inputs, "-o", out, "-b", "dlib", "-q"]
    process = subprocess.Popen([*command, "--cluster", "local", "-w", "2"], start_new_session=True)
    try:
        wait_for_tracks(out)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the driver and its cluster's processes
        process.wait()
    with open_tracks(out) as store:
        before = store.ids()
    assert 1 <= len(before) < 6
    resumed = subprocess.run([*command, "--cluster", "local", "-w", "2"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    # The published tracks, and any the dead driver had only journalled, are all reused.
    reused = int(re.search(r"(\d+) sequence\(s\) already done", resumed.stdout).group(1))
    assert len(before) <= reused < 6
    with open_tracks(out) as store:
        assert store.ids() == [f"clip{i}" for i in range(6)]
    assert not os.path.exists(shard_dir(out))


@pytest.mark.slow
def test_unreachable_scheduler_is_one_line(tmp_path, clips):
    from click.testing import CliRunner
    from landmarkset.cli.main import main

    result = CliRunner().invoke(
        main, ["extract", clips[0], "-o", str(tmp_path / "t.h5"), "-b", "dlib", "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert (
        result.output.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
        and result.output.count("\n") == 1
    )
