"""A run folder belongs to one run of one command: another command's folder, a run of other settings and a
concurrent run are refused in one line; --overwrite replaces it whole; files are written whole or not at all;
a killed run, run again, leaves what an uninterrupted run leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from helpers import make_track
from landmarkset.cli.main import main
from landmarkset.models import TCN, ModelRecord, save_model

from landmarkset import TrackWriter
from landmarkset.errors import OptionError
from landmarkset.io.lock import StoreLock
from landmarkset.runfolder import RUN_RECORD, RunFolder, atomic_file


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A store of two 200-frame tracks and an (untrained) TCN over 20 frames."""
    folder = tmp_path_factory.mktemp("inputs")
    store = str(folder / "t.h5")
    with TrackWriter(store) as writer:
        for name in ("a", "b"):
            track = make_track(name, n=200, seed=len(name))
            track.valid[:] = True
            track.landmarks[:] = 0.4 + 0.01 * np.random.default_rng(0).random(track.landmarks.shape)
            writer.write(track)
    torch.manual_seed(0)
    record = ModelRecord(
        model="tcn",
        arguments={"n_classes": 2, "n_frames": 20, "n_landmarks": 68},
        classes=["neutral", "happy"],
        input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 20, "landmarks": 68}},
    )
    model = save_model(str(folder / "model.pt"), TCN(n_classes=2, n_frames=20).eval(), record)
    return store, model


def _run(*arguments: str):
    return CliRunner().invoke(main, list(arguments))


