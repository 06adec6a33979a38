"""CK+ as the licence holders receive it -> the paper's training set.

Layout (shared reference facts): cohn-kanade-images/S005/001/S005_001_00000001.png, one Landmarks file
per frame, one FACS file per sequence, an Emotion file only for the 327 labelled sequences. One extra
wrapper folder level is tolerated (e.g. Emotion_labels/Emotion, Landmarks/Landmarks). Folder names and
file contents are data: a sequence that cannot be read fails alone, with its reason.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any, ClassVar, Optional

import cv2
import numpy as np

from ..errors import InputError
from ..extraction.report import Failure
from ..extractors import Option
from ..facs import CKPLUS_CODE_OF, CKPLUS_CODES
from ..io.datasets import Dataset
from ..io.frames import natural_key
from ..provenance import LISTED_FRAMES, Provenance, fingerprint
from ..regions import N_LANDMARKS
from ..track import Track
from .build import BuildReport
from .declaration import SUBJECTS, Generator, LayoutBase, own_default
from .layout import Item, Scan, link_out_of, outside_root

__all__ = ["CkplusLayout", "build_ckplus", "find_ckplus", "read_code"]

TREES = ("cohn-kanade-images", "Landmarks", "FACS", "Emotion")
PROVIDED = "ckplus-landmarks"  # the backend name of tracks made from CK+'s own Landmarks files
_FRAME = re.compile(r"^(S\d+)_(\d+)_(\d+)\.(png|jpg|jpeg|bmp|tif|tiff)$", re.IGNORECASE)
_MAX_TEXT = 4096  # an Emotion or Landmarks file is a few hundred bytes


def find_ckplus(root: str) -> dict[str, Optional[str]]:
    """The four CK+ trees under ``root`` (None where absent), allowing one wrapper folder level."""
    if not os.path.isdir(root):
        raise InputError(f"{root}: no such folder")
    found: dict[str, Optional[str]] = {}
    children = [os.path.join(root, name) for name in sorted(os.listdir(root)) if not name.startswith(".")]
    for tree in TREES:
        # The right folder holds subject folders (S005...): Landmarks/Landmarks is a wrapper, then the tree.
        candidates = [os.path.join(root, tree)] + [os.path.join(child, tree) for child in children]
        found[tree] = next((c for c in candidates if os.path.isdir(c) and _has_subjects(c)), None)
    if found["cohn-kanade-images"] is None:
        raise InputError(f"{root}: no cohn-kanade-images folder (checked one wrapper level down): is this CK+?")
    return found


def _has_subjects(folder: str) -> bool:
    return any(re.fullmatch(r"S\d+", name) and os.path.isdir(os.path.join(folder, name)) for name in os.listdir(folder))


def _text(path: str, what: str) -> str:
    """A small text file's content; InputError when it is binary, huge or unreadable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_TEXT + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None
    if len(data) > _MAX_TEXT:
        raise InputError(f"{path}: not a CK+ {what} file (larger than {_MAX_TEXT} bytes)")
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark, as Windows editors write
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a CK+ {what} file (binary content)") from None


def read_code(path: str) -> int:
    """The emotion code in a CK+ Emotion file (one number, e.g. '   3.0000000e+00'); InputError if it is not one."""
    tokens = _text(path, "emotion").split()
    try:
        value = float(tokens[0])
    except (ValueError, IndexError):
        raise InputError(
            f"{path}: not a CK+ emotion file (expected one number, found {' '.join(tokens)[:40]!r})"
        ) from None
    if len(tokens) != 1 or not value.is_integer() or int(value) not in CKPLUS_CODES:
        raise InputError(f"{path}: emotion code {' '.join(tokens)[:40]} is not a CK+ code (one number, 0-7)")
    return int(value)


def read_landmarks_file(path: str) -> np.ndarray:
    """68 (x, y) pixel points from a CK+ Landmarks file; InputError when it is not one."""
    rows = [line.split() for line in _text(path, "landmarks").splitlines() if line.strip()]
    try:
        points = np.array(rows, dtype=np.float64)
    except ValueError:
        raise InputError(f"{path}: not a CK+ landmarks file (68 lines of two numbers)") from None
    if points.shape != (N_LANDMARKS, 2):
        shape = f"{len(rows)} rows" if points.ndim != 2 else f"{points.shape[0]} rows of {points.shape[1]} numbers"
        raise InputError(f"{path}: {shape}, expected 68 rows of 2 numbers")
    if not np.isfinite(points).all():
        raise InputError(f"{path}: holds a value that is not a finite number")
    return points


