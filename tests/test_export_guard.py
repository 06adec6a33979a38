"""An export never destroys the store it reads (the same path, or a link to it), and a sequence the store
does not hold is one line with no output left behind."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from helpers import make_track
from landmarkset.cli.main import main

from landmarkset import TrackWriter, open_tracks


@pytest.fixture
def store(tmp_path) -> str:
    path = str(tmp_path / "s.h5")
    with TrackWriter(path) as writer:
        writer.write(make_track("a"))
    return path


def _one_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("fmt", ["table", "netcdf", "openface"])
def test_an_export_onto_its_own_store_is_refused(store, fmt):
    before = open(store, "rb").read()
    output = store if fmt != "openface" else os.path.dirname(store)
    if fmt == "openface":  # a folder whose a.csv is the store itself
        os.symlink(store, os.path.join(output, "a.csv"))
    line = _one_line(CliRunner().invoke(main, ["export", store, "-o", output, "-f", fmt]))
    assert "is one of the inputs: choose another output (nothing was changed)" in line
    assert open(store, "rb").read() == before
    with open_tracks(store) as tracks:
        assert tracks.ids() == ["a"]


@pytest.mark.parametrize("name", ["s.parquet", "s.csv", "s.nc"])
def test_an_output_that_links_to_the_store_is_refused(store, tmp_path, name):
    link = tmp_path / name
    os.symlink(store, link)
    before = open(store, "rb").read()
    line = _one_line(CliRunner().invoke(main, ["export", store, "-o", str(link)]))
    assert line.startswith(f"Error: {link} is one of the inputs")
    assert open(store, "rb").read() == before


@pytest.mark.parametrize("name", ["t.csv", "t.parquet", "folder"])
def test_an_unknown_sequence_is_one_line_and_writes_nothing(store, tmp_path, name):
    output = tmp_path / name
    line = _one_line(CliRunner().invoke(main, ["export", store, "-o", str(output), "-s", "typo"]))
    assert line == f"Error: {store} has no sequence 'typo'; `landmarkset info -s {store}` lists them"
    assert not output.exists()
