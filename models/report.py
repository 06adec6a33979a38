"""`landmarkset explain`: maps for chosen samples of a built dataset, figures, region / AU tables,
faithfulness, and a Markdown report (docs/explain.md)."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from tqdm.auto import tqdm

from landmarkset.datasets.crops import read_sample_frames
from landmarkset.errors import InputError, OptionError, StoreError
from landmarkset.io import Dataset, open_tracks, read_dataset

from .au import AU_REGIONS, EXPECTED_AUS, agreement, expected_regions, region_shares
from .cam import explain, postprocess
from .explain_figures import plot_face, plot_map
from .faithfulness import faithfulness, precision_at_k, random_precision_at_k
from .train import check_input_shape, load_model, predict_proba, to_tensor

TRUTH_FILE = "landmarkset_truth.json"  # written by `landmarkset synth`


@dataclass
class PostProcessing:
    """The paper's steps (None / False switches one off)."""

    scale: Optional[float] = 255.0
    difference: bool = True
    threshold: Optional[float] = 75.0


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


def _moved_landmarks(dataset: Dataset, truth: Optional[str]) -> dict[str, list[int]]:
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


def _last_frame(data_path: str, dataset: Dataset, index: int) -> tuple[np.ndarray, Optional[np.ndarray], str]:
    """The sample's last-frame landmarks in pixels, the frame image when it can be read, and why not."""
    sequence = dataset.source_sequence(index)
    size = (1.0, 1.0)
    try:
        with open_tracks(data_path) as tracks:
            if sequence not in tracks:
                raise KeyError(f"{data_path} holds no track {sequence!r}")
            track = tracks[sequence]
            size = (track.width, track.height)
            number = int(dataset.source_frames[index][-1])
            image = read_sample_frames(track, [number])[number]
            return dataset.X[index, -1] * size, image, ""
    except (InputError, StoreError, OSError, KeyError) as error:
        text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)  # KeyError quotes
        reason = " ".join(str(text).split())  # no image: the outline is drawn instead
    scale = 400.0 if size == (1.0, 1.0) else 1.0
    return dataset.X[index, -1] * np.array(size) * scale, None, reason


