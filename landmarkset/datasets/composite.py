"""Composite datasets: built datasets merged into one, their subjects kept apart (the MEGC 2019 protocol).

Each input is a part with a name (``SAMM``, ``CASME2``...). Its subjects and sequences are prefixed with
that name (``CASME2__sub01``), so ``S01`` of two sets are two people and leave-one-subject-out folds
over the composite never put one set's subject in another's test part. The tracks are copied under the
same prefixed ids, so figures still find them. A class mapping (:data:`CLASS_MAPPINGS`, declared here
only) turns each part's labels into the composite's classes; labels it leaves out are counted per part
and recorded, never dropped silently. Parts must share the frames per sample and the landmark source
(a model must not learn which dataset a sample comes from through its landmarks).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import numpy as np

from ..errors import InputError, OptionError
from ..io.datasets import Dataset, read_dataset
from ..io.tracks import open_tracks
from ..names import name_problem
from ..provenance import sha256_of
from ..track import Track

__all__ = ["CLASS_MAPPINGS", "ClassMapping", "MergeReport", "merge_datasets", "parse_parts"]

PART_SEPARATOR = "__"  # between a part's name and a subject or sequence id


@dataclass(frozen=True)
class ClassMapping:
    """Source labels (any case) -> the composite's classes; ``left_out`` are labels left out on purpose."""

    name: str
    classes: tuple[str, ...]
    members: dict[str, str]
    left_out: tuple[str, ...]
    reference: str

    def class_of(self, label: str) -> Optional[str]:
        return self.members.get(label.strip().lower())

    def table(self) -> dict[str, list[str]]:
        """The composite's class -> the source labels it takes (for the record)."""
        return {name: sorted(k for k, v in self.members.items() if v == name) for name in self.classes}


_NEGATIVE = ("negative", "sadness", "sad", "disgust", "contempt", "fear", "anger", "angry", "repression")
CLASS_MAPPINGS: dict[str, ClassMapping] = {
    "megc2019": ClassMapping(
        name="megc2019",
        classes=("negative", "positive", "surprise"),
        members={
            **{label: "negative" for label in _NEGATIVE},
            **{label: "positive" for label in ("positive", "happiness", "happy")},
            "surprise": "surprise",
        },
        left_out=("others", "other", "neutral"),
        reference="MEGC 2019 composite (CDE): SAMM + CASME II + SMIC-HS in 3 classes; CASME II repression as "
        "negative; others left out",
    ),
}
KEEP_LABELS = "keep"  # no mapping: the parts' own labels, as they are


@dataclass
class MergeReport:
    """What a merge wrote: samples and subjects per part and class, and the labels it left out."""

    output: str
    classes: list[str]
    mapping: str
    samples: dict[str, dict[str, int]] = field(default_factory=dict)  # part -> class -> samples
    subjects: dict[str, int] = field(default_factory=dict)  # part -> subjects kept
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)  # part -> label -> samples left out
    dataset: Optional[Dataset] = field(default=None, repr=False)

    def summary(self) -> str:
        width = max(len(name) for name in [*self.samples, "part"])
        lines = [f"composite written to {self.output}:/dataset (classes by {self.mapping})"]
        lines.append(f"{'part':<{width}}  subjects  " + "  ".join(f"{c:>8}" for c in self.classes) + "  left out")
        for part, counts in self.samples.items():
            left = ", ".join(f"{label} {n}" for label, n in sorted(self.left_out.get(part, {}).items())) or "-"
            cells = "  ".join(f"{counts.get(c, 0):>8}" for c in self.classes)
            lines.append(f"{part:<{width}}  {self.subjects[part]:>8}  {cells}  {left}")
        return "\n".join(lines)


