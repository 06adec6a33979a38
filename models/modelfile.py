"""model.pt: a typed, versioned record of a trained model (docs/training.md, "The model file").

The file is a plain dictionary that ``torch.load(..., weights_only=True)`` opens without running code:
``format`` ("landmarkset-model"), ``format_version`` ("MAJOR.MINOR"), ``record`` (the fields of
:class:`ModelRecord`) and ``state_dict``. A reader accepts its own major version and older ones; a newer
major version is refused ("update landmarkset"). Files written by landmarkset 0.1 and 0.2 (an untyped
dictionary, format 1) are read and converted.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import asdict, dataclass, field, fields
from typing import Any, BinaryIO, Optional, Union

import torch
from torch import nn

from landmarkset.errors import InputError

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
    """Write ``model``'s weights with ``record`` to ``path`` (a file name or a binary file object)."""
    torch.save(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "record": asdict(record),
            "state_dict": {key: value.cpu() for key, value in model.state_dict().items()},
        },
        path,
    )
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
    return ModelRecord(**{k: v for k, v in content["record"].items() if k in known})  # newer minor: extra fields


def read_model_file(
    path: str, device: str = "cpu", *, data: Optional[BinaryIO] = None
) -> tuple[ModelRecord, dict[str, Any]]:
    """The record and state dict of ``path`` (or of ``data``, a model file's bytes that ``path`` names in
    messages); InputError (one line) for a missing, foreign or too new file."""
    if data is None and not os.path.isfile(path):
        raise InputError(f"{path}: no such model file")
    try:
        content = torch.load(data or path, map_location=device, weights_only=True)  # plain data only: safe to open
    except (RuntimeError, EOFError, ValueError, pickle.UnpicklingError, AttributeError) as error:
        reason = " ".join(str(error).split())[:160]
        raise InputError(f"{path}: not a landmarkset model file ({type(error).__name__}: {reason})") from None
    try:
        return _record(content, path), content["state_dict"]
    except (KeyError, TypeError) as error:
        raise InputError(f"{path}: not a landmarkset model file (missing {error})") from None


def load_model(path: str, device: str = "cpu", *, data: Optional[BinaryIO] = None) -> tuple[nn.Module, ModelRecord]:
    """The model of ``path`` (or of ``data``, see :func:`read_model_file`; eval mode, on ``device``) and its record."""
    record, state = read_model_file(path, device, data=data)
    model = get_model(record.model, **record.arguments)
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
