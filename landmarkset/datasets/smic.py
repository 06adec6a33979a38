"""The SMIC layout (Li et al., 2013): micro-expression clips whose class is their folder.

Found under the root or one wrapper folder down: ``SMIC_all_cropped/HS/s1/micro/positive/s1_po_01/``
(cameras HS at 100 fps, VIS and NIR at 25 fps; subjects ``s<N>``; classes positive, negative, surprise).
Frames are the images of a clip folder, numbered by the integer ending their names (the release's file
names are not confirmed, so any numbered image is a frame). There is no recognition sheet.

Policies, each recorded: a clip's interval is its first to its last frame and its apex the middle frame
(the release gives none: ``settings`` says so); a clip folder under ``non_micro/`` is dropped (not a
micro-expression, SMIC-E's); an unknown class folder, a subject folder that is not ``s<N>`` with micro
clips, an empty or unreadable clip folder and a link out of the root each fail alone.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, ClassVar, Optional

from ..errors import InputError
from ..extraction.report import Failure
from ..extractors import Option
from .declaration import SUBJECTS, Generator, LayoutBase, own_default
from .layout import Item, Scan, link_out_of, numbered_frames, outside_root

__all__ = ["SMIC_CLASSES", "SmicLayout", "build_smic"]

SMIC_TREE = "SMIC_all_cropped"
SMIC_CLASSES = ("negative", "positive", "surprise")
CAMERA_FPS = {"HS": 100.0, "VIS": 25.0, "NIR": 25.0}
NOT_MICRO = "non_micro"
_SUBJECT = re.compile(r"^s\d+$")
_NUMBER_AT_END = re.compile(r"(\d+)$")


def _number_at_end(stem: str) -> Optional[int]:
    match = _NUMBER_AT_END.search(stem)
    return int(match.group(1)) if match else None


def _visible_folders(folder: str) -> list[str]:
    return sorted(
        name for name in os.listdir(folder) if not name.startswith(".") and os.path.isdir(os.path.join(folder, name))
    )


def find_smic_tree(root: str) -> Optional[str]:
    for base in [root, *(os.path.join(root, name) for name in _visible_folders(root))]:
        if os.path.isdir(os.path.join(base, SMIC_TREE)):
            return os.path.join(base, SMIC_TREE)
    return None


class SmicLayout(LayoutBase):
    """The SMIC tree under ``root``, clips of one ``camera`` (see the module doc)."""

    name = "SMIC"
    reads = "SMIC (HS, VIS or NIR): SMIC_all_cropped, the class from each clip's folder"
    options: ClassVar[dict[str, Option]] = {
        "camera": Option(str, "HS", "Which of SMIC's cameras (HS: 100 fps; VIS, NIR: 25 fps).",
                         choices=tuple(CAMERA_FPS)),
    }  # fmt: skip
    generators: ClassVar[dict[str, Generator]] = {
        "smic": Generator(
            "landmarkset.synth:synth_smic",
            {"subjects": SUBJECTS,
             "clips_per_subject": own_default(int, "Clips per subject.", low=1)},
            "A SMIC-HS tree: SMIC_all_cropped/HS/sN/micro/<class>/<clip>/imageN.jpg (no sheet: the class is the "
            "folder).",
            small={"subjects": 2, "clips_per_subject": 3},
        )
    }  # fmt: skip

    @functools.cached_property
    def tree(self) -> str:
        """The camera's folder of the release (read on first use)."""
        tree = find_smic_tree(self.root)
        if tree is None:
            raise InputError(f"{self.root}: no {SMIC_TREE} folder (checked one wrapper level down): is this SMIC?")
        if not os.path.isdir(os.path.join(tree, self.camera)):
            raise InputError(
                f"{tree}: no {self.camera} folder: choose a camera the release has ({', '.join(CAMERA_FPS)})"
            )
        return os.path.join(tree, self.camera)

    def inputs(self) -> list[str]:
        return [self.root]

    def settings(self) -> dict[str, Any]:
        return {
            "dataset": "SMIC",
            "camera": self.camera,
            "fps": CAMERA_FPS[self.camera],
            "interval_policy": "no sheet: onset and offset are the clip's first and last frames, apex the middle one",
        }

    def scan(self) -> Scan:
        scan = Scan()
        for subject in _visible_folders(self.tree):
            where = os.path.join(self.tree, subject)
            try:
                kinds = _visible_folders(where)
            except OSError as error:
                scan.failed.append(Failure(where, f"cannot list this folder ({error.strerror})"))
                continue
            if not _SUBJECT.match(subject):
                if "micro" in kinds:
                    scan.failed.append(Failure(where, f"subject folder {subject!r} is not s<N>: rename it"))
                continue
            for kind in kinds:
                if kind == NOT_MICRO:
                    for label in _visible_folders(os.path.join(where, kind)):
                        for clip in _visible_folders(os.path.join(where, kind, label)):
                            scan.dropped.append((clip, "a non_micro clip (not a micro-expression)"))
                elif kind == "micro":
                    self._classes(os.path.join(where, kind), subject, scan)
        return scan

    def _classes(self, folder: str, subject: str, scan: Scan) -> None:
        for label in _visible_folders(folder):
            if label.lower() not in SMIC_CLASSES:
                scan.failed.append(
                    Failure(
                        os.path.join(folder, label), f"class folder {label!r} is not one of {', '.join(SMIC_CLASSES)}"
                    )
                )
                continue
            for clip in _visible_folders(os.path.join(folder, label)):
                path = os.path.join(folder, label, clip)
                try:
                    scan.items.append(self._item(path, subject, label.lower(), clip))
                except InputError as error:
                    scan.failed.append(Failure(path, str(error)))
                except OSError as error:
                    scan.failed.append(Failure(path, f"cannot list this folder ({error.strerror})"))

    def _item(self, folder: str, subject: str, label: str, clip: str) -> Item:
        frames = numbered_frames(folder, _number_at_end)
        if not frames:
            raise InputError("no numbered frames in this clip folder")
        linked = outside_root(self.root, [folder] + [os.path.join(folder, name) for name in frames.values()])
        if linked is not None:
            raise InputError(f"{os.path.relpath(linked, self.root)} {link_out_of(self.root, linked)}")
        # Frame numbers from 1 in file order (the names' own numbers may start anywhere).
        ordered = {number: name for number, name in enumerate(frames.values(), start=1)}
        last = len(ordered)
        interval = (1, (1 + last) // 2, last)
        origin = os.path.relpath(folder, self.root)
        return Item(
            f"{subject}__{clip}", subject, label, folder, ordered, origin, interval, "micro", {"camera": self.camera}
        )


def build_smic(root: str, output: str, **options: Any) -> Any:
    """Build a SMIC dataset: ``build("smic", root, output, ...)`` (``camera``; the other options: those of
    :func:`landmarkset.datasets.build_dataset`)."""
    from .build import build

    return build("smic", root, output, **options)
