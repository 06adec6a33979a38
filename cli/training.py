"""Commands that train and score models: train, train-tcn, train-scn, evaluate (registered on the main group).

Model names, preprocessing names and defaults come from the library (each model's ModelSpec)."""

from __future__ import annotations

import os
from typing import Any, Optional

import click

from .options import LibraryChoice, check_device, model_names, preprocessing_names


def _train_options(command):
    """Options shared by the training commands; defaults are the paper's SGD where it gives them."""
    options = [
        click.argument("data", type=click.Path(exists=True, dir_okay=False)),
        click.option(
            "-o", "--output", "run_dir", required=True, type=click.Path(file_okay=False), help="Run directory."
        ),
        click.option(
            "--protocol",
            type=click.Choice(["subject", "paper"]),
            default="subject",
            show_default=True,
            help="subject: stratified subject-grouped k-fold; paper: random 85/15 splits by sequence.",
        ),
        click.option("--folds", default=6, show_default=True, type=click.IntRange(min=2)),
        click.option("--epochs", default=30, show_default=True, type=click.IntRange(min=1)),
        click.option("--batch-size", default=16, show_default=True, type=click.IntRange(min=2)),
        click.option("--lr", default=1e-3, show_default=True, type=click.FloatRange(min=0, min_open=True)),
        click.option(
            "--decay",
            default=1e-4,
            show_default=True,
            type=click.FloatRange(min=0),
            help="Learning-rate decay per step: lr / (1 + decay * step) (the paper's 'rate decay').",
        ),
        click.option(
            "--momentum",
            default=None,
            type=click.FloatRange(0, 1),
            help="SGD momentum. [default: the model's paper value: TCN 0.3, SCN 0.7]",
        ),
        click.option("--weight-decay", default=0.0, show_default=True, type=click.FloatRange(min=0), help="L2."),
        click.option(
            "--patience",
            default=10,
            show_default=True,
            type=click.IntRange(min=1),
            help="Stop after this many epochs without a better validation loss.",
        ),
        click.option("--seed", default=0, show_default=True, type=int),
        click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps."),
        click.option(
            "--precision",
            type=click.Choice(["auto", "fp32", "bf16"]),
            default="auto",
            show_default=True,
            help="auto: bfloat16 autocast where the device computes it natively (AVX512-BF16/AMX CPUs, recent "
            "GPUs), else float32.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bars."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _preprocessing_option(kind: Optional[str]):
    return click.option(
        "--preprocessing",
        type=LibraryChoice(preprocessing_names(kind)),
        default=None,
        help="How samples become input. Landmarks: motion (displacement from the first frame in inter-ocular "
        "units), face, or none (the paper's raw coordinates). [default: the input's first: motion for landmarks]",
    )


def _train(model: str, data: str, run_dir: str, protocol: str, folds: int, quiet: bool, **settings: Any) -> None:
    from landmarkset.models import get_spec
    from landmarkset.models.train import TrainConfig, cross_validate

    from landmarkset.io import read_dataset

    settings["lr_decay"] = settings.pop("decay")
    settings["device"] = check_device(settings["device"])
    config = TrainConfig(**settings)
    dataset = read_dataset(data)
    samples = get_spec(model).input.read(data, dataset)  # the model's input, checked before anything is printed
    click.echo(f"{len(dataset)} samples, {len(set(dataset.subject))} subjects, classes: {', '.join(dataset.classes)}")
    metrics = cross_validate(
        data,
        dataset,
        run_dir,
        model=model,
        protocol=protocol,
        folds=folds,
        config=config,
        samples=samples,
        progress=False if quiet else None,
    )
    click.echo(
        f"{model.upper()} {protocol} protocol, {folds} folds: accuracy {metrics['accuracy_mean']:.3f} "
        f"+- {metrics['accuracy_std']:.3f} (chance {metrics['chance']:.3f}), {metrics['parameters']:,} parameters"
    )
    for name in ("metrics.json", "confusion_matrix.png", "training_curves.png", "model.pt"):
        click.echo(f"  {os.path.join(run_dir, name)}")


@click.command("train")
@click.option("--model", "model", required=True, type=LibraryChoice(model_names), help="A registered model.")
@_train_options
@_preprocessing_option(None)
@click.option("--augment", is_flag=True, help="Augment the model's input (landmarks: rotation, scale, shift, mirror).")
def train_command(model: str, data: str, run_dir: str, protocol: str, folds: int, quiet: bool, **settings: Any) -> None:
    """Cross-validate any registered --model on DATA and train the delivered model.pt."""
    _train(model, data, run_dir, protocol, folds, quiet, **settings)


@click.command("train-tcn")
@_train_options
@_preprocessing_option("landmarks")
@click.option("--augment", is_flag=True, help="Random rotation, scale, shift and mirroring of the landmarks.")
def train_tcn(data: str, run_dir: str, protocol: str, folds: int, quiet: bool, **settings: Any) -> None:
    """Cross-validate the paper's temporal CNN on DATA's /dataset and train the delivered model.pt."""
    _train("tcn", data, run_dir, protocol, folds, quiet, **settings)


@click.command("train-scn")
@_train_options
def train_scn(data: str, run_dir: str, protocol: str, folds: int, quiet: bool, **settings: Any) -> None:
    """Cross-validate the paper's stacked-image CNN on DATA's face crops (build with --crops)."""
    _train("scn", data, run_dir, protocol, folds, quiet, **settings)


@click.command("evaluate")
@click.argument("model", type=click.Path(exists=True, dir_okay=False))
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--device", default="cpu", show_default=True)
def evaluate_command(model: str, data: str, out_dir: str, device: Optional[str]) -> None:
    """Score a trained MODEL (model.pt) on another built DATA file; MEGC figures when it holds intervals."""
    from landmarkset.models.evaluate import evaluate

    metrics = evaluate(model, data, out_dir, check_device(device))
    line = f"accuracy {metrics['accuracy']:.3f} on {metrics['samples_scored']} samples"
    if metrics["left_out_classes"]:
        line += f" (left out, unknown to the model: {metrics['left_out_classes']})"
    click.echo(line)
    if "megc" in metrics:
        for kind in ("macro", "micro", "overall"):
            s = metrics["megc"][kind]
            click.echo(
                f"  MEGC {kind:<7} GT {s['ground_truth']:>4}  predicted {s['predictions']:>4}  TP {s['tp']:>4}  "
                f"P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}"
            )
    for name in ("metrics.json", "confusion_matrix.png", "predictions.csv"):
        click.echo(f"  {os.path.join(out_dir, name)}")


COMMANDS = (train_command, train_tcn, train_scn, evaluate_command)