class CkplusLayout(LayoutBase):
    """The CK+ tree under ``root``. Labelled sequences (an Emotion file) become items; the class list is the
    paper's (contempt only with ``keep_contempt``); ``labels_dir`` receives CK+-style label files of every
    sample after a build."""

    name = "CK+"
    reads = "CK+ as distributed: cohn-kanade-images, Emotion, Landmarks"
    provides_landmarks = True
    neutral = "auto"
    options: ClassVar[dict[str, Option]] = {
        "keep_contempt": Option(bool, False, "Keep the contempt class (dropped by default, as in the paper)."),
        "labels_dir": Option(str, None, "Also write CK+-style label files for every sample here.", allow_none=True),
    }
    generators: ClassVar[dict[str, Generator]] = {
        "ckplus": Generator(
            "landmarkset.synth:synth_ckplus",
            {"subjects": SUBJECTS,
             "sequences_per_subject": own_default(int, "Expression sequences per subject.", low=1),
             "unlabelled_rate": own_default(float, "Share of sequences without an Emotion file.", low=0, high=1),
             "nuisances": own_default(str, "Nuisances of real video in every sequence: all, none (the "
                                      "generator before 0.5), or a comma list of speech, blinks, head_rotation, drift, "
                                      "intensity."),
             "neutral_sequences": own_default(int, "Sequences per subject with no expression (CK+ code 0), moving "
                                              "only by the nuisances.", low=0)},
            "A CK+-layout tree: cohn-kanade-images/, Landmarks/, FACS/, Emotion/ and landmarkset_truth.json.",
            workers=True,
            small={"subjects": 2, "sequences_per_subject": 3},
            packaged_faces=True,
        )
    }  # fmt: skip

    @property
    def classes(self) -> list[str]:  # type: ignore[override]
        return [name for code, name in sorted(CKPLUS_CODES.items()) if self.keep_contempt or name != "contempt"]

    @functools.cached_property
    def trees(self) -> dict[str, Optional[str]]:
        """The release's four trees under the root (read on first use)."""
        trees = find_ckplus(self.root)
        if trees["Emotion"] is None:
            raise InputError(f"{self.root}: no Emotion folder: CK+ labels come from Emotion/S###/###/*_emotion.txt")
        return trees

    def settings(self) -> dict[str, Any]:
        return {"dataset": "CK+", "keep_contempt": int(self.keep_contempt)}

    def finish(self, report: Any) -> None:
        if self.labels_dir and report.dataset is not None:
            self.write_label_files(self.labels_dir, report.dataset, {item.id: item for item in report.items})

    def scan(self) -> Scan:
        """Every labelled sequence folder with its frames (by the integer frame field) and its label."""
        images = self.trees["cohn-kanade-images"]
        scan = Scan()
        for subject in sorted(os.listdir(images), key=natural_key):
            subject_dir = os.path.join(images, subject)
            if subject.startswith(".") or not os.path.isdir(subject_dir):
                continue
            try:
                sequences = sorted(os.listdir(subject_dir), key=natural_key)
            except OSError as error:  # an unreadable folder fails alone; the rest is built
                scan.failed.append(Failure(subject_dir, f"cannot list this folder ({error.strerror or error})"))
                continue
            for sequence in sequences:
                folder = os.path.join(subject_dir, sequence)
                if not sequence.startswith(".") and os.path.isdir(folder):
                    try:
                        self._scan_sequence(subject, sequence, folder, scan)
                    except OSError as error:
                        where = error.filename or folder
                        scan.failed.append(Failure(where, f"cannot list this folder ({error.strerror or error})"))
        return scan

    def _scan_sequence(self, subject: str, sequence: str, folder: str, scan: Scan) -> None:
        frames: dict[int, str] = {}
        for name in sorted(os.listdir(folder)):
            match = _FRAME.match(name)
            if match and not name.startswith("."):
                number = int(match.group(3))
                if number in frames:
                    scan.failed.append(Failure(folder, f"two files for frame {number}: {frames[number]} and {name}"))
                    return
                frames[number] = name
        if not frames:
            scan.failed.append(Failure(folder, "sequence folder has no CK+ frames (S###_###_########.png)"))
            return
        emotion_dir = os.path.join(self.trees["Emotion"], subject, sequence)
        names = sorted(n for n in os.listdir(emotion_dir) if n.endswith("_emotion.txt")) if os.path.isdir(
            emotion_dir
        ) else []  # fmt: skip
        if not names:
            return  # unlabelled (266 of CK+'s 593)
        linked = outside_root(self.root, [os.path.join(folder, n) for n in frames.values()]
                              + [os.path.join(emotion_dir, n) for n in names])  # fmt: skip
        if linked is not None:
            scan.failed.append(Failure(linked, link_out_of(self.root, linked)))
            return
        codes = {}
        for name in names:
            path = os.path.join(emotion_dir, name)
            try:
                codes[path] = read_code(path)
            except InputError as error:
                scan.failed.append(Failure(path, str(error).removeprefix(f"{path}: ")))
                return
        if len(set(codes.values())) > 1:
            listing = ", ".join(f"{os.path.basename(p)}: {c}" for p, c in codes.items())
            scan.failed.append(Failure(emotion_dir, f"Emotion files disagree ({listing}); fix the labels"))
            return
        origin = next(iter(codes))
        frames = dict(sorted(frames.items()))
        scan.items.append(
            Item(
                id=f"{subject}__{sequence}",
                subject=subject,
                label=CKPLUS_CODES[codes[origin]],
                folder=folder,
                frames=frames,
                origin=origin,
                extra={"sequence": sequence},
            )
        )

    def _landmark_files(self, item: Item) -> list[str]:
        folder = os.path.join(self.trees["Landmarks"] or "", item.subject, item.extra["sequence"])
        return [os.path.join(folder, os.path.splitext(name)[0] + "_landmarks.txt") for name in item.frames.values()]

    def provided_provenance(self, item: Item) -> Provenance:
        if self.trees["Landmarks"] is None:
            raise InputError(f"{self.root}: no Landmarks folder, which --landmarks provided reads")
        files = [path for path in self._landmark_files(item) if os.path.isfile(path)]
        frames = [os.path.join(item.folder, name) for name in item.frames.values()]
        path = os.path.relpath(item.folder, self.root).replace(os.sep, "/")
        selection = tuple(number - 1 for number in item.frames)
        return Provenance(PROVIDED, "CK+ Landmarks files", {"landmarks": "provided"}, selection,
                          fingerprint(frames + files, path))  # fmt: skip

    def provided_track(self, item: Item, provenance: Provenance) -> Track:
        """The track of CK+'s own Landmarks files; a frame without a file stays in place, invalid."""
        first = os.path.join(item.folder, next(iter(item.frames.values())))
        image = cv2.imread(first, cv2.IMREAD_UNCHANGED)
        if image is None:
            raise InputError(f"{first}: cannot read this image")
        height, width = image.shape[:2]
        n = len(item.frames)
        points = np.full((n, N_LANDMARKS, 2), np.nan, np.float32)
        linked = outside_root(self.root, [path for path in self._landmark_files(item) if os.path.lexists(path)])
        if linked is not None:
            raise InputError(f"{linked}: {link_out_of(self.root, linked)}")
        for row, path in enumerate(self._landmark_files(item)):
            if os.path.isfile(path):  # a missing file leaves the frame invalid, in place
                pixels = read_landmarks_file(path)
                if (pixels < -width).any() or (pixels[:, 0] > 2 * width).any() or (pixels[:, 1] > 2 * height).any():
                    raise InputError(f"{path}: points lie far outside the {width}x{height} frame")
                points[row] = pixels / [width, height]
        valid = np.isfinite(points).all(axis=(1, 2))
        box = np.full((n, 4), np.nan, np.float32)
        box[valid] = np.concatenate([points[valid].min(axis=1), points[valid].max(axis=1)], axis=1)
        return Track(
            id=item.id,
            landmarks=points,
            valid=valid,
            confidence=np.where(valid, 1.0, np.nan),
            frame_index=np.array(provenance.selection),
            timestamp=np.full(n, np.nan),
            box=box,
            faces_detected=np.full(n, -1),
            width=width,
            height=height,
            source=os.path.abspath(item.folder),
            backend=provenance.backend,
            backend_version=provenance.backend_version,
            backend_options=dict(provenance.backend_options),
            subject=item.subject,
            label=item.label,
            frame_names=list(item.frames.values()),
            selection=LISTED_FRAMES,
            source_fingerprint=dict(provenance.source or {}),
        )

    def write_label_files(self, labels_dir: str, dataset: Dataset, items: dict[str, Item]) -> None:
        """CK+-style Emotion files for every sample; synthetic neutral samples in folders of their own."""
        codes = CKPLUS_CODE_OF
        for index in range(len(dataset)):
            item = items[dataset.source_sequence(index)]
            synthetic = bool(dataset.synthetic[index])
            folder = f"{item.extra['sequence']}{'_neutral' if synthetic else ''}"
            stem = f"{item.subject}_{folder}_{int(dataset.source_frames[index][-1]) + 1:08d}_emotion.txt"
            os.makedirs(os.path.join(labels_dir, item.subject, folder), exist_ok=True)
            with open(os.path.join(labels_dir, item.subject, folder, stem), "w") as handle:
                handle.write(f"   {float(codes[dataset.classes[dataset.y[index]]]):.7e}\n")


def build_ckplus(root: str, output: str, **options: Any) -> BuildReport:
    """Build the paper's CK+ dataset into ``output`` (its tracks plus ``/dataset``): ``build("ckplus", ...)``.

    ``landmarks="provided"`` reads CK+'s own Landmarks files; otherwise ``backend`` extracts them from the
    images (only the labelled sequences kept). Labelled sequences with fewer than ``min_frames`` frames are
    dropped, contempt too unless ``keep_contempt``; ``neutral`` synthetic neutral samples are made from
    random sequences' first frames (``seed``; "auto": as many as an average class holds, at most the paper's
    50, counting the real neutral samples); ``labels_dir`` receives CK+-style label files of every sample.
    The other options are those of :func:`landmarkset.datasets.build_dataset`.
    """
    from .build import build

    return build("ckplus", root, output, **options)
