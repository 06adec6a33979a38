"""model.pt: a typed, versioned record of a trained model (docs/training.md, "The model file").

The file is a plain dictionary that ``torch.load(..., weights_only=True)`` opens without running code:
``format`` ("landmarkset-model"), ``format_version`` ("MAJOR.MINOR"), ``record`` (the fields of
:class:`ModelRecord`) and ``state_dict``. A reader accepts its own major version and older ones; a newer
major version is refused ("update landmarkset"). Files written by landmarkset 0.1 and 0.2 (an untyped
dictionary, format 1) are read and converted.
"""

from __future__ import annotations

import errno
import os
import pickle
import warnings
from dataclasses import asdict, dataclass, field, fields
from typing import Any, BinaryIO, Optional, Union

import torch
from torch import nn

from landmarkset.errors import InputError, OptionError
from landmarkset.runfolder import atomic_path

from .spec import ModelSpec, get_model, get_spec

FORMAT = "landmarkset-model"
FORMAT_VERSION = "2.0"


@dataclass
class ModelRecord:
    """Everything needed to rebuild, feed and trace a trained model, besides its weights."""

    model: str  # registered name (ModelSpec.name)
    arguments: dict[str, Any]  # constructor arguments
    classes: list[str]
    input: dict[str, Any]  # {"kind", "preprocessing", "dimensions"}: what samples it takes and how they are prepared
    training: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields and the protocol
    data: dict[str, Any] = field(default_factory=dict)  # path, sha256, samples, resampling of the training data
    versions: dict[str, str] = field(default_factory=dict)
    fold: Optional[int] = None  # fold checkpoints: the fold number and its test samples
    test_indices: Optional[list[int]] = None

    @property
    def spec(self) -> ModelSpec:
        return get_spec(self.model)

    @property
    def preprocessing(self) -> str:
        return self.input["preprocessing"]

    @property
    def dimensions(self) -> dict[str, int]:
        return self.input["dimensions"]


def save_model(path: Union[str, BinaryIO], model: nn.Module, record: ModelRecord) -> Union[str, BinaryIO]:
    """Write ``model``'s weights with ``record`` to ``path`` (a file name, written through a temporary file so
    that a full disk or a kill leaves the earlier file or none; or a binary file object)."""
    content = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "record": asdict(record),
        "state_dict": {key: value.cpu() for key, value in model.state_dict().items()},
    }
    if not isinstance(path, str):
        torch.save(content, path)
        return path
    try:
        with atomic_path(path) as partial:
            torch.save(content, partial)
    except RuntimeError as error:  # torch's writer reports a failed write (a full disk) as a RuntimeError
        raise OSError(errno.EIO, f"cannot write the model file ({' '.join(str(error).split())[:120]})", path) from None
    return path


def _from_format_1(content: dict[str, Any]) -> ModelRecord:
    """The untyped dictionary of landmarkset 0.1 / 0.2 (TCN and SCN only), read through the model's declaration."""
    spec = get_spec(content["model"])
    shape = dict(content["shape"])
    dimensions, preprocessing = spec.input.from_format_1(shape, dict(content.get("preprocessing", {})))
    return ModelRecord(
        model=content["model"],
        arguments=shape,
        classes=list(content["classes"]),
        input={"kind": spec.input.name, "preprocessing": preprocessing, "dimensions": dimensions},
        data=dict(content.get("trained_on", {})),
        versions={"landmarkset": str(content.get("landmarkset_version", "0.1"))},
        fold=content.get("fold"),
        test_indices=content.get("test_indices"),
    )


def _record(content: Any, path: str) -> ModelRecord:
    if not isinstance(content, dict):
        raise InputError(f"{path}: not a landmarkset model file (it holds a {type(content).__name__})")
    if "format" not in content:
        if {"model", "shape", "classes", "state_dict"} <= set(content):
            return _from_format_1(content)
        raise InputError(f"{path}: not a landmarkset model file (no 'format' entry)")
    if content["format"] != FORMAT:
        raise InputError(f"{path}: not a landmarkset model file (format {content['format']!r})")
    version = str(content.get("format_version", ""))
    major = version.split(".")[0]
    if not major.isdigit():
        raise InputError(f"{path}: model file version {version!r} is not MAJOR.MINOR")
    if int(major) > int(FORMAT_VERSION.split(".")[0]):
        raise InputError(
            f"{path}: model file format {version} is newer than this landmarkset reads ({FORMAT_VERSION}): "
            "update landmarkset (pip install -U landmarkset)"
        )
    known = {f.name for f in fields(ModelRecord)}
    given = content["record"]
    if not isinstance(given, dict):
        raise InputError(f"{path}: not a landmarkset model file (its record is a {type(given).__name__})")
    missing = sorted({"model", "arguments", "classes", "input"} - set(given))
    if missing:
        raise InputError(f"{path}: its record has no {missing[0]!r} field: train it again")
    record = ModelRecord(**{k: v for k, v in given.items() if k in known})  # newer minor: extra fields
    _check_record(record, path)
    return record


