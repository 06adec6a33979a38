"""Commands that train and score models: train, train-tcn, train-scn, evaluate (registered on the main group).

Model names, preprocessing names and defaults come from the library (each model's ModelSpec)."""

from __future__ import annotations

from typing import Any, Optional

import click

from .options import (
    LazyHelpLibraryOption,
    LibraryChoice,
    check_device,
    lazy,
    library_option,
    model_names,
    overwrite_folder,
    preprocessing_names,
    with_figure_options,
)

_config = lazy("landmarkset.models.training:TrainConfig")


_cross_validate = lazy("landmarkset.models.training:cross_validate")


def _protocol_names() -> list[str]:
    from landmarkset.models.training import PROTOCOLS

    return list(PROTOCOLS)


def _protocol_help() -> str:
    from landmarkset.models.training import PROTOCOLS

    return "; ".join(f"{name}: {protocol.description}" for name, protocol in PROTOCOLS.items()) + "."


def _lr_help() -> str:
    from landmarkset.models.training import PROTOCOLS

    rates = ", ".join(f"{protocol.learning_rate:g} under --protocol {name}" for name, protocol in PROTOCOLS.items())
    return f"SGD learning rate. [default: the protocol's: {rates}]"


def _momentum_help() -> str:
    from landmarkset.models import get_spec, list_models

    values = ", ".join(f"{name} {get_spec(name).training['momentum']}" for name in list_models()
                       if "momentum" in get_spec(name).training)  # fmt: skip
    return f"SGD momentum. [default: the model's paper value: {values}]"


def _patience_help() -> str:
    from landmarkset.models.training.config import MIN_IMPROVEMENT, MIN_PATIENCE, PATIENCE_STEPS

    return (f"Stop after this many epochs without the validation loss falling {MIN_IMPROVEMENT:.0%} below its best. "
            f"[default: {PATIENCE_STEPS} optimiser steps' worth, at least {MIN_PATIENCE} epochs]")  # fmt: skip


def _train_options(command):
    """Options shared by the training commands; every default is the library's (TrainConfig, cross_validate)."""
    options = [
        overwrite_folder,
        click.argument("data", type=click.Path(exists=True, dir_okay=False)),
        click.option(
            "-o", "--output", "run_dir", required=True, type=click.Path(file_okay=False), help="Run directory."
        ),
        library_option(
            "--protocol",
            type=LibraryChoice(_protocol_names),
            source=_cross_validate,
            cls=LazyHelpLibraryOption,
            help_text=_protocol_help,
        ),
        library_option("--folds", type=click.IntRange(min=2), source=_cross_validate),
        library_option(
            "--epochs",
            type=click.IntRange(min=1),
            source=_config,
            help="Epochs per model. [default: from the data: enough for --steps optimiser steps, at least 30]",
        ),
        library_option(
            "--steps", type=click.IntRange(min=1), source=_config, help="Optimiser steps of the data-driven budget."
        ),
        library_option("--batch-size", type=click.IntRange(min=2), source=_config),
        library_option(
            "--lr",
            type=click.FloatRange(min=0, min_open=True),
            source=_config,
            show_default=False,
            cls=LazyHelpLibraryOption,
            help_text=_lr_help,
        ),
        library_option(
            "--decay",
            "lr_decay",
            type=click.FloatRange(min=0),
            source=_config,
            help="Learning-rate decay per step: lr / (1 + decay * step) (the paper's 'rate decay').",
        ),
        library_option(
            "--momentum",
            type=click.FloatRange(0, 1),
            source=_config,
            show_default=False,
            cls=LazyHelpLibraryOption,
            help_text=_momentum_help,
        ),
        library_option("--weight-decay", type=click.FloatRange(min=0), source=_config, help="L2."),
        library_option(
            "--patience",
            type=click.IntRange(min=1),
            source=_config,
            cls=LazyHelpLibraryOption,
            help_text=_patience_help,
        ),
        library_option("--seed", type=int, source=_config),
        library_option("--device", type=str, source=_config, help="cpu, cuda, cuda:N or mps."),
        library_option(
            "--precision",
            type=LibraryChoice(_precisions),
            source=_config,
            help="auto: bfloat16 autocast where the device computes it natively (AVX512-BF16/AMX CPUs, recent "
            "GPUs), else float32.",
        ),
        click.option(
            "--keep-rejected",
            is_flag=True,
            help="Deliver model.pt even when it fails its check (one class for everything, below the "
            "cross-validated figure, folds that never learned); by default it is kept as model.rejected.pt and "
            "the command fails.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bars."),
    ]
    for option in reversed(options):
        command = option(command)
    return with_figure_options(command)