def explain_dataset(
    model_path: str,
    data_path: str,
    out_dir: str,
    ids: Optional[list[str]] = None,
    per_class: int = 3,
    method: str = "gradcam",
    post: Optional[PostProcessing] = None,
    truth: Optional[str] = None,
    device: str = "cpu",
    seed: int = 0,
    progress: Optional[bool] = None,
) -> dict[str, Any]:
    """Explain samples of ``data_path`` with ``model_path``; write OUT_DIR (see docs/explain.md); return the summary."""
    post = post or PostProcessing()
    model, record = load_model(model_path, device)
    if record["model"] != "tcn":
        raise OptionError(f"{model_path}: explain works on landmark models (TCN); this is a {record['model']!r}")
    dataset = read_dataset(data_path)
    check_input_shape(record, dataset.X, model_path, data_path)
    classes, preprocessing = record["classes"], record["preprocessing"]["landmarks"]
    chosen = choose_samples(dataset, ids, per_class, seed)
    moved = _moved_landmarks(dataset, truth)
    for folder in ("maps", "figures"):
        os.makedirs(os.path.join(out_dir, folder), exist_ok=True)

    def score(samples: np.ndarray) -> np.ndarray:
        return predict_proba(model, record, samples, device)

    rows, outlines = [], []
    for index in tqdm(chosen, desc="explain", unit="sample", disable=None if progress is None else not progress):
        sample = dataset.X[index : index + 1]
        probabilities = score(sample)[0]
        predicted = int(probabilities.argmax())
        x = to_tensor("tcn", preprocessing, sample).to(device)
        raw = explain(model, x, predicted, method)[0]
        processed = postprocess(raw, post.scale, post.difference, post.threshold)
        landmark_scores = raw.mean(axis=1)
        name = dataset.sequence[index]
        np.save(os.path.join(out_dir, "maps", f"{name}.npy"), raw)
        np.save(os.path.join(out_dir, "maps", f"{name}_processed.npy"), processed)
        true_class = dataset.classes[dataset.y[index]]
        title = f"{name} ({method})\ntrue {true_class}, predicted {classes[predicted]} ({probabilities[predicted]:.2f})"
        plot_map(raw, processed, os.path.join(out_dir, "figures", f"{name}_map.png"), title)
        points, image, no_image = _last_frame(data_path, dataset, index)
        plot_face(points, landmark_scores, os.path.join(out_dir, "figures", f"{name}_face.png"), title, image)
        if no_image:
            outlines.append(f"{name}: {no_image}")
        shares = region_shares(landmark_scores)
        inside, lift = agreement(shares, classes[predicted])
        row: dict[str, Any] = {
            "sample": name,
            "true": true_class,
            "predicted": classes[predicted],
            "probability": float(probabilities[predicted]),
            **{f"share {region}": value for region, value in shares.items()},
            "expected AUs": "+".join(map(str, EXPECTED_AUS.get(classes[predicted], ()))),
            "expected share": inside,
            "lift over uniform": lift,
            **faithfulness(score, sample[0], predicted, landmark_scores, seed=seed),
        }
        if moved.get(name):
            k = len(moved[name])
            row["precision@moved"] = precision_at_k(landmark_scores, moved[name], k)
            row["precision@10"] = precision_at_k(landmark_scores, moved[name], 10)
            row["random precision"] = random_precision_at_k(moved[name], k)
        rows.append((index, row, raw))
    summary = _summarise(rows, data_path, dataset, classes, out_dir, post)
    summary.update({"model": os.path.abspath(model_path), "data": os.path.abspath(data_path), "method": method})
    summary["drawn_as_outlines"] = outlines  # face figures without their frame, and why
    with open(os.path.join(out_dir, "summary.json"), "w") as handle:
        json.dump(_json_safe(summary), handle, indent=2)
    _write_report(summary, out_dir)
    return summary