def _is_count(value: Any, least: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _check_record(record: ModelRecord, path: str) -> None:
    """InputError in one line naming the first field of ``record`` that is not what a model file holds."""

    def bad(name: str, why: str) -> InputError:
        return InputError(f"{path}: its record's {name!r} {why}: train it again (the file was edited or damaged)")

    if not isinstance(record.model, str) or not record.model:
        raise bad("model", "is not a model name")
    if not isinstance(record.arguments, dict) or not all(isinstance(key, str) for key in record.arguments):
        raise bad("arguments", f"is not a mapping of constructor arguments ({str(record.arguments)[:40]!r})")
    classes = record.classes
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) and c for c in classes):
        raise bad("classes", f"is not a list of class names ({str(classes)[:40]!r})")
    if len(set(classes)) != len(classes):
        raise bad("classes", f"names a class twice ({classes})")
    given = record.input
    if (
        not isinstance(given, dict)
        or not isinstance(given.get("kind"), str)
        or not isinstance(given.get("preprocessing"), str)
    ):
        raise bad("input", "does not name its kind and preprocessing")
    dimensions = given.get("dimensions")
    if not isinstance(dimensions, dict) or not dimensions or not all(_is_count(v, 1) for v in dimensions.values()):
        raise bad("input", f"has dimensions that are not positive whole numbers ({str(dimensions)[:60]!r})")
    for name in ("training", "data", "versions"):
        if not isinstance(getattr(record, name), dict):
            raise bad(name, "is not a mapping")
    span = record.data.get("source_span")
    if span is not None and not _is_count(span):
        raise bad("data.source_span", f"is not a whole number of frames ({span!r})")
    if record.fold is not None and not _is_count(record.fold, 1):
        raise bad("fold", f"is not a fold number ({record.fold!r})")
    if record.test_indices is not None and not (
        isinstance(record.test_indices, list) and all(_is_count(i) for i in record.test_indices)
    ):
        raise bad("test_indices", "is not a list of sample indices")


def read_model_file(
    path: str, device: str = "cpu", *, data: Optional[BinaryIO] = None
) -> tuple[ModelRecord, dict[str, Any]]:
    """The record and state dict of ``path`` (or of ``data``, a model file's bytes that ``path`` names in
    messages); InputError (one line) for a missing, foreign or too new file."""
    if data is None and not os.path.isfile(path):
        raise InputError(f"{path}: no such model file")
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols are not the user's business
            warnings.simplefilter("ignore")
            content = torch.load(data or path, map_location=device, weights_only=True)  # plain data: safe to open
    except pickle.UnpicklingError:
        # torch's message advises loading unsafely: never pass that on for a file that may come from anyone
        raise InputError(
            f"{path}: not a landmarkset model file (it is not a torch file of plain weights and data, which is all a "
            "model file holds; nothing in it was run)"
        ) from None
    except (RuntimeError, EOFError, ValueError, AttributeError) as error:
        reason = " ".join(str(error).split())[:160]
        raise InputError(f"{path}: not a landmarkset model file ({type(error).__name__}: {reason})") from None
    try:
        return _record(content, path), content["state_dict"]
    except (KeyError, TypeError) as error:
        raise InputError(f"{path}: not a landmarkset model file (missing {error})") from None


def load_model(path: str, device: str = "cpu", *, data: Optional[BinaryIO] = None) -> tuple[nn.Module, ModelRecord]:
    """The model of ``path`` (or of ``data``, see :func:`read_model_file`; eval mode, on ``device``) and its record."""
    record, state = read_model_file(path, device, data=data)
    try:
        record.spec  # noqa: B018 - a model this landmarkset knows (a plug-in may be missing)
        model = get_model(record.model, **record.arguments)
    except OptionError as error:
        raise InputError(f"{path}: {error}") from None
    except (TypeError, ValueError) as error:
        reason = " ".join(str(error).split())[:120]
        raise InputError(f"{path}: its record's 'arguments' do not build a {record.model!r} model ({reason})") from None
    broken = next((name for name, value in state.items() if torch.is_tensor(value) and value.is_floating_point()
                   and not torch.isfinite(value).all()), None)  # fmt: skip
    if broken is not None:
        raise InputError(
            f"{path}: its weights hold NaN or infinite values ({broken}): the model would give meaningless "
            "probabilities; train it again"
        )
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        reason = " ".join(str(error).split())[:160]
        raise InputError(f"{path}: the weights do not fit a {record.model!r} model ({reason})") from None
    outputs = getattr(model, "n_classes", None)
    if outputs is not None and outputs != len(record.classes):
        raise InputError(
            f"{path}: the model has {outputs} outputs but its record names {len(record.classes)} classes: the file "
            "was edited or damaged; train it again"
        )
    if len(set(record.classes)) != len(record.classes):
        raise InputError(f"{path}: its record names a class twice ({record.classes}): train it again")
    return model.to(device).eval(), record
