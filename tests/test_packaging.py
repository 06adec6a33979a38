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


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.13", "3.14"])
def test_every_extra_resolves_with_numpy_2_on_newer_pythons(python, tmp_path_factory):
    # uv resolves for a Python other than the running one from PyPI's metadata (no install, no CUDA wheels).
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "compile",
            str(ROOT / "pyproject.toml"),
            "--extra",
            "all",
            "--python-version",
            python,
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--no-header",
            "--quiet",
            "--cache-dir",
            str(tmp_path_factory.getbasetemp() / "uv-cache"),  # shared by both Pythons
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pinned = dict(re.findall(r"^([a-z0-9_.-]+)==([^\s;]+)", result.stdout, re.MULTILINE))

    def major(name: str) -> int:
        return int(pinned[name].split(".")[0])

    assert major("numpy") >= 2 and major("pyarrow") >= 20 and major("mediapipe") >= 1, pinned
    assert {"torch", "captum", "dlib-bin", "xarray", "distributed"} <= set(pinned), pinned
