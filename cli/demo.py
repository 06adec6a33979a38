"""`landmarkset demo`: the whole pipeline on sample data (landmarkset.models.demo holds the steps)."""

from __future__ import annotations

from typing import Optional

import click

from .options import lazy, library_option, overwrite_folder

_run_demo = lazy("landmarkset.models.demo:run_demo")


@click.command("demo")
@click.argument("out_dir", default="landmarkset-demo", type=click.Path(file_okay=False))
@click.option("-b", "--backend", default=None, help="Backend [default: mediapipe, else dlib].")
@library_option("--subjects", type=click.IntRange(min=4), source=_run_demo, help="Generated subjects.")
@library_option("--epochs", type=click.IntRange(min=1), source=_run_demo, help="[default: from the data (train-tcn's)]")
@library_option("-w", "--workers", type=click.IntRange(min=1), source=_run_demo)
@library_option(
    "--landmarks",
    type=click.Choice(["provided", "extracted"]),
    source=_run_demo,
    help="Train on the landmarks the generated tree ships, or on the backend's.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@overwrite_folder
def demo(
    out_dir: str, backend: Optional[str], subjects: int, epochs: Optional[int], workers: int, landmarks: str,
    quiet: bool, overwrite: bool,
) -> None:  # fmt: skip
    """The whole pipeline on sample data: a real video, then synth -> build-ckplus -> train-tcn -> explain, and
    the model over the real video. OUT_DIR/README.md lists every figure and table."""
    from landmarkset.models.demo import run_demo

    result = run_demo(
        out_dir, backend, subjects=subjects, epochs=epochs, workers=workers, landmarks=landmarks,
        progress=False if quiet else None, echo=click.echo, overwrite=overwrite,
    )  # fmt: skip
    click.echo(result.summary())


COMMANDS = (demo,)
