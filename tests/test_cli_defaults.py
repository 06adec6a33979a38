"""The CLI takes every default from the library: each option named like a parameter of the function (or a
field of the settings) a command calls has that parameter's default and reads it from there; every command's
defaults are read from the library or, for the commands made from layout declarations, from those."""

from __future__ import annotations

from typing import Any

import click
import pytest
from landmarkset.cli.main import main
from landmarkset.cli.options import LibraryOption, default_of
from landmarkset.models.demo import run_demo
from landmarkset.models.evaluation import evaluate
from landmarkset.models.explain import PostProcessing, explain_dataset
from landmarkset.models.training import TrainConfig, cross_validate

from landmarkset.datasets import declaration
from landmarkset.datasets.registry import layout_names

OWNERS = {
    "train": (TrainConfig, cross_validate),
    "train-tcn": (TrainConfig, cross_validate),
    "train-scn": (TrainConfig, cross_validate),
    "evaluate": (evaluate,),
    "explain": (explain_dataset, PostProcessing),
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
    context = click.Context(main.commands["synth"])
    assert [p.name for p in main.commands["synth"].get_command(context, "samm").params if p.name == "workers"] == []


def _every_command(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    context = click.Context(group)
    found = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found += _every_command(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


COMMANDS = _every_command()


def _declared_default(path: tuple[str, ...], name: str) -> Any:
    """The default a command made from a declaration must show: the layout's or the generator's."""
    if path[0] == "synth":
        (generator,) = [g for n in layout_names() for k, g in declaration(n).generators.items() if k == path[1]]
        declared = generator.declared()
        return declared[name].default if name in declared else generator.default(name)
    layout = declaration(path[-1].removeprefix("build-"))
    return layout.neutral if name == "neutral" else layout.options[name].default


def test_the_walk_sees_every_command():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert len(names) >= 30 and {"build ckplus", "build-samm", "synth samm-long", "spot", "train-tcn"} <= names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_no_command_retypes_a_default(path):
    command = dict(COMMANDS)[path]
    context = click.Context(command)
    generated = path[0] in ("build", "synth") or path[0] in ("build-ckplus", "build-samm")
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag or param.multiple or param.required:
            continue
        value = param.get_default(context)
        if value is None or value is getattr(click.core, "UNSET", object()):
            continue  # "the library decides"
        if isinstance(param, LibraryOption):
            assert value == param.library_default()
        else:
            assert generated, f"{' '.join(path)} --{param.name} retypes its default {value!r}: read it from the library"
            assert value == _declared_default(path, param.name), f"{' '.join(path)} --{param.name}"
