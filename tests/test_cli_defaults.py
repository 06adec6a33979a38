"""The CLI takes every default from the library: each option named like a parameter of the function (or a
field of the settings) a command calls has that parameter's default and reads it from there."""

from __future__ import annotations

import click
import pytest
from landmarkset.cli.demo import run_demo
from landmarkset.cli.main import main
from landmarkset.cli.options import LibraryOption, default_of
from landmarkset.models.evaluation import evaluate
from landmarkset.models.explain import PostProcessing, explain_dataset
from landmarkset.models.training import TrainConfig, cross_validate

from landmarkset.datasets import build_ckplus, build_dataset, build_samm

OWNERS = {
    "train": (TrainConfig, cross_validate),
    "train-tcn": (TrainConfig, cross_validate),
    "train-scn": (TrainConfig, cross_validate),
    "evaluate": (evaluate,),
    "explain": (explain_dataset, PostProcessing),
    "build-ckplus": (build_ckplus, build_dataset),
    "build-samm": (build_samm, build_dataset),
    "demo": (run_demo,),
}


def _library_names(owner) -> set[str]:
    import dataclasses
    import inspect

    if dataclasses.is_dataclass(owner):
        return {field.name for field in dataclasses.fields(owner)}
    return {name for name, p in inspect.signature(owner).parameters.items() if p.default is not p.empty}


@pytest.mark.parametrize("name", sorted(OWNERS))
def test_every_option_default_is_read_from_the_library(name):
    command = main.commands[name]
    context = click.Context(command)
    checked = 0
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag or param.multiple or param.required:
            continue
        owner = next((o for o in OWNERS[name] if param.name in _library_names(o)), None)
        if owner is None:
            continue
        library = default_of(owner, param.name)
        value = param.get_default(context)
        if value is getattr(click.core, "UNSET", object()):  # click 8.3: no default given
            value = None
        assert value == library, f"{name} --{param.name}"
        if library is not None:  # None: "the library decides", nothing to retype
            assert isinstance(param, LibraryOption), f"{name} --{param.name} retypes the library's default"
            checked += 1
    assert checked >= 1  # each command reads defaults from the library


def test_choices_come_from_the_library():
    from landmarkset.models.training import PROTOCOLS

    protocol = next(p for p in main.commands["train-tcn"].params if p.name == "protocol")
    assert list(protocol.type.choices) == list(PROTOCOLS)
    assert [p.name for p in main.commands["synth"].commands["samm"].params if p.name == "workers"] == []
