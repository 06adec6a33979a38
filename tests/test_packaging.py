"""The distribution installs one import namespace, and the entry points feed the registry."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (path,) = out.glob("landmarkset-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_puts_models_and_cli_inside_the_namespace(wheel):
    top_level = {name.split("/")[0] for name in wheel.namelist()}
    assert top_level == {"landmarkset", next(t for t in top_level if t.endswith(".dist-info"))}
    names = set(wheel.namelist())
    assert "landmarkset/models/__init__.py" in names
    assert "landmarkset/cli/main.py" in names
    # Every module of the source tree is in the wheel (a subpackage missing from pyproject's list is not).
    sources = {
        f"landmarkset/{p.relative_to(ROOT / 'landmarkset').as_posix()}" for p in (ROOT / "landmarkset").rglob("*.py")
    }
    for folder in ("models", "cli"):
        sources |= {
            f"landmarkset/{folder}/{p.relative_to(ROOT / folder).as_posix()}" for p in (ROOT / folder).rglob("*.py")
        }
    assert sources - names == set()


def test_wheel_registers_builtin_backends_and_script(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    text = wheel.read(entry_points).decode()
    assert "[landmarkset.extractors]" in text
    assert re.search(r"^mediapipe = landmarkset\.extractors\._mediapipe:MediaPipeExtractor$", text, re.M)
    assert re.search(r"^dlib = landmarkset\.extractors\._dlib:DlibExtractor$", text, re.M)
    assert re.search(r"^landmarkset = landmarkset\.cli\.main:main$", text, re.M)


def test_subpackages_import_through_the_namespace():
    import landmarkset.cli.main
    import landmarkset.models

    assert landmarkset.models.__name__ == "landmarkset.models"
    assert callable(landmarkset.cli.main.main)


def test_no_code_imports_top_level_models_or_cli():
    pattern = re.compile(r"^\s*(import|from)\s+(models|cli)\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("landmarkset", "models", "cli", "tests", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []
