"""`landmarkset explain`: maps of chosen samples of a built dataset, for any registered model, with
figures, region / AU tables, faithfulness figures per method, and a Markdown report (docs/explain.md).
The one driver of the explain stage.

What varies by model is read from its declaration: the input kind says how samples are read, prepared,
mapped, frozen, read at the landmarks and drawn; the attribution method says whether it needs the
model's layer.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import torch
from tqdm.auto import tqdm

from landmarkset.errors import InputError, OptionError, StoreError
from landmarkset.facs import EMOTION_AUS
from landmarkset.io import Dataset, open_tracks, read_dataset
from landmarkset.io.crops import read_sample_frames
from landmarkset.io.tracks import TrackFile
from landmarkset.names import file_stem
from landmarkset.runfolder import RunFolder, atomic_path
from landmarkset.synth._tree import TRUTH_FILE  # written by `landmarkset synth`

from ..inference import collapse_warning, landmark_warning, predict_proba, read_samples
from ..modelfile import ModelRecord, load_model
from .au import agreement, region_shares
from .faithfulness import captum_metrics, deletion_insertion, precision_at_k, random_precision_at_k
from .figures import Drawing, draw
from .methods import DEFAULT_METHOD, Problem, get_method, input_attributions, split_motion
from .postprocess import PostProcessing
from .report import EXPLAIN_FILES, ExplainReport, summarise, write_tables


@dataclass
class Frame:
    """What is known of a sample's frames: the source size in pixels, the last frame image, and why not."""

    size: Optional[tuple[int, int]] = None
    image: Optional[np.ndarray] = None
    missing: str = ""


@dataclass
class SampleResult:
    index: int
    predicted: int
    row: dict[str, Any]
    map: np.ndarray  # (*map axes)
    landmark_scores: Optional[np.ndarray]  # (68,), None when the map cannot be placed on landmarks
    frame: Frame = field(default_factory=Frame)
    map_points: Optional[np.ndarray] = None
    per_method: dict[str, dict[str, float]] = field(default_factory=dict)
    outline: bool = False  # its face figure shows the landmarks' outline, not the frame
    unplaced: bool = False  # its map could not be read at the landmarks
    figures: dict[str, str] = field(default_factory=dict)  # its figures: name -> file in figures/


def choose_samples(dataset: Dataset, ids: Optional[list[str]], per_class: int, seed: int = 0) -> list[int]:
    """Indices of the named samples, or ``per_class`` random samples of every class (seeded)."""
    if ids:
        unknown = [name for name in ids if name not in dataset.sequence]
        if unknown:
            raise OptionError(f"No sample {unknown[0]!r} in the dataset; names are /dataset/sequence values.")
        return [dataset.sequence.index(name) for name in ids]
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(len(dataset.classes)):
        members = np.flatnonzero(dataset.y == label)
        chosen += sorted(rng.choice(members, size=min(per_class, len(members)), replace=False).tolist())
    return chosen


def moved_landmarks(dataset: Dataset, truth: Optional[str]) -> dict[str, list[int]]:
    """Truly moved landmarks per sample from a synth tree's truth file (found next to the data's root)."""
    path = truth or os.path.join(str(dataset.attrs.get("root", "")), TRUTH_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path) as handle:
        sequences = json.load(handle).get("sequences", {})
    return {
        key.replace("/", "__"): [int(i) for i in value["moved_landmarks"]]
        for key, value in sequences.items()
        if "moved_landmarks" in value
    }


def read_frame(tracks: Optional[TrackFile], data_path: str, dataset: Dataset, index: int, problem: str = "") -> Frame:
    """The sample's source size and last frame, when the track and its source can be read (``tracks`` is
    opened once for all samples; None, with ``problem``, when the store could not be opened)."""
    sequence = dataset.source_sequence(index)
    frame = Frame()
    if tracks is None:
        frame.missing = problem
        return frame
    try:
        if sequence not in tracks:
            raise KeyError(f"{data_path} holds no track {sequence!r}")
        track = tracks[sequence]
        frame.size = (int(track.width), int(track.height))
        number = int(dataset.source_frames[index][-1])
        frame.image = read_sample_frames(track, [number])[number]
    except (InputError, StoreError, OSError, KeyError) as error:
        text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)  # KeyError quotes
        frame.missing = " ".join(str(text).split())  # no image: the outline is drawn instead
    return frame


def _check_methods(record: ModelRecord, names: list[str], model_path: str) -> None:
    for name in names:
        if get_method(name).uses_layer and record.spec.layer is None:
            raise OptionError(
                f"{model_path}: the {record.model!r} model declares no layer, which --method {name} needs; use one "
                "of the gradient or occlusion methods"
            )


