"""`landmarkset explain`: maps of chosen samples of a built dataset, for any registered model, with
figures, region / AU tables, faithfulness figures per method, and a Markdown report (docs/explain.md).

What varies by model is read from its declaration: the input kind (landmarks or crops) says how samples
are read, prepared, mapped and frozen; the attribution method says whether it needs the model's layer.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import cv2
import numpy as np
import torch
from tqdm.auto import tqdm

from landmarkset.datasets.crops import align_transform, read_sample_frames
from landmarkset.errors import InputError, OptionError, StoreError
from landmarkset.io import Dataset, open_tracks, read_dataset

from .attribution import DEFAULT_METHOD, Problem, get_method, input_attributions, split_motion
from .au import EXPECTED_AUS, agreement, region_shares
from .explain_figures import plot_crop, plot_face, plot_map
from .faithfulness import captum_metrics, deletion_insertion, precision_at_k, random_precision_at_k
from .inference import predict_proba, read_samples
from .modelfile import ModelRecord, load_model
from .postprocess import postprocess, quantile_postprocess
from .report import summarise, write_report, write_tables

TRUTH_FILE = "landmarkset_truth.json"  # written by `landmarkset synth`


@dataclass
class PostProcessing:
    """The paper's steps (None / False switches one off), or a per-map quantile threshold instead."""

    scale: Optional[float] = 255.0
    difference: bool = True
    threshold: Optional[float] = 75.0
    quantile: Optional[float] = None  # e.g. 0.9: keep the top 10 % of each map's |differences| (overrides threshold)

    def apply(self, maps: np.ndarray) -> np.ndarray:
        if self.quantile is not None:
            return quantile_postprocess(maps, self.quantile, self.scale)
        return postprocess(maps, self.scale, self.difference, self.threshold)

    def describe(self) -> str:
        if self.quantile is not None:
            return f"successive-frame differences above each map's {self.quantile:.2f} quantile"
        steps = [f"scaled to [0, {self.scale:g}]" if self.scale is not None else "unscaled"]
        steps += ["successive-frame differences"] if self.difference else []
        steps += [f"|value| <= {self.threshold:g} set to 0"] if self.threshold is not None else []
        return "the paper's steps: " + ", ".join(steps)


@dataclass
class Frame:
    """What is known of a sample's frames: the source size in pixels, the last frame image, and why not."""

    size: Optional[tuple[int, int]] = None
    image: Optional[np.ndarray] = None
    missing: str = ""


@dataclass
class SampleResult:
    index: int
    row: dict[str, Any]
    map: np.ndarray  # (*map axes)
    landmark_scores: Optional[np.ndarray]  # (68,), None when the map cannot be placed on landmarks
    frame: Frame = field(default_factory=Frame)
    per_method: dict[str, dict[str, float]] = field(default_factory=dict)


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


def read_frame(data_path: str, dataset: Dataset, index: int) -> Frame:
    """The sample's source size and last frame, when the track and its source can be read."""
    sequence = dataset.source_sequence(index)
    frame = Frame()
    try:
        with open_tracks(data_path) as tracks:
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


def crop_points(dataset: Dataset, index: int, frame: Frame, size: int) -> Optional[np.ndarray]:
    """The sample's landmarks (frames, 68, 2) in its crop's pixels (the crops' own alignment), if placeable."""
    if frame.size is None:
        return None
    pixels = dataset.X[index] * np.array(frame.size, dtype=np.float64)
    matrix = align_transform(pixels[0], size, float(dataset.attrs.get("crop_margin", 1.2)))
    return pixels @ matrix[:, :2].T + matrix[:, 2]


