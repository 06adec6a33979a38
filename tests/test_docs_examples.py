"""The examples the reference docs open with run as printed."""

from __future__ import annotations

import json
import pathlib
import re
import shlex

import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _first_bash_block(page: str) -> list[list[str]]:
    """The landmarkset commands of the first ```bash block of ``page``, as argument lists (globs expanded by
    landmarkset itself, as in a shell)."""
    block = re.search(r"```bash\n(.*?)```", (DOCS / page).read_text(), re.DOTALL).group(1)
    return [shlex.split(line)[1:] for line in block.splitlines() if line.startswith("landmarkset ")]


@pytest.mark.slow  # generates and extracts a 1,000-frame video (about 25 s)
def test_the_first_spotting_example_runs_as_printed_and_finds_intervals(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = _first_bash_block("spotting.md")
    assert [c[0] for c in commands] == ["synth", "extract", "spot"]
    for arguments in commands:
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, f"landmarkset {' '.join(arguments)}\n{result.output}"
    report = json.loads((tmp_path / "spots" / "report.json").read_text())
    assert report["videos"] and report["failed"] == []
    assert report["megc"]["overall"]["predictions"] > 0 and report["megc"]["overall"]["tp"] > 0