def parse_parts(arguments: list[str]) -> dict[str, str]:
    """``NAME=PATH`` (or a bare PATH, named by its file's stem) -> {name: path}; OptionError on a clash."""
    parts: dict[str, str] = {}
    for argument in arguments:
        name, _, path = argument.rpartition("=") if "=" in argument else ("", "", argument)
        name = name or os.path.splitext(os.path.basename(path))[0]
        problem = name_problem(name) or ("it contains '__'" if PART_SEPARATOR in name else None)
        if problem:
            raise OptionError(f"{argument}: the part name {name!r} cannot be used ({problem}): give NAME=PATH")
        if name in parts:
            raise OptionError(f"{argument}: two parts are named {name!r}: give each NAME=PATH")
        parts[name] = path
    if len(parts) < 2:
        raise OptionError("a composite needs at least two datasets (NAME=PATH ...)")
    return parts


def _same(parts: dict[str, Dataset], what: str, value: Any) -> None:
    found = {name: value(dataset) for name, dataset in parts.items()}
    if len(set(map(str, found.values()))) > 1:
        listed = ", ".join(f"{name} {v}" for name, v in found.items())
        raise InputError(f"the datasets differ in {what} ({listed}): build every part with the same {what}")


def _landmarks(dataset: Dataset) -> str:
    settings = json.loads(dataset.attrs.get("settings", "{}") or "{}")
    return str(settings.get("landmarks", dataset.attrs.get("backend", "unknown")))


def _span(dataset: Dataset) -> str:
    settings = json.loads(dataset.attrs.get("settings", "{}") or "{}")
    return str(settings.get("span", "onset-offset"))


def _prefixed(part: str, name: str) -> str:
    return f"{part}{PART_SEPARATOR}{name}"


def merge_datasets(
    inputs: dict[str, str], output: str, *, mapping: str = "megc2019", overwrite: bool = False
) -> MergeReport:
    """Merge the built datasets ``inputs`` ({part name: file}) into ``output`` (see the module doc).

    ``mapping`` names a :data:`CLASS_MAPPINGS` entry, or ``"keep"`` for the parts' own labels.
    """
    from ..io.writer import refuse_input_as_output
    from .build import write_dataset

    if mapping != KEEP_LABELS and mapping not in CLASS_MAPPINGS:
        raise OptionError(
            f"The 'mapping' parameter must be one of {', '.join([*CLASS_MAPPINGS, KEEP_LABELS])}. "
            f"Got {mapping!r} instead."
        )
    chosen = CLASS_MAPPINGS.get(mapping)
    for name, path in inputs.items():
        if not os.path.isfile(path):
            why = "no such file" if not os.path.exists(path) else "not a regular file"
            raise InputError(f"{path} (part {name}): {why}: give the path of a built dataset")
    digests = {name: sha256_of(path) for name, path in inputs.items()}
    for name, digest in digests.items():
        twin = next((other for other in digests if other != name and digests[other] == digest), None)
        if twin is not None:
            raise InputError(
                f"parts {twin} and {name} are one dataset ({inputs[twin]}, {inputs[name]}: the same content): merged "
                "with itself, leave-one-subject-out would test on training samples; merge different datasets"
            )
    refuse_input_as_output(output, list(inputs.values()))
    if os.path.exists(output) and not overwrite:
        raise OptionError(f"{output} exists: give another -o, or --overwrite to replace it whole")
    read = {name: read_dataset(path) for name, path in inputs.items()}
    if not read[next(iter(read))].X.ndim == 4 or any(d.X.ndim != 4 for d in read.values()):
        raise InputError("every part must be a landmark dataset (N, frames, 68, 2)")
    _same(read, "frames per sample (--frames)", lambda d: d.X.shape[1])
    _same(read, "landmarks (--backend or --landmarks)", _landmarks)
    _same(read, "span (--apex: onset to apex, else onset to offset)", _span)
    classes = (
        list(chosen.classes)
        if chosen
        else sorted({c for d in read.values() for c in d.classes}, key=lambda name: (name != "neutral", name))
    )
    report = MergeReport(output=output, classes=classes, mapping=mapping)
    keep: dict[str, np.ndarray] = {}
    for name, dataset in read.items():
        labels = [dataset.classes[label] for label in dataset.y]
        mapped = [chosen.class_of(label) if chosen else label for label in labels]
        keep[name] = np.array([target is not None for target in mapped], dtype=bool)
        report.left_out[name] = dict(Counter(label for label, target in zip(labels, mapped) if target is None))
        report.samples[name] = dict(Counter(target for target in mapped if target is not None))
        report.subjects[name] = len({s for s, k in zip(dataset.subject, keep[name]) if k})
        if not keep[name].any():
            raise InputError(
                f"{inputs[name]}: none of its classes ({', '.join(dataset.classes)}) is in the "
                f"{mapping} mapping: merge it with --classes keep, or leave it out"
            )
    merged = _merge(read, keep, classes, chosen)
    merged.tracks = _renamed_tracks(inputs, read, keep)
    merged.attrs.update(
        composite=json.dumps(
            {
                "mapping": mapping,
                "classes": classes,
                "table": chosen.table() if chosen else None,
                "reference": chosen.reference if chosen else "",
                "parts": {
                    name: {
                        "file": os.path.abspath(path),
                        "sha256": digests[name],
                        "layout": str(read[name].attrs.get("layout", "")),
                        "samples": int(keep[name].sum()),
                        "left_out": report.left_out[name],
                    }
                    for name, path in inputs.items()
                },
            }
        )
    )
    write_dataset(output, merged, overwrite=overwrite, inputs=list(inputs.values()))
    report.dataset = merged
    return report