def landmark_scores(record: ModelRecord, the_map: np.ndarray, points: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """(68,) activation per landmark: a landmark map's mean over frames, or a crop map read at the landmarks."""
    if record.spec.input.name == "landmarks":
        return the_map.mean(axis=1)
    if points is None:
        return None
    height, width = the_map.shape[1:]
    scores = np.zeros(points.shape[1])
    for number, frame_map in enumerate(the_map):
        smooth = cv2.blur(frame_map.astype(np.float32), (5, 5))  # a point covers a few pixels
        x = np.clip(points[number, :, 0].round().astype(int), 0, width - 1)
        y = np.clip(points[number, :, 1].round().astype(int), 0, height - 1)
        scores += smooth[y, x]
    return scores / len(the_map)


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
    attributions = input_attributions(model, spec, prepared, predicted, method)
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
) -> dict[str, Any]:
    """Explain samples of ``data_path`` with ``model_path``; write OUT_DIR (see docs/explain.md); return the summary.

    ``method`` draws the maps; every method in ``compare`` is also run on the same samples for the report's
    method x metric table.
    """
    post = post or PostProcessing()
    methods = list(dict.fromkeys([method, *compare]))
    model, record = load_model(model_path, device)
    _check_methods(record, methods, model_path)
    kind = record.spec.input
    dataset = read_dataset(data_path)
    samples = read_samples(record, data_path, dataset, model_path)
    chosen = choose_samples(dataset, ids, per_class, seed)
    moved = moved_landmarks(dataset, truth)
    for folder in ("maps", "figures"):
        os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
    results, outlines, unplaced = [], [], []
    for index in tqdm(chosen, desc="explain", unit="sample", disable=None if progress is None else not progress):
        raw = samples[index : index + 1]
        probabilities = predict_proba(model, record, raw, device)[0]
        predicted = int(probabilities.argmax())
        prepared = kind.prepare(raw, record.preprocessing).to(device)
        frame = read_frame(data_path, dataset, index)
        name = dataset.sequence[index]
        true_class = dataset.classes[dataset.y[index]]
        points = crop_points(dataset, index, frame, raw.shape[2]) if kind.name == "crops" else None
        result: Optional[SampleResult] = None
        for current in methods:
            the_map, figures = _faithfulness(model, record, prepared, predicted, current, device, seed)
            scores = landmark_scores(record, the_map, points)
            if scores is not None and moved.get(name):
                k = len(moved[name])
                figures["precision@moved"] = precision_at_k(scores, moved[name], k)
                figures["precision@10"] = precision_at_k(scores, moved[name], 10)
                figures["random precision"] = random_precision_at_k(moved[name], k)
            if result is None:
                result = SampleResult(index, {}, the_map, scores, frame)
            result.per_method[current] = figures
        assert result is not None
        title = f"{name} ({method})\ntrue {true_class}, predicted {record.classes[predicted]} "
        title += f"({probabilities[predicted]:.2f})"
        np.save(os.path.join(out_dir, "maps", f"{name}.npy"), result.map)
        figures_dir = os.path.join(out_dir, "figures")
        if kind.name == "landmarks":
            processed = post.apply(result.map)
            np.save(os.path.join(out_dir, "maps", f"{name}_processed.npy"), processed)
            plot_map(result.map, processed, os.path.join(figures_dir, f"{name}_map.png"), title)
            plot_face(
                _face_points(dataset, index, frame),
                result.landmark_scores,
                _face(figures_dir, name),
                title,
                frame.image,
            )
            if frame.image is None:
                outlines.append(f"{name}: {frame.missing}")
        else:
            plot_crop(raw[0, -1], result.map.mean(axis=0), points, _face(figures_dir, name), title)
            if result.landmark_scores is None:
                unplaced.append(f"{name}: {frame.missing}")
        result.row = _row(name, true_class, record.classes[predicted], float(probabilities[predicted]), result, method)
        results.append(result)
    summary = summarise(results, methods, list(record.classes))
    _draw_classes(results, summary, record, dataset, samples, out_dir, post)
    write_tables(results, summary, out_dir)
    summary.update({"model": os.path.abspath(model_path), "data": os.path.abspath(data_path), "method": method})
    summary["model_name"] = record.model
    summary["post_processing"] = post.describe()
    summary["drawn_as_outlines"] = outlines  # face figures without their frame, and why
    summary["not_on_landmarks"] = unplaced  # crop maps that could not be read at the landmarks, and why
    with open(os.path.join(out_dir, "summary.json"), "w") as handle:
        json.dump(_json_safe(summary), handle, indent=2)
    write_report(summary, out_dir)
    return summary


def _draw_classes(
    results: list[SampleResult],
    summary: dict[str, Any],
    record: ModelRecord,
    dataset: Dataset,
    samples: np.ndarray,
    out_dir: str,
    post: PostProcessing,
) -> None:
    """Each predicted class's mean map and face figure; their names go in the summary."""
    figures_dir = os.path.join(out_dir, "figures")
    for name, entry in summary["per_class"].items():
        members = [r for r in results if r.index in entry["members"]]
        mean_map = np.mean([r.map for r in members], axis=0)
        title = f"class {name}: mean map over {len(members)} sample(s)"
        first, frame = members[0].index, members[0].frame  # read once, in the sample loop
        if record.spec.input.name == "landmarks":
            scores = mean_map.mean(axis=1)
            plot_map(mean_map, post.apply(mean_map), os.path.join(figures_dir, f"class_{name}_map.png"), title)
            plot_face(
                _face_points(dataset, first, frame), scores, _face(figures_dir, f"class_{name}"), title, frame.image
            )
            entry["figures"] = {"map": f"class_{name}_map.png", "face": f"class_{name}_face.png"}
        else:
            plot_crop(samples[first, -1], mean_map.mean(axis=0), None, _face(figures_dir, f"class_{name}"), title)
            entry["figures"] = {"face": f"class_{name}_face.png"}


def _face(figures_dir: str, name: str) -> str:
    return os.path.join(figures_dir, f"{name}_face.png")


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
                "expected AUs": "+".join(map(str, EXPECTED_AUS.get(predicted, ()))),
                "expected share": inside,
                "lift over uniform": lift,
            }
        )
    row.update(result.per_method[method])
    return row


def _json_safe(value: Any) -> Any:
    """NaN (undefined figures, e.g. agreement for neutral) as null: strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    return value
