"""The checks every dataset layout passes, built-in or plug-in: run them on yours with :func:`check_layout`
(as :func:`landmarkset.testing.check_extractor` does for backends). Each check builds through the one build
path, so it checks the layout's declaration and scan, not a copy of them."""

from __future__ import annotations

import os
import shutil
from typing import Any, Optional

import numpy as np

from ..errors import LandmarksetError
from ..io.datasets import read_dataset
from .build import build
from .builder import ONSET_OFFSET
from .registry import declaration

__all__ = ["check_layout", "generate_tree"]


def generate_tree(layout: str, out: str) -> tuple[str, Optional[str]]:
    """A small tree of ``layout`` from its first generator (its ``small`` options): (root, sheet)."""
    generators = declaration(layout).generators
    assert generators, f"the {layout} layout declares no generator: give check_layout a tree of your own"
    generator = next(iter(generators.values()))
    tree = generator.load()(out, seed=0, progress=False, **generator.small)
    return tree.root, tree.sheet


def _one_line_error(run: Any, names: str) -> str:
    try:
        run()
    except LandmarksetError as error:
        text = str(error)
        assert "\n" not in text and names in text, f"the error should be one line naming {names}: {text!r}"
        return text
    raise AssertionError(f"a build with {names} missing did not fail")


def _arrays(path: str) -> dict[str, np.ndarray]:
    dataset = read_dataset(path)
    return {"X": dataset.X, "y": dataset.y, "sequence": np.asarray(dataset.sequence), "subject": dataset.subject}


def check_layout(
    layout: str,
    root: str,
    workdir: str,
    *,
    sheet: Optional[str] = None,
    backend: str = "dlib",
    expected: Optional[dict[str, int]] = None,
    **options: Any,
) -> list[str]:
    """Check that the layout named ``layout`` keeps landmarkset's promises on the tree ``root`` (and its
    ``sheet``), writing under ``workdir``; return the names of the checks run. AssertionError says which broke.

    It builds the tree (``backend``, ``options`` of :func:`landmarkset.datasets.build`, no neutral samples) and
    checks: the declaration; a missing root or sheet fails in one line naming it; the build succeeds with
    ``expected`` samples per class (when given); a re-run reuses every track and writes the same arrays; a
    corrupt frame fails its sequence alone; a frame folder linked from outside the root is refused alone.
    """
    declared, done = declaration(layout), []
    os.makedirs(workdir, exist_ok=True)
    assert declared.reads, f"declare `reads` on {declared.layout.__name__}: `landmarkset layouts` shows it"
    _ = declared.options  # a dict of Option, or an error saying so
    done.append("declaration")
    settings = {"backend": backend, "neutral": 0, "progress": False, **options}
    if declared.sheet_keyword:
        assert sheet is not None, f"the {layout} layout reads a sheet: give check_layout its path"
        settings[declared.sheet_keyword] = sheet
    missing = os.path.join(workdir, "no-such-root")
    _one_line_error(lambda: build(layout, missing, os.path.join(workdir, "x.h5"), **settings), missing)
    if declared.sheet_keyword:
        lost = {**settings, declared.sheet_keyword: os.path.join(workdir, "no-such-sheet.xlsx")}
        _one_line_error(lambda: build(layout, root, os.path.join(workdir, "x.h5"), **lost), "no-such-sheet")
    done.append("missing root and sheet: one line")

    store = os.path.join(workdir, "clean.h5")
    report = build(layout, root, store, **settings)
    assert report.ok and report.dataset is not None, report.summary()
    counts = report.dataset.counts()
    assert not expected or counts == expected, f"samples per class {counts}, expected {expected}"
    done.append("builds")
    first = _arrays(store)
    again = build(layout, root, store, **settings)
    assert again.ok and again.tracks_written == 0 and again.tracks_reused == report.tracks_written, again.summary()
    assert all(np.array_equal(value, _arrays(store)[key]) for key, value in first.items()), "a re-run changed /dataset"
    done.append("re-run resumes")

    items = {item.id: item for item in report.items}
    victim = items[str(report.dataset.sequence[0])]
    others = [str(s) for s in report.dataset.sequence if items[str(s)].folder != victim.folder]
    span, frames = settings.get("span", ONSET_OFFSET), settings.get("frames", 20)
    needed = victim.frames[victim.needed(span, frames)[0]]
    clean = {str(sequence): index for index, sequence in enumerate(report.dataset.sequence)}
    spoilers = (("corrupt frame said, the rest unchanged", _corrupt), ("link out of the root refused", _link_out))
    for name, spoil in spoilers:
        copy = os.path.join(workdir, name.split()[0])
        shutil.copytree(root, os.path.join(copy, "root"), symlinks=True)
        spoilt = spoil(os.path.join(copy, "root", os.path.relpath(victim.folder, root)), needed, copy)
        moved = dict(settings)
        if declared.sheet_keyword and _inside(sheet, root):  # the copy's own sheet
            moved[declared.sheet_keyword] = os.path.join(copy, "root", os.path.relpath(sheet, root))
        result = build(layout, os.path.join(copy, "root"), os.path.join(copy, "out.h5"), **moved)
        assert spoilt in result.summary(), f"{name}: {spoilt} is not named in the report:\n{result.summary()}"
        assert _link_out is not spoil or (not result.ok and victim.id not in set(result.dataset.sequence)), name
        after = {str(sequence): index for index, sequence in enumerate(result.dataset.sequence)}
        for sequence in others:  # every other sample as in the clean build
            assert np.array_equal(report.dataset.X[clean[sequence]], result.dataset.X[after[sequence]], equal_nan=True)
        done.append(name)
    return done


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(root)]) == os.path.abspath(root)


def _corrupt(folder: str, frame: str, workdir: str) -> str:
    """Overwrite a frame the sample reads (or the video itself) with bytes no decoder reads."""
    target = folder if os.path.isfile(folder) else os.path.join(folder, frame)
    with open(target, "wb") as handle:
        handle.write(b"not an image" * 16)
    return os.path.basename(target)


def _link_out(folder: str, frame: str, workdir: str) -> str:
    """Move ``folder`` outside the root and link it back."""
    outside = os.path.join(workdir, "outside", os.path.basename(folder))
    os.makedirs(os.path.dirname(outside), exist_ok=True)
    shutil.move(folder, outside)
    os.symlink(outside, folder)
    return os.path.basename(folder)