def _merge(
    read: dict[str, Dataset], keep: dict[str, np.ndarray], classes: list[str], chosen: Optional[ClassMapping]
) -> Dataset:
    index = {name: i for i, name in enumerate(classes)}
    X, y, subject, sequence, synthetic, frames, intervals, kinds, parts = [], [], [], [], [], [], [], [], []
    for name, dataset in read.items():
        kept = np.flatnonzero(keep[name])
        part_kinds = json.loads(dataset.attrs.get("interval_kinds", "[]")) or [""] * len(dataset)
        for i in kept:
            label = dataset.classes[dataset.y[i]]
            y.append(index[chosen.class_of(label) if chosen else label])
            subject.append(_prefixed(name, dataset.subject[i]))
            sequence.append(_prefixed(name, dataset.sequence[i]))
            kinds.append(part_kinds[i])
            parts.append(name)
        X.append(dataset.X[kept])
        synthetic.append(dataset.synthetic[kept])
        frames.append(dataset.source_frames[kept])
        intervals.append(
            dataset.intervals[kept] if dataset.intervals is not None else np.full((len(kept), 3), -1, dtype=np.int32)
        )
    first = next(iter(read.values()))
    attrs = {key: first.attrs[key] for key in ("frames", "min_frames", "resampling", "smoothing") if key in first.attrs}
    attrs.update(
        layout="composite",
        neutral_sources=json.dumps([]),
        neutral_seed=-1,
        dropped=json.dumps([]),
        landmarks=_landmarks(first),
        settings=json.dumps({"layout": "composite", "landmarks": _landmarks(first), "frames": int(first.X.shape[1])}),
    )
    if any(kinds):
        attrs["interval_kinds"] = json.dumps(kinds)
    has_intervals = any(d.intervals is not None for d in read.values())
    return Dataset(
        X=np.concatenate(X).astype(np.float32),
        y=np.array(y, dtype=np.int64),
        classes=classes,
        subject=subject,
        sequence=sequence,
        synthetic=np.concatenate(synthetic).astype(bool),
        source_frames=np.concatenate(frames).astype(np.int32),
        attrs=attrs,
        intervals=np.concatenate(intervals).astype(np.int32) if has_intervals else None,
        parts=parts,
    )


def _renamed_tracks(inputs: dict[str, str], read: dict[str, Dataset], keep: dict[str, np.ndarray]) -> dict[str, Track]:
    """The kept samples' tracks, under their part's prefix (a part without its tracks gives none)."""
    tracks: dict[str, Track] = {}
    for name, dataset in read.items():
        wanted = {dataset.source_sequence(i) for i in np.flatnonzero(keep[name])}
        with open_tracks(inputs[name], person=dataset.person) as store:  # several faces: the labelled person
            for track_id in sorted(wanted):
                if track_id in store:
                    track = store[track_id]
                    renamed = _prefixed(name, track.id)
                    tracks[renamed] = replace(track, id=renamed, subject=_prefixed(name, track.subject))
    return tracks
