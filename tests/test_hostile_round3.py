"""Hostile inputs, round three: model files checked field by field before use, non-finite models refused,
exit codes that tell the truth, tracks of chosen frames never read as a video."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from helpers import make_track
from landmarkset.cli.main import main
from landmarkset.models import TCN, ModelRecord, save_model

from landmarkset import TrackWriter


def _record(**changes) -> ModelRecord:
    record = ModelRecord(
        model="tcn",
        arguments={"n_classes": 2, "n_frames": 20, "n_landmarks": 68},
        classes=["neutral", "happy"],
        input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": 20, "landmarks": 68}},
        data={"source_span": 20},
    )
    return dataclasses.replace(record, **changes)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A video's track (100 frames) and the 20 frames a dataset build read of a long interval (chosen frames)."""
    path = str(tmp_path_factory.mktemp("tracks") / "t.h5")
    with TrackWriter(path) as writer:
        video = make_track("video", n=100, seed=1)
        video.valid[:] = True
        video.landmarks[:] = 0.4 + 0.01 * np.random.default_rng(0).random(video.landmarks.shape)
        writer.write(video)
        chosen = dataclasses.replace(video, id="samples", frame_index=np.arange(100) * 3, selection="listed")
        writer.write(chosen)
    return path


def _model(path, record: ModelRecord, poison: bool = False) -> str:
    torch.manual_seed(0)
    network = TCN(n_classes=2, n_frames=20).eval()
    if poison:
        with torch.no_grad():
            next(network.parameters()).fill_(float("nan"))
    return save_model(str(path), network, record)


def test_every_field_of_a_model_record_is_checked_in_one_line(store, tmp_path):
    cases = {
        "arguments": _record(arguments="n_classes=2"),
        "data.source_span": _record(data={"source_span": "twenty"}),
        "classes": _record(classes=["neutral", "neutral"]),
        "input": _record(input={"kind": "landmarks", "preprocessing": "aligned", "dimensions": {"frames": -1}}),
    }
    for field, record in cases.items():
        path = _model(tmp_path / f"{field}.pt", record)
        result = CliRunner().invoke(main, ["predict", path, store, "-o", str(tmp_path / field)])
        assert result.exit_code == 2 and f"its record's {field!r}" in result.output, (field, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    wrong = _model(tmp_path / "wrong.pt", _record(arguments={"n_classes": 2, "n_frames": 20, "colour": "red"}))
    result = CliRunner().invoke(main, ["predict", wrong, store, "-o", str(tmp_path / "w")])
    assert result.exit_code == 2 and "do not build a 'tcn' model" in result.output


def test_a_file_that_is_not_a_model_never_advises_loading_it_unsafely(store, tmp_path):
    import pickle

    (tmp_path / "other.pt").write_bytes(pickle.dumps({"model": "tcn", "weights": ValueError("x")}))
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "other.pt"), store, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not a landmarkset model file" in result.output
    assert "trust" not in result.output and "weights_only" not in result.output


def test_a_full_disk_names_the_file_and_keeps_the_earlier_one(tmp_path):
    import errno

    from landmarkset.runfolder import atomic_file

    path = tmp_path / "metrics.json"
    path.write_text("earlier")
    with pytest.raises(OSError) as raised, atomic_file(str(path)) as handle:
        raise OSError(errno.ENOSPC, "No space left on device", handle.name)
    assert raised.value.filename == str(path) and path.read_text() == "earlier"


def test_a_model_with_nan_weights_is_refused_not_read_as_neutral(store, tmp_path):
    path = _model(tmp_path / "nan.pt", _record(), poison=True)
    result = CliRunner().invoke(main, ["predict", path, store, "-o", str(tmp_path / "p")])
    assert result.exit_code == 2 and "NaN or infinite" in result.output and "neutral" not in result.output


def test_predict_exit_codes_and_chosen_frames_are_not_a_video(store, tmp_path):
    model = _model(tmp_path / "m.pt", _record())
    both = CliRunner().invoke(main, ["predict", model, store, "-o", str(tmp_path / "both"), "-q"])
    assert both.exit_code == 1, both.output  # one video predicted, one track of chosen frames failed
    assert "FAILED samples: track 'samples' holds chosen frames of its source, not a video" in both.output
    one = CliRunner().invoke(main, ["predict", model, store, "-o", str(tmp_path / "one"), "-s", "video", "-s", "video"])
    assert one.exit_code == 0 and one.output.startswith("1 sequence(s)")  # -s X -s X: once
    none = CliRunner().invoke(main, ["predict", model, store, "-o", str(tmp_path / "none"), "-s", "samples"])
    assert none.exit_code == 2 and "FAILED samples" in none.output
    spot = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "s"), "--micro", "5", "--macro", "20", "-q"])
    assert spot.exit_code == 1 and "FAILED samples: track 'samples' holds chosen frames" in spot.output
    short = CliRunner().invoke(main, ["predict", model, store, "-o", str(tmp_path / "w"), "-s", "video",
                                      "--window", "200"])  # fmt: skip
    assert short.exit_code == 0 and "100 frames, shorter than one window: nothing predicted" in short.output


def test_a_merged_cell_is_read_in_every_row_it_covers_by_every_layout(tmp_path):
    """What a spreadsheet shows is what is read: a Subject merged over two rows of a manifest names both rows'
    subject (CASME II, CAS(ME)^3, SMIC-E and CAS(ME)^2 read their sheets through the same reader)."""
    import openpyxl
    from helpers import write_images

    from landmarkset.datasets.manifest import ManifestLayout

    frames = [np.full((40, 40, 3), value, np.uint8) for value in range(0, 200, 20)]
    for clip in ("a", "b", "c"):
        write_images(str(tmp_path / "root" / clip), frames)
    book = openpyxl.Workbook()
    page = book.active
    for row in (["clip", "label", "subject"], ["a", "happy", "S01"], ["b", "sad", None], ["c", "happy", "S02"]):
        page.append(row)
    page.merge_cells("C2:C3")
    page.row_dimensions[4].hidden = True
    book.save(tmp_path / "m.xlsx")
    scan = ManifestLayout(str(tmp_path / "root"), str(tmp_path / "m.xlsx")).scan()
    assert [(item.id, item.subject) for item in scan.items] == [("a", "S01"), ("b", "S01"), ("c", "S02")]
    assert scan.failed == [] and [where for where, _ in scan.repairs] == ["m.xlsx rows 2-3", "m.xlsx row 4"]