def _json_safe(value: Any) -> Any:
    """NaN (undefined figures, e.g. agreement for neutral) as null: strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return None if isinstance(value, float) and np.isnan(value) else value


def _write_csv(path: str, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()})


def _summarise(
    rows, data_path: str, dataset: Dataset, classes: list[str], out_dir: str, post: PostProcessing
) -> dict[str, Any]:
    """Per-sample and per-class region tables (CSV), class mean maps and faces, and the summary figures."""
    _write_csv(os.path.join(out_dir, "regions_per_sample.csv"), [row for _, row, _ in rows])
    per_class, class_rows = {}, []
    for name in classes:
        members = [(index, row, raw) for index, row, raw in rows if row["predicted"] == name]
        if not members:
            continue
        mean_raw = np.mean([raw for _, _, raw in members], axis=0)
        scores = mean_raw.mean(axis=1)
        shares = region_shares(scores)
        inside, lift = agreement(shares, name)
        numeric = list(dict.fromkeys(k for _, row, _ in members for k, v in row.items() if isinstance(v, float)))
        means = {
            k: float(np.mean([row[k] for _, row, _ in members if k in row and not np.isnan(row[k])] or [np.nan]))
            for k in numeric
        }
        entry = {
            "samples": len(members),
            "correct": sum(row["true"] == name for _, row, _ in members),
            "region_shares": shares,
            "expected_aus": list(EXPECTED_AUS.get(name, ())),
            "expected_regions": expected_regions(name),
            "expected_share": inside,
            "lift_over_uniform": lift,
            "top_region": max(shares, key=shares.get),
            **{
                k: means[k]
                for k in means
                if not k.startswith("share ") and k not in ("probability", "expected share", "lift over uniform")
            },
        }
        per_class[name] = entry
        title = f"class {name}: mean map over {len(members)} sample(s)"
        processed = postprocess(mean_raw, post.scale, post.difference, post.threshold)
        plot_map(mean_raw, processed, os.path.join(out_dir, "figures", f"class_{name}_map.png"), title)
        points, image, _ = _last_frame(data_path, dataset, members[0][0])
        plot_face(points, scores, os.path.join(out_dir, "figures", f"class_{name}_face.png"), title, image)
        class_rows.append(
            {
                "class": name,
                **{f"share {k}": v for k, v in shares.items()},
                "expected share": inside,
                "lift over uniform": lift,
            }
        )
    _write_csv(os.path.join(out_dir, "regions_per_class.csv"), class_rows)
    overall: dict[str, float] = {}
    for key in (
        "deletion_auc",
        "random_deletion_auc",
        "insertion_auc",
        "random_insertion_auc",
        "precision@moved",
        "precision@10",
        "random precision",
    ):
        values = [row[key] for _, row, _ in rows if key in row]
        if values:
            overall[key] = float(np.mean(values))
    return {
        "samples": len(rows),
        "per_class": per_class,
        "overall": overall,
        "regions": {k: list(v) for k, v in AU_REGIONS.items()},
    }


def _f(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.2f}"


def _write_report(summary: dict[str, Any], out_dir: str) -> str:
    """report.md: a row per class with its figures, region table and faithfulness figures."""
    overall = summary["overall"]
    lines = [
        f"# Class activation maps ({summary['method']})",
        "",
        f"Model `{summary['model']}`, data `{summary['data']}`, {summary['samples']} samples explained "
        "(maps for the predicted class).",
        "",
        "Faithfulness (mean over samples): deletion AUC "
        f"{_f(overall.get('deletion_auc'))} vs random {_f(overall.get('random_deletion_auc'))} (lower is better); "
        f"insertion AUC {_f(overall.get('insertion_auc'))} vs random {_f(overall.get('random_insertion_auc'))} "
        "(higher is better).",
    ]
    if summary.get("drawn_as_outlines"):
        outlines = summary["drawn_as_outlines"]
        lines.append(
            f"{len(outlines)} face figure(s) show landmark outlines instead of the frame (e.g. {outlines[0]})."
        )
    if "precision@moved" in overall:
        lines.append(
            f"Against the truly moved landmarks (synth truth): precision@moved {_f(overall['precision@moved'])}, "
            f"precision@10 {_f(overall['precision@10'])}, random ranking {_f(overall['random precision'])}."
        )
    lines += [
        "",
        "| class | samples (correct) | top region | expected AUs | expected share | lift | deletion (random) "
        "| insertion (random) | precision@moved |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in summary["per_class"].items():
        lines.append(
            f"| {name} | {entry['samples']} ({entry['correct']}) | {entry['top_region']} | "
            f"{'+'.join(map(str, entry['expected_aus'])) or '-'} | {_f(entry['expected_share'])} | "
            f"{_f(entry['lift_over_uniform'])} | "
            f"{_f(entry.get('deletion_auc'))} ({_f(entry.get('random_deletion_auc'))}) | "
            f"{_f(entry.get('insertion_auc'))} ({_f(entry.get('random_insertion_auc'))}) | "
            f"{_f(entry.get('precision@moved'))} |"
        )
    for name, entry in summary["per_class"].items():
        lines += [
            "",
            f"## {name}",
            "",
            f"![map](figures/class_{name}_map.png) ![face](figures/class_{name}_face.png)",
            "",
            "| region | " + " | ".join(entry["region_shares"]) + " |",
            "|---|" + "---|" * len(entry["region_shares"]),
            "| share | " + " | ".join(_f(v) for v in entry["region_shares"].values()) + " |",
            "",
            f"Expected regions (paper's AUs {'+'.join(map(str, entry['expected_aus'])) or 'none'}): "
            f"{', '.join(entry['expected_regions']) or 'none'}.",
        ]
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path
