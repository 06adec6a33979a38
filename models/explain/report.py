"""The typed result of `landmarkset explain` (:class:`ExplainReport`) and what is written from it: per-sample
and per-class region CSVs, the method x metric table, summary.json and report.md (docs/explain.md)."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from landmarkset.facs import EMOTION_AUS
from landmarkset.regions import AU_REGIONS
from landmarkset.runfolder import atomic_file

from .au import agreement, expected_regions, region_shares, top_region
from .methods import METHODS

# What an explain run writes into its folder (its run record names them).
EXPLAIN_FILES = (
    "maps", "figures", "regions_per_sample.csv", "regions_per_class.csv", "methods.csv", "summary.json", "report.md",
)  # fmt: skip

METRICS = (
    ("precision@moved", "higher"),
    ("precision@10", "higher"),
    ("random precision", "reference"),
    ("deletion_auc", "lower"),
    ("random_deletion_auc", "reference"),
    ("insertion_auc", "higher"),
    ("random_insertion_auc", "reference"),
    ("infidelity", "lower"),
    ("sensitivity", "lower"),
    ("seconds", "per sample"),
)


def _mean(values: list[float]) -> float:
    kept = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(kept)) if kept else float("nan")


def summarise(results: list, methods: list[str], classes: list[str]) -> dict[str, Any]:
    """Per-class region shares and agreement (of the first method's maps), per-method means of every metric."""
    per_method = {
        method: {
            key: _mean([r.per_method[method][key] for r in results if key in r.per_method[method]])
            for key, _ in METRICS
            if any(key in r.per_method[method] for r in results)
        }
        for method in methods
    }
    per_class: dict[str, Any] = {}
    for name in classes:
        members = [r for r in results if r.row["predicted"] == name]
        if not members:
            continue
        placed = [r.landmark_scores for r in members if r.landmark_scores is not None]
        entry: dict[str, Any] = {
            "samples": len(members),
            "correct": sum(r.row["true"] == name for r in members),
            "expected_aus": list(EMOTION_AUS.get(name, ())),
            "expected_regions": expected_regions(name),
            "members": [r.index for r in members],
        }
        if placed:
            shares = region_shares(np.mean(placed, axis=0))
            inside, lift = agreement(shares, name)
            entry.update(
                region_shares=shares,
                expected_share=inside,
                lift_over_uniform=lift,
                top_region=top_region(shares),
            )
        first = methods[0]
        for key, _ in METRICS:
            values = [r.per_method[first][key] for r in members if key in r.per_method[first]]
            if values:
                entry[key] = _mean(values)
        per_class[name] = entry
    return {
        "samples": len(results),
        "methods": methods,
        "per_method": per_method,
        "overall": per_method[methods[0]],
        "per_class": per_class,
        "regions": {k: list(v) for k, v in AU_REGIONS.items()},
        "sample_figures": {r.row["sample"]: dict(r.figures) for r in results if getattr(r, "figures", None)},
    }


def no_better_than_random(per_method: dict[str, dict[str, float]]) -> list[str]:
    """The methods whose maps order the landmarks no better than random order does: their deletion AUC is not
    below the random order's and their insertion AUC not above it (lower and higher are better)."""
    found = []
    for method, figures in per_method.items():
        keys = ("deletion_auc", "random_deletion_auc", "insertion_auc", "random_insertion_auc")
        if all(key in figures for key in keys):
            if figures["deletion_auc"] >= figures["random_deletion_auc"] and (
                figures["insertion_auc"] <= figures["random_insertion_auc"]
            ):
                found.append(method)
    return found


def no_better_line(methods: list[str]) -> str:
    """The one line that says which maps are no better than random order (empty when none)."""
    if not methods:
        return ""
    return (
        f"the maps of {', '.join(methods)} are no better than a random order of the landmarks (deletion AUC not "
        "lower, insertion AUC not higher than random's): they do not show what the model relies on"
    )


def write_csv(path: str, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with atomic_file(path, newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()})


def write_tables(results: list, summary: dict[str, Any], out_dir: str) -> None:
    """regions_per_sample.csv, regions_per_class.csv and methods.csv."""
    write_csv(os.path.join(out_dir, "regions_per_sample.csv"), [r.row for r in results])
    class_rows = [
        {
            "class": name,
            **{f"share {k}": v for k, v in entry["region_shares"].items()},
            "expected share": entry["expected_share"],
            "lift over uniform": entry["lift_over_uniform"],
        }
        for name, entry in summary["per_class"].items()
        if "region_shares" in entry
    ]
    write_csv(os.path.join(out_dir, "regions_per_class.csv"), class_rows)
    write_csv(
        os.path.join(out_dir, "methods.csv"),
        [{"method": method, **figures} for method, figures in summary["per_method"].items()],
    )


@dataclass
class ExplainReport:
    """What `explain` measured: faithfulness per method, region / AU agreement per predicted class, and
    what could not be drawn; ``to_json()`` is summary.json."""

    model: str  # the model file
    model_name: str
    data: str
    method: str  # the method that drew the maps
    methods: list[str]
    samples: int
    per_method: dict[str, dict[str, float]]
    overall: dict[str, float]  # per_method[method]
    per_class: dict[str, dict[str, Any]]  # by predicted class
    regions: dict[str, list[int]]
    post_processing: str
    sample_figures: dict[str, dict[str, str]] = field(default_factory=dict)  # sample -> its figures
    predicted_classes: dict[str, int] = field(default_factory=dict)
    drawn_as_outlines: list[str] = field(default_factory=list)  # face figures without their frame, and why
    not_on_landmarks: list[str] = field(default_factory=list)  # crop maps not readable at the landmarks, and why
    warnings: list[str] = field(default_factory=list)
    out_dir: str = ""

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content.pop("out_dir")
        return _json_safe(content)

    def figure_lines(self) -> list[str]:
        """The faithfulness figures of every method, each beside random order's and saying which way is better,
        and one warning line when a method's maps are no better than random order."""
        lines = []
        for name, figures in self.per_method.items():
            line = (
                f"{name}: deletion AUC {figures['deletion_auc']:.3f} (lower is better; random "
                f"{figures['random_deletion_auc']:.3f}), insertion AUC {figures['insertion_auc']:.3f} (higher is "
                f"better; random {figures['random_insertion_auc']:.3f})"
            )
            if "precision@moved" in figures:
                line += f", precision@moved {figures['precision@moved']:.3f} (random {figures['random precision']:.3f})"
            lines.append(line)
        warning = no_better_line(no_better_than_random(self.per_method))
        return lines + ([f"Warning: {warning}"] if warning else [])

    def summary(self) -> str:
        """What `landmarkset explain` prints: each method's faithfulness beside random order's, the samples
        explained, the figures drawn without their frame, and where the report is."""
        lines = [*self.figure_lines(), f"{self.samples} samples explained; maps drawn with {self.method}"]
        if self.drawn_as_outlines:
            outlines = self.drawn_as_outlines
            lines.append(f"{len(outlines)} face figure(s) drawn as outlines, without the frame (e.g. {outlines[0]})")
        return "\n".join([*lines, f"report: {os.path.join(self.out_dir, 'report.md')}"])

    def write(self) -> None:
        """summary.json, the three tables (given the sample rows) and report.md in ``out_dir``."""
        with atomic_file(os.path.join(self.out_dir, "summary.json")) as handle:
            json.dump(self.to_json(), handle, indent=2)
        write_report(self.to_json(), self.out_dir)


def _json_safe(value: Any) -> Any:
    """NaN (undefined figures, e.g. agreement for neutral) as null: strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _f(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.2f}"


def _methods_table(summary: dict[str, Any]) -> list[str]:
    keys = [key for key, _ in METRICS if any(key in figures for figures in summary["per_method"].values())]
    better = dict(METRICS)
    lines = [
        "| method | " + " | ".join(f"{key} ({better[key]})" for key in keys) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for method, figures in summary["per_method"].items():
        mark = " (maps drawn)" if method == summary["method"] else ""
        lines.append(f"| {method}{mark} | " + " | ".join(_f(figures.get(key)) for key in keys) + " |")
    return lines


def _relative(path: str, out_dir: str) -> str:
    """``path`` relative to the run folder (a report moves with its folder and names no machine's paths)."""
    try:
        return os.path.relpath(path, os.path.abspath(out_dir))
    except ValueError:  # another drive
        return path


def write_report(summary: dict[str, Any], out_dir: str) -> str:
    """report.md: the method x metric table, a row per class, and a section per class with its figures."""
    overall = summary["overall"]
    lines = [
        f"# Explanations of a {summary['model_name']} model ({summary['method']})",
        "",
        f"Model `{_relative(summary['model'], out_dir)}`, data `{_relative(summary['data'], out_dir)}`, "
        f"{summary['samples']} samples explained "
        f"(maps for the predicted class; {METHODS[summary['method']].summary}). Post-processed maps: "
        f"{summary['post_processing']}.",
        "",
        "Faithfulness (mean over samples): deletion AUC "
        f"{_f(overall.get('deletion_auc'))} vs random {_f(overall.get('random_deletion_auc'))} (lower is better); "
        f"insertion AUC {_f(overall.get('insertion_auc'))} vs random {_f(overall.get('random_insertion_auc'))} "
        "(higher is better).",
    ]
    notes = [*summary.get("warnings", []), no_better_line(no_better_than_random(summary["per_method"]))]
    for warning in reversed([note for note in notes if note]):  # the files it names, relative to the report
        for path in (summary["model"], summary["data"]):
            warning = warning.replace(path, _relative(path, out_dir))
        lines[1:1] = [f"**Warning: {warning}**", ""]
    if summary.get("drawn_as_outlines"):
        outlines = summary["drawn_as_outlines"]
        lines.append(
            f"{len(outlines)} face figure(s) show landmark outlines instead of the frame (e.g. {outlines[0]})."
        )
    if summary.get("not_on_landmarks"):
        lines.append(f"{len(summary['not_on_landmarks'])} crop map(s) could not be read at the landmarks.")
    if "precision@moved" in overall:
        lines.append(
            f"Against the truly moved landmarks (synth truth): precision@moved {_f(overall['precision@moved'])}, "
            f"precision@10 {_f(overall['precision@10'])}, random ranking {_f(overall['random precision'])}."
        )
    lines += ["", "## Methods", "", *_methods_table(summary)]
    lines += [
        "",
        "## Classes",
        "",
        "| class | samples (correct) | top region | expected AUs | expected share | lift | deletion (random) "
        "| insertion (random) | precision@moved |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in summary["per_class"].items():
        lines.append(
            f"| {name} | {entry['samples']} ({entry['correct']}) | {entry.get('top_region') or '-'} | "
            f"{'+'.join(map(str, entry['expected_aus'])) or '-'} | {_f(entry.get('expected_share'))} | "
            f"{_f(entry.get('lift_over_uniform'))} | "
            f"{_f(entry.get('deletion_auc'))} ({_f(entry.get('random_deletion_auc'))}) | "
            f"{_f(entry.get('insertion_auc'))} ({_f(entry.get('random_insertion_auc'))}) | "
            f"{_f(entry.get('precision@moved'))} |"
        )
    for name, entry in summary["per_class"].items():
        lines += ["", f"### {name}", "", " ".join(f"![{n}](figures/{f})" for n, f in entry["figures"].items())]
        if "region_shares" in entry:
            lines += [
                "",
                "| region | " + " | ".join(entry["region_shares"]) + " |",
                "|---|" + "---|" * len(entry["region_shares"]),
                "| share | " + " | ".join(_f(v) for v in entry["region_shares"].values()) + " |",
            ]
        lines += [
            "",
            f"Expected regions (prototype AUs {'+'.join(map(str, entry['expected_aus'])) or 'none'}): "
            f"{', '.join(entry['expected_regions']) or 'none'}.",
        ]
        lift = entry.get("lift_over_uniform")
        if entry["expected_aus"] and lift is not None and np.isfinite(lift) and lift < 1:
            lines.append(
                f"The map contradicts the prototype: it puts less weight on the regions of {name}'s Action Units "
                f"than a uniform map would (lift {lift:.2f}), so the model relies on other cues for {name} than "
                "the prototype's (or the prototype does not describe this data)."
            )
        if not entry["expected_aus"]:
            lines.append(
                "This class moves no Action Unit, so no region is expected: a model that learned it as 'no "
                "expression' has little reason to attribute to any landmark, and a near-blank map is the expected "
                "result, not a failure. The top region is named only when some region holds activation."
            )
    if summary.get("sample_figures"):
        lines += ["", "## Samples", ""]
        lines += [f"- {sample}: " + " ".join(f"[{n}](figures/{f})" for n, f in figures.items())
                  for sample, figures in summary["sample_figures"].items()]  # fmt: skip
    path = os.path.join(out_dir, "report.md")
    with atomic_file(path) as handle:
        handle.write("\n".join(lines) + "\n")
    return path