def test_a_folder_is_one_run_of_one_command(inputs, tmp_path):
    store, model = inputs
    out = str(tmp_path / "out")
    first = _run("predict", model, store, "-o", out, "-q", "--stride", "10")
    assert first.exit_code == 0, first.output
    record = json.loads((tmp_path / "out" / RUN_RECORD).read_text())
    assert record["command"] == "predict" and record["status"] == "complete"
    assert {i["path"] for i in record["inputs"]} == {os.path.abspath(store), os.path.abspath(model)}
    # the same run again: allowed, its files written again
    assert _run("predict", model, store, "-o", out, "-q", "--stride", "10").exit_code == 0
    # another command into it: one line naming what holds it, nothing touched
    before = sorted(os.listdir(out))
    refused = _run("spot", store, "-o", out, "-q", "--micro", "5", "--macro", "20")
    assert refused.exit_code == 2 and "holds a `predict` run" in refused.output and "--overwrite" in refused.output
    assert len(refused.output.strip().splitlines()) == 1 and sorted(os.listdir(out)) == before
    # the same command with other settings: refused, saying what differs; --overwrite replaces it whole
    (tmp_path / "out" / "stale.csv").write_text("of the earlier run")
    refused = _run("predict", model, store, "-o", out, "-q", "--stride", "5")
    assert refused.exit_code == 2 and "other settings (stride '10 frames' -> '5 frames')" in refused.output
    replaced = _run("predict", model, store, "-o", out, "-q", "--stride", "5", "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert not (tmp_path / "out" / "stale.csv").exists() and (tmp_path / "out" / "frames.csv").exists()
    # a folder no run made is never emptied, --overwrite or not; no lock file is left anywhere
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    refused = _run("predict", model, store, "-o", str(mine), "--overwrite")
    assert refused.exit_code == 2 and "no landmarkset run wrote" in refused.output and (mine / "notes.txt").exists()
    assert not [name for name in os.listdir(out) if name.endswith((".lock", ".owner"))]


def test_an_input_inside_the_folder_is_never_overwritten_away(inputs, tmp_path):
    store, model = inputs
    run = tmp_path / "run"
    with RunFolder(str(run), "train", {"folds": 6}):
        (run / "model.pt").write_bytes(open(model, "rb").read())
    refused = _run("predict", str(run / "model.pt"), store, "-o", str(run))
    assert refused.exit_code == 2 and "holds a `train` run" in refused.output
    refused = _run("predict", str(run / "model.pt"), store, "-o", str(run), "--overwrite")
    assert refused.exit_code == 2 and "it holds an input of this run" in refused.output
    assert (run / "model.pt").exists()


def test_a_concurrent_run_is_refused_naming_the_first(inputs, tmp_path):
    store, _ = inputs
    out = tmp_path / "busy"
    out.mkdir()
    lock = StoreLock(str(out), inside=True).acquire()
    try:
        refused = _run("spot", store, "-o", str(out), "-q", "--micro", "5", "--macro", "20")
    finally:
        lock.release()
    assert refused.exit_code == 2 and "being written by another landmarkset process (pid" in refused.output
    assert os.listdir(out) == []


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("the earlier, complete file")
    with pytest.raises(OSError), atomic_file(str(path)) as handle:
        handle.write("half of the new one")
        raise OSError(28, "No space left on device", str(path))
    assert path.read_text() == "the earlier, complete file" and os.listdir(tmp_path) == ["metrics.json"]
    with pytest.raises(OptionError, match="is a file, not a folder"):
        RunFolder(str(path), "spot", {}).__enter__()


_KILLED = """
import sys
from landmarkset.cli.main import main
from landmarkset.models.spotting import spotters
intervals = spotters.BaselineSpotter.intervals
def slow(self, *args, **kwargs):  # the first video is done (its curve drawn); the kill lands on the next
    if getattr(slow, "done", False):
        print("SPOTTING", flush=True)
        import time
        time.sleep(60)
    slow.done = True
    return intervals(self, *args, **kwargs)
spotters.BaselineSpotter.intervals = slow
sys.argv = ["landmarkset", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_a_killed_spot_run_again_equals_an_uninterrupted_one(inputs, tmp_path):
    store, _ = inputs
    arguments = [store, "--micro", "5", "--macro", "20", "-q"]
    whole = _run("spot", *arguments, "-o", str(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    killed = tmp_path / "killed"
    script = tmp_path / "killed_spot.py"
    script.write_text(_KILLED)
    process = subprocess.Popen([sys.executable, str(script), "spot", *arguments, "-o", str(killed)],
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout.readline().strip() == "SPOTTING"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert json.loads((killed / RUN_RECORD).read_text())["status"] == "running"
    again = _run("spot", *arguments, "-o", str(killed))
    assert again.exit_code == 0, again.output
    for folder, _, files in os.walk(tmp_path / "whole"):
        for name in files:
            if name == RUN_RECORD:
                continue
            mine = os.path.join(folder, name)
            theirs = os.path.join(killed, os.path.relpath(mine, tmp_path / "whole"))
            assert open(mine, "rb").read() == open(theirs, "rb").read(), name
    listing = sorted(os.path.relpath(os.path.join(f, n), killed) for f, _, names in os.walk(killed) for n in names)
    expected = sorted(os.path.relpath(os.path.join(f, n), tmp_path / "whole")
                      for f, _, names in os.walk(tmp_path / "whole") for n in names)  # fmt: skip
    assert listing == expected


_KILLED_TRAINING = """
import sys
from landmarkset.cli.main import main
import landmarkset.models.training.driver as driver
saved = driver.save_model
def slow(path, *args, **kwargs):  # the kill lands after fold 1's checkpoint, during fold 2
    result = saved(path, *args, **kwargs)
    if str(path).endswith("fold1.pt"):
        print("FOLD", flush=True)
        import time
        time.sleep(60)
    return result
driver.save_model = slow
sys.argv = ["landmarkset", *sys.argv[1:]]
main()
"""


def _tiny_dataset(path: str) -> str:
    from landmarkset.datasets import DatasetBuilder, write_dataset

    builder = DatasetBuilder(frames=8, min_frames=2)
    rng = np.random.default_rng(0)
    for index in range(12):
        builder.add_sequence(f"s{index}", rng.random((10, 68, 2)).astype(np.float32), label=["a", "b"][index % 2],
                             subject=f"S{index % 6}")  # fmt: skip
    with pytest.warns(UserWarning, match="no track"):
        write_dataset(path, builder.build())
    return path


@pytest.mark.slow
def test_a_killed_training_run_again_equals_an_uninterrupted_one(tmp_path):
    data = _tiny_dataset(str(tmp_path / "tiny.h5"))
    arguments = [data, "--folds", "3", "--epochs", "3", "--batch-size", "4", "--keep-rejected", "-q"]
    whole = _run("train-tcn", *arguments, "-o", str(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    killed = tmp_path / "killed"
    script = tmp_path / "killed_training.py"
    script.write_text(_KILLED_TRAINING)
    process = subprocess.Popen([sys.executable, str(script), "train-tcn", *arguments, "-o", str(killed)],
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert "FOLD" in [process.stdout.readline().strip() for _ in range(2)]
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert (killed / "folds" / "fold1.pt").exists() and not (killed / "model.pt").exists()
    again = _run("train-tcn", *arguments, "-o", str(killed))
    assert again.exit_code == 0, again.output

    def files(folder):
        return sorted(os.path.relpath(os.path.join(f, n), folder) for f, _, names in os.walk(folder) for n in names)

    assert files(killed) == files(tmp_path / "whole")
    for name in files(killed):
        if name == RUN_RECORD:
            continue
        mine, theirs = (open(os.path.join(folder, name), "rb").read() for folder in (killed, tmp_path / "whole"))
        if name == "metrics.json":  # names its own folder
            mine, theirs = ({k: v for k, v in json.loads(x).items() if k not in ("run_dir", "files")}
                            for x in (mine, theirs))  # fmt: skip
        assert mine == theirs, name