def _precisions() -> list[str]:
    from landmarkset.models.training import PRECISIONS

    return list(PRECISIONS)


def _preprocessing_option(kind: Optional[str]):
    return click.option(
        "--preprocessing",
        type=LibraryChoice(preprocessing_names(kind)),
        default=None,
        help="How samples become input. Landmarks: aligned (head motion removed by a similarity fit on the eye "
        "corners and nose bridge, then displacement from the first frame in inter-ocular units), motion (the "
        "displacement without alignment), face, or none (the paper's raw coordinates). [default: the input's "
        "first: aligned for landmarks]",
    )


def _train(
    model: str,
    data: str,
    run_dir: str,
    protocol: str,
    folds: int,
    quiet: bool,
    keep_rejected: bool,
    overwrite: bool,
    **settings: Any,
) -> None:
    from landmarkset.models import get_spec
    from landmarkset.models.training import TrainConfig, cross_validate

    from landmarkset.io import read_dataset

    settings["device"] = check_device(settings["device"])
    config = TrainConfig(**settings)
    dataset = read_dataset(data)
    samples = get_spec(model).input.read(data, dataset)  # the model's input, checked before anything is printed
    click.echo(f"{len(dataset)} samples, {len(set(dataset.subject))} subjects, classes: {', '.join(dataset.classes)}")
    report = cross_validate(
        data,
        dataset,
        run_dir,
        model=model,
        protocol=protocol,
        folds=folds,
        config=config,
        samples=samples,
        keep_rejected=keep_rejected,
        progress=False if quiet else None,
        overwrite=overwrite,
    )
    click.echo(report.summary())


@click.command("train")
@click.option("--model", "model", required=True, type=LibraryChoice(model_names), help="A registered model.")
@_train_options
@_preprocessing_option(None)
@click.option(
    "--augment/--no-augment",
    default=None,
    help="Augment the model's input (landmarks: rotation, scale, shift, mirror). [default: on where the model's "
    "input has an augmentation and the protocol allows it]",
)
@library_option(
    "--jitter", type=click.FloatRange(min=0), source=_config, help="With --augment: tracking jitter (x inter-ocular)."
)
def train_command(model: str, **settings: Any) -> None:
    """Cross-validate any registered --model on DATA and train the delivered model.pt."""
    _train(model, **settings)


@click.command("train-tcn")
@_train_options
@_preprocessing_option("landmarks")
@click.option(
    "--augment/--no-augment",
    default=None,
    help="Random rotation, scale, shift and mirroring of the landmarks. [default: on, off under --protocol paper]",
)
@library_option(
    "--jitter", type=click.FloatRange(min=0), source=_config, help="With --augment: tracking jitter (x inter-ocular)."
)
def train_tcn(**settings: Any) -> None:
    """Cross-validate the paper's temporal CNN on DATA's /dataset and train the delivered model.pt."""
    _train("tcn", **settings)


@click.command("train-scn")
@_train_options
def train_scn(**settings: Any) -> None:
    """Cross-validate the paper's stacked-image CNN on DATA's face crops (build with --crops)."""
    _train("scn", **settings)


@click.command("evaluate")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@library_option("--device", type=str, source=_config, help="cpu, cuda, cuda:N or mps.")
@overwrite_folder
@with_figure_options
def evaluate_command(model: str, data: str, out_dir: str, device: str, overwrite: bool) -> None:
    """Score a trained MODEL (model.pt) on another built DATA file; MEGC figures when it holds intervals."""
    from landmarkset.models.evaluation import evaluate

    report = evaluate(model, data, out_dir, device=check_device(device), overwrite=overwrite)
    click.echo(report.summary())


COMMANDS = (train_command, train_tcn, train_scn, evaluate_command)
