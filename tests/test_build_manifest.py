"""`landmarkset build manifest`: anyone's labelled clips (videos and frame folders) listed in a CSV."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any, ClassVar

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import write_images
from landmarkset.cli.main import main
from layout_harness import LayoutTestCase

from landmarkset.datasets import read_dataset


@pytest.fixture
def clips(tmp_path, carphone, carphone_frames):
    """A root with the project's sample clip twice (video) and two frame folders, and a manifest of them
    with hostile rows."""
    root = tmp_path / "clips"
    (root / "S01").mkdir(parents=True)
    (root / "S02").mkdir()
    shutil.copy(carphone, root / "S01" / "talk.mp4")
    shutil.copy(carphone, root / "S02" / "talk.mp4")
    write_images(str(root / "S01" / "smile"), carphone_frames[:30])
    write_images(str(root / "S02" / "frown"), carphone_frames[40:70])
    (root / "S02" / "one.png").write_bytes((root / "S01" / "smile" / "img1.png").read_bytes())
    outside = tmp_path / "elsewhere.mp4"
    shutil.copy(carphone, outside)
    os.symlink(outside, root / "S02" / "linked.mp4")
    rows = [
        "Clip,Label,Subject,Onset,Apex,Offset",
        "S01/talk.mp4,neutral,S01,,,",
        "S02/talk.mp4,neutral,S02,11,20,40",
        "S01/smile,happy,S01,,,",
        "S02/frown,sadness,S02,1,10,30",
        "/etc/passwd,happy,S01,,,",
        "../clips/S01/smile,happy,S01,,,",
        "S01/missing,happy,S01,,,",
        "S02/one.png,happy,S02,,,",
        "S02/frown,sadness,S02,5,,30",
        "S02/frown,sad ness/x,S02,,,",
        "S02/linked.mp4,happy,S02,,,",
        ",,,,,",
    ]
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(b"\xef\xbb\xbf" + "\n".join(rows).encode() + b"\n")  # as Excel saves a CSV
    return root, manifest


def test_a_manifest_builds_its_clips_and_bad_rows_fail_alone(clips, tmp_path):
    root, manifest = clips
    out = str(tmp_path / "m.h5")
    result = CliRunner().invoke(main, ["build", "manifest", str(root), "--manifest", str(manifest), "-o", out,
                                       "-b", "dlib", "--min-frames", "5", "-q"])  # fmt: skip
    assert result.exit_code == 1, result.output  # some rows failed, the rest is built
    failed = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    reasons = "\n".join(failed)
    assert len(failed) == 7, reasons
    for row, text in ((6, "not a path inside the root"), (7, "not a path inside the root"), (8, "no such file"),
                      (9, "is one image"), (10, "onset, apex and offset go together"), (11, "cannot name a folder"),
                      (12, "outside the dataset root")):  # fmt: skip
        assert any(f"manifest.csv row {row}:" in line and text in line for line in failed), (row, reasons)
    dataset = read_dataset(out)
    assert sorted(dataset.sequence) == ["S01__smile", "S01__talk", "S02__frown", "S02__talk"]
    assert sorted(set(dataset.subject)) == ["S01", "S02"] and set(dataset.classes) == {"neutral", "happy", "sadness"}
    index = list(dataset.sequence).index("S02__talk")  # a video's interval: frames 11..40 of the whole clip
    assert dataset.source_frames[index][0] == 10 and dataset.source_frames[index][-1] == 39
    assert dataset.attrs["layout"] == "manifest" and json.loads(dataset.attrs["settings"])["manifest"] == "manifest.csv"
    frown = list(dataset.sequence).index("S02__frown")
    assert dataset.source_frames[frown][-1] == 29 and np.isfinite(dataset.X[frown]).all()
    listing = CliRunner().invoke(main, ["layouts"])
    assert listing.exit_code == 0 and {line.split()[0] for line in listing.output.splitlines()} >= {
        "ckplus", "samm", "manifest"}  # fmt: skip


def test_a_manifest_without_its_columns_is_one_line(tmp_path):
    (tmp_path / "m.csv").write_text("path,emotion\nx,happy\n")
    result = CliRunner().invoke(main, ["build", "manifest", str(tmp_path), "--manifest", str(tmp_path / "m.csv"),
                                       "-o", str(tmp_path / "o.h5")])  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and "no header row with clip, label, subject" in result.output
    assert "the first row holds path, emotion" in result.output
    assert not (tmp_path / "o.h5").exists()


def test_a_plugin_layout_builds_through_the_cli_with_its_declared_options(tmp_path, carphone_frames):
    """The example package's layout (entry point landmarkset.layouts): listed, built by `build NAME`, its
    options validated against its declaration."""
    root = tmp_path / "folders"
    write_images(str(root / "S01" / "happy" / "a"), carphone_frames[:12])
    write_images(str(root / "S02" / "neutral" / "b"), carphone_frames[20:32])
    write_images(str(root / "S02" / "neutral" / "short"), carphone_frames[40:42])
    listing = CliRunner().invoke(main, ["layouts"])
    assert "class-folders" in listing.output and "landmarkset-haar" in listing.output
    assert "clips with fewer images" in CliRunner().invoke(main, ["build", "class-folders", "-h"]).output
    out = str(tmp_path / "f.h5")
    command = ["build", "class-folders", str(root), "-o", out, "-b", "dlib", "--min-frames", "5", "--frames", "6", "-q"]
    result = CliRunner().invoke(main, [*command, "-L", "min_images=3"])
    assert result.exit_code == 0, result.output
    assert "dropped 1 sequence(s): 2 images, fewer than min_images" in result.output
    dataset = read_dataset(out)
    assert sorted(dataset.sequence) == ["S01__a", "S02__b"] and set(dataset.classes) == {"happy", "neutral"}
    assert json.loads(dataset.attrs["settings"])["min_images"] == 3
    result = CliRunner().invoke(main, [*command, "-L", "min_imgs=3"])
    assert result.exit_code == 2 and "Unknown option 'min_imgs' for the class-folders layout" in result.output
    result = CliRunner().invoke(main, [*command, "-L", "min_images=zero"])
    assert result.exit_code == 2 and "must be an int >= 1" in result.output


class TestClassFoldersPlugin(LayoutTestCase):
    """The example plug-in passes the same checks as the built-in layouts (adding a layout: one module and
    this class)."""

    layout = "class-folders"
    options: ClassVar[dict[str, Any]] = {"min_frames": 5, "frames": 6}

    @pytest.fixture(scope="class")
    @classmethod
    def tree(cls, tmp_path_factory, carphone_frames):
        root = tmp_path_factory.mktemp("folders")
        for subject, label, clip, start in (
            ("S01", "happy", "a", 0),
            ("S01", "neutral", "b", 20),
            ("S02", "happy", "c", 40),
        ):
            write_images(str(root / subject / label / clip), carphone_frames[start : start + 8])
        return str(root), None

    def expected(self, root):
        return {"happy": 2, "neutral": 1}