def _faithfulness(
    model, record: ModelRecord, prepared: torch.Tensor, predicted: int, method: str, device: str, seed: int
) -> tuple[np.ndarray, dict[str, float]]:
    """The map of ``method`` and its faithfulness figures for one prepared sample (1, ...)."""
    spec, kind = record.spec, record.spec.input
    started = time.perf_counter()
    attributions = input_attributions(model, spec, prepared, target=predicted, method=method)
    seconds = time.perf_counter() - started
    the_map = kind.to_map(attributions)[0]

    def score(batch: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            out = [torch.softmax(model(spec.layout(batch[s : s + 64])), 1) for s in range(0, len(batch), 64)]
        return torch.cat(out).cpu().numpy()

    delta, base = split_motion(prepared)
    ids = kind.feature_ids(tuple(delta.shape[1:])).to(delta.device)
    features = kind.feature_scores(the_map[None])[0]
    figures = deletion_insertion(score, delta[0], base[0], ids, predicted, features, seed=seed)
    target = torch.tensor([predicted], device=prepared.device)
    captum = captum_metrics(Problem(model, spec, delta, base, target), attributions, method, seed)
    figures.update({name: float(values[0]) for name, values in captum.items()})
    figures["seconds"] = seconds
    return the_map, figures


def explain_dataset(
    model_path: str,
    data_path: str,
    out_dir: str,
    *,
    ids: Optional[list[str]] = None,
    per_class: int = 3,
    method: str = DEFAULT_METHOD,
    compare: tuple[str, ...] = (),
    post: Optional[PostProcessing] = None,
    truth: Optional[str] = None,
    device: str = "cpu",
    seed: int = 0,
    progress: Optional[bool] = None,
    overwrite: bool = False,
) -> ExplainReport:
    """Explain samples of ``data_path`` with ``model_path``; write OUT_DIR (see docs/explain.md), a run folder
    (landmarkset.runfolder: another command's or run's is refused unless ``overwrite``).

    ``method`` draws the maps; every method in ``compare`` is also run on the same samples for the report's
    method x metric table.
    """
    post = post or PostProcessing()
    methods = list(dict.fromkeys([method, *compare]))
    model, record = load_model(model_path, device)
    _check_methods(record, methods, model_path)
    dataset = read_dataset(data_path)
    samples = read_samples(record, data_path, dataset, model_path)
    chosen = choose_samples(dataset, ids, per_class, seed)
    moved = moved_landmarks(dataset, truth)
    settings = {"samples": [dataset.sequence[i] for i in chosen], "method": method, "compare": list(compare),
                "post": post.describe(), "truth": truth, "seed": seed}  # fmt: skip
    with RunFolder(out_dir, "explain", settings, [model_path, data_path, truth], overwrite=overwrite,
                   writes=EXPLAIN_FILES):  # fmt: skip
        for folder in ("maps", "figures"):
            os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
        disable = None if progress is None else not progress
        try:
            tracks, problem = open_tracks(data_path, person=dataset.person), ""  # the labelled person
        except (StoreError, OSError) as error:
            tracks, problem = None, " ".join(str(error).split())
        context = _Context(
            model, record, data_path, dataset, samples, tracks, problem, methods, moved, post, out_dir, device, seed
        )
        try:
            results = [context.explain(index) for index in tqdm(chosen, desc="explain", unit="sample", disable=disable)]
        finally:
            if tracks is not None:
                tracks.close()
        summary = summarise(results, methods, list(record.classes))
        _draw_classes(results, summary, record, dataset, samples, out_dir, post)
        write_tables(results, summary, out_dir)
        counts = np.bincount([r.predicted for r in results], minlength=len(record.classes))
        warning = collapse_warning(counts, list(record.classes), model_path)
        source = landmark_warning(model_path, record, dataset.landmark_source, data_path)
        report = ExplainReport(
            model=os.path.abspath(model_path),
            model_name=record.model,
            data=os.path.abspath(data_path),
            method=method,
            post_processing=post.describe(),
            predicted_classes={name: int(n) for name, n in zip(record.classes, counts) if n},
            drawn_as_outlines=[f"{dataset.sequence[r.index]}: {r.frame.missing}" for r in results if r.outline],
            not_on_landmarks=[f"{dataset.sequence[r.index]}: {r.frame.missing}" for r in results if r.unplaced],
            warnings=[w for w in (warning, source) if w],
            out_dir=out_dir,
            **summary,
        )
        report.write()
    return report


@dataclass
class _Context:
    """What every sample of one explain run shares."""

    model: Any
    record: ModelRecord
    data_path: str
    dataset: Dataset
    samples: np.ndarray
    tracks: Optional[TrackFile]
    problem: str  # why the store's tracks could not be opened, if they could not
    methods: list[str]
    moved: dict[str, list[int]]
    post: PostProcessing
    out_dir: str
    device: str
    seed: int

    def explain(self, index: int) -> SampleResult:
        """One sample: its map by each method with faithfulness figures, its map files and figures."""
        record, dataset, kind = self.record, self.dataset, self.record.spec.input
        raw = self.samples[index : index + 1]
        probabilities = predict_proba(self.model, record, raw, device=self.device)[0]
        predicted = int(probabilities.argmax())
        prepared = kind.prepare(raw, record.preprocessing).to(self.device)
        frame = read_frame(self.tracks, self.data_path, dataset, index, self.problem)
        name = dataset.sequence[index]
        points = kind.map_points(dataset, index, frame.size, raw[0])
        result: Optional[SampleResult] = None
        for current in self.methods:
            the_map, figures = _faithfulness(self.model, record, prepared, predicted, current, self.device, self.seed)
            scores = kind.landmark_scores(the_map, points)
            if scores is not None and self.moved.get(name):
                k = len(self.moved[name])
                figures["precision@moved"] = precision_at_k(scores, self.moved[name], k)
                figures["precision@10"] = precision_at_k(scores, self.moved[name], 10)
                figures["random precision"] = random_precision_at_k(self.moved[name], k)
            if result is None:
                result = SampleResult(index, predicted, {}, the_map, scores, frame, points)
            result.per_method[current] = figures
        assert result is not None
        true_class = dataset.classes[dataset.y[index]]
        title = f"{name} ({self.methods[0]})\ntrue {true_class}, predicted {record.classes[predicted]} "
        title += f"({probabilities[predicted]:.2f})"
        stem = file_stem(name)  # two sample names never share a file
        with atomic_path(os.path.join(self.out_dir, "maps", f"{stem}.npy")) as path:
            np.save(path, result.map)
        processed = self.post.apply(result.map) if "map" in kind.figures else None
        if processed is not None:
            with atomic_path(os.path.join(self.out_dir, "maps", f"{stem}_processed.npy")) as path:
                np.save(path, processed)
        drawing = Drawing(
            stem=stem, title=title, map=result.map, processed=processed, landmark_scores=result.landmark_scores,
            face_points=_face_points(dataset, index, frame), image=frame.image, sample=raw[0], map_points=points,
        )  # fmt: skip
        result.figures = draw(kind.figures, drawing, os.path.join(self.out_dir, "figures"))
        result.outline = "face" in kind.figures and frame.image is None
        result.unplaced = result.landmark_scores is None
        probability = float(probabilities[predicted])
        result.row = _row(name, true_class, record.classes[predicted], probability, result, self.methods[0])
        return result


def _draw_classes(
    results: list[SampleResult],
    summary: dict[str, Any],
    record: ModelRecord,
    dataset: Dataset,
    samples: np.ndarray,
    out_dir: str,
    post: PostProcessing,
) -> None:
    """Each predicted class's mean map and its figures; their names go in the summary."""
    kind = record.spec.input
    for name, entry in summary["per_class"].items():
        members = [r for r in results if r.index in entry["members"]]
        mean_map = np.mean([r.map for r in members], axis=0)
        first = members[0]  # its frame was read once, in the sample loop
        drawing = Drawing(
            stem=file_stem(f"class_{name}"),
            title=f"class {name}: mean map over {len(members)} sample(s)",
            map=mean_map,
            processed=post.apply(mean_map) if "map" in kind.figures else None,
            landmark_scores=kind.landmark_scores(mean_map, None),
            face_points=_face_points(dataset, first.index, first.frame),
            image=first.frame.image,
            sample=samples[first.index],
            map_points=None,
        )
        entry["figures"] = draw(kind.figures, drawing, os.path.join(out_dir, "figures"))


def _face_points(dataset: Dataset, index: int, frame: Frame) -> np.ndarray:
    """Last-frame landmarks in pixels; on a 400-pixel canvas when the source size is unknown."""
    if frame.size is None:
        return dataset.X[index, -1] * 400.0
    return dataset.X[index, -1] * np.array(frame.size, dtype=np.float64)


def _row(name: str, true: str, predicted: str, probability: float, result: SampleResult, method: str) -> dict:
    row: dict[str, Any] = {"sample": name, "true": true, "predicted": predicted, "probability": probability}
    if result.landmark_scores is not None:
        shares = region_shares(result.landmark_scores)
        inside, lift = agreement(shares, predicted)
        row.update({f"share {region}": value for region, value in shares.items()})
        row.update(
            {
                "expected AUs": "+".join(EMOTION_AUS.get(predicted, ())),
                "expected share": inside,
                "lift over uniform": lift,
            }
        )
    row.update(result.per_method[method])
    return row
