"""`landmarkset predict`: slide a trained model over every track of a store, streaming (docs/training.md,
"Predictions over whole videos"). The one driver of the prediction stage.

Each window of ``window`` source frames (every ``stride``) becomes a sample of the frames the model takes by
the rule training samples were made with (landmarkset.windows: even positions, first and last included;
a frame without a face takes its nearest face's landmarks; a window with a face on fewer than half its
frames is skipped). A frame's probabilities are the mean over the scored windows that cover it, counted only
where the frame has a face: frames without a face are never given a class. Tracks are read in blocks, and
rows are written as they are made, so memory stays flat on long tracks. A track of chosen frames (not a
video) fails alone.
"""

from __future__ import annotations

import csv
import math
import os
import time
from typing import Optional

import numpy as np
from tqdm.auto import tqdm

from landmarkset.errors import InputError, OptionError, StoreError
from landmarkset.individuals import PersonRule
from landmarkset.intervals import Span
from landmarkset.io import open_tracks
from landmarkset.names import file_stem
from landmarkset.runfolder import RunFolder, atomic_file
from landmarkset.windows import check_contiguous, sample_frames

from ..inference import landmark_warning, predict_proba
from ..modelfile import ModelRecord, load_model
from .figures import plot_timeline
from .report import PredictionReport, SequencePrediction

PREDICTION_FILES = ("windows.csv", "frames.csv", "summary.json")
BATCH = 256  # windows scored at once


def default_window(record: ModelRecord) -> int:
    """Source frames a training sample spanned (the median, recorded at training), else the model's frames."""
    return int(record.data.get("source_span") or record.dimensions["frames"])


def predict_tracks(
    model_path: str,
    tracks_path: str,
    out_dir: str,
    *,
    window: Optional[Span] = None,
    stride: Optional[Span] = None,
    sequences: Optional[list[str]] = None,
    device: str = "cpu",
    timelines: bool = True,
    progress: Optional[bool] = None,
    overwrite: bool = False,
) -> PredictionReport:
    """Predict every window of every track (or of ``sequences``) of ``tracks_path``; write OUT_DIR, a run folder
    (landmarkset.runfolder: another command's or run's is refused unless ``overwrite``)."""
    model, record = load_model(model_path, device)
    kind = record.spec.input
    if not kind.reads_tracks:
        raise OptionError(
            f"{model_path}: the {record.model!r} model takes {kind.name}, which are not in a track store; predict "
            "needs a model over landmarks"
        )
    classes = list(record.classes)
    started = time.monotonic()
    settings = {"window": str(window), "stride": str(stride), "sequences": sequences, "timelines": timelines}
    with open_tracks(tracks_path) as tracks:
        ids = list(dict.fromkeys(sequences)) if sequences else tracks.ids()  # -s X -s X: once
        missing = [name for name in ids if name not in tracks]
        if missing:
            raise OptionError(
                f"{tracks_path} has no sequence {missing[0]!r}; names are listed by `landmarkset info -s`"
            )
        window = window or Span(default_window(record))
        run = RunFolder(out_dir, "predict", settings, [model_path, tracks_path], overwrite=overwrite,
                        writes=(*PREDICTION_FILES, "timelines"))  # fmt: skip

        def spans(name: str) -> tuple[int, int]:
            """Window and stride in frames of one sequence: spans in seconds follow each track's fps."""
            fps = float(tracks.sequence_attrs(name).get("fps", math.nan))
            size = window.frames(fps)
            return size, (stride or Span(max(1, size // 4))).frames(fps)

        report = PredictionReport(
            model=os.path.abspath(model_path), model_name=record.model, tracks=os.path.abspath(tracks_path),
            classes=classes, window=0, stride=0, model_frames=int(record.dimensions["frames"]),
        )  # fmt: skip
        # a sequence of several faces is predicted per individual; only then the tables name it in a column
        people = {name: tracks.individual_names(name) or [""] for name in ids}
        several = any(names != [""] for names in people.values())
        key = ["sequence", "individual"] if several else ["sequence"]
        columns = [f"p_{name}" for name in classes]
        with (
            run,
            atomic_file(run.file("windows.csv"), newline="") as windows_file,
            atomic_file(run.file("frames.csv"), newline="") as frames_file,
        ):
            os.makedirs(os.path.join(out_dir, "timelines"), exist_ok=True)
            windows_out, frames_out = csv.writer(windows_file), csv.writer(frames_file)
            windows_out.writerow([*key, "window", "start_frame", "end_frame", "start_s", "end_s", "top", *columns])
            frames_out.writerow([*key, "frame", "time_s", "face", "windows", "top", *columns])
            disable = None if progress is None else not progress
            for name in tqdm(ids, desc="predict", unit="sequence", disable=disable):
                warning = landmark_warning(model_path, record, tracks.landmark_source(name), name)
                if warning and not any(warning.split(":", 1)[1] == w.split(":", 1)[1] for w in report.warnings):
                    report.warnings.append(warning)  # once per backend, naming the first sequence
                for individual in people[name]:
                    tracks.person = PersonRule(individual) if individual else None
                    row_key = [name, individual] if several else [name]
                    try:
                        check_contiguous(name, tracks.frame_index(name))
                        size, step = spans(name)
                        entry = _predict_sequence(model, record, tracks, name, size, step, device, windows_out,
                                                  frames_out, out_dir if timelines else None, row_key)  # fmt: skip
                    except (StoreError, OptionError, InputError) as error:  # damaged, listed frames, no fps
                        report.failed.append((name, " ".join(str(error).split())))
                        break
                    if not report.sequences:
                        report.window, report.stride = size, step
                    report.sequences.append(entry)
                    fps = entry.fps if math.isfinite(entry.fps) and entry.fps > 0 else 0.0
                    report.video_seconds += entry.frames / fps if fps and individual in ("", people[name][0]) else 0.0
            report.seconds = time.monotonic() - started
            report.files = {name: os.path.join(out_dir, name) for name in PREDICTION_FILES}
            report.write(os.path.join(out_dir, "summary.json"))
    return report


def _predict_sequence(model, record: ModelRecord, tracks, name: str, size: int, step: int, device: str, windows_out,
                      frames_out, timeline_dir: Optional[str], key: list[str]) -> SequencePrediction:  # fmt: skip
    classes, kind = list(record.classes), record.spec.input
    attrs = tracks.sequence_attrs(name)
    fps = float(attrs.get("fps", math.nan))
    total = tracks.frame_count(name)
    starts = np.arange(0, max(total - size, 0) + 1, step) if total >= size else np.arange(0)
    sums = np.zeros((total, len(classes)), np.float32)  # a few numbers per frame: flat next to the landmarks
    covered = np.zeros(total, np.int32)
    valid_all = np.zeros(total, bool)
    times = np.full(total, np.nan, np.float32)
    model_frames = int(record.dimensions["frames"])
    scored, skipped, tops = 0, 0, np.zeros(len(classes), np.int64)
    for batch_start in range(0, len(starts), BATCH):
        chosen = starts[batch_start : batch_start + BATCH]
        low, high = int(chosen[0]), int(chosen[-1]) + size
        landmarks, valid, stamps = tracks.frame_block(name, low, high)
        valid_all[low:high], times[low:high] = valid, stamps
        offsets, samples = [], []
        for offset in (chosen - low).tolist():
            picks = sample_frames(valid[offset : offset + size], model_frames)  # the builder's rule
            if picks is None:
                skipped += 1
            else:
                offsets.append(offset)
                samples.append(landmarks[offset + picks])
        if not offsets:
            continue
        probabilities = predict_proba(model, record, kind.samples_from_landmarks(np.stack(samples)), device=device)
        for offset, row in zip(offsets, probabilities):
            first = low + int(offset)
            faces = valid[offset : offset + size]  # a frame without a face takes no class
            sums[first : first + size][faces] += row
            covered[first : first + size][faces] += 1
            top = int(row.argmax())
            tops[top] += 1
            windows_out.writerow([
                *key, scored, first, first + size - 1, _seconds(first, fps), _seconds(first + size - 1, fps),
                classes[top], *(f"{p:.4f}" for p in row),
            ])  # fmt: skip
            scored += 1
    if total and (not len(starts) or int(starts[-1]) + size < total):  # the tail no window reached
        tail_start = int(starts[-1]) + size if len(starts) else 0
        _, valid, stamps = tracks.frame_block(name, tail_start, total)
        valid_all[tail_start:], times[tail_start:] = valid, stamps
    top_frame = np.full(total, -1, np.int64)
    for low in range(0, total, 4096):  # per-frame rows in blocks: no (frames x classes) float64 copy
        high = min(total, low + 4096)
        block = sums[low:high] / np.maximum(covered[low:high], 1)[:, None]
        has = covered[low:high] > 0
        top_frame[low:high] = np.where(has, block.argmax(1), -1)
        for offset in range(high - low):
            frame = low + offset
            frames_out.writerow([
                *key, frame, "" if np.isnan(times[frame]) else f"{times[frame]:.4f}", int(valid_all[frame]),
                int(covered[frame]), classes[top_frame[frame]] if has[offset] else "",
                *((f"{p:.4f}" for p in block[offset]) if has[offset] else [""] * len(classes)),
            ])  # fmt: skip
    entry = SequencePrediction(
        sequence=name,
        frames=total,
        fps=fps,
        windows=scored,
        skipped_windows=skipped,
        frames_with_face=int(valid_all.sum()),
        window_shares={classes[i]: float(n / scored) for i, n in enumerate(tops) if n} if scored else {},
        longest=_longest(top_frame, classes, fps),
        individual=key[1] if len(key) > 1 else "",
    )
    if timeline_dir is not None and scored:  # a track shorter than the window has nothing to draw
        stem = file_stem(name) + (f"__person{entry.individual}" if entry.individual else "")
        output = os.path.join(timeline_dir, "timelines", f"{stem}.png")
        per_frame = np.where(covered[:, None] > 0, sums / np.maximum(covered, 1)[:, None], np.nan)
        entry.timeline = plot_timeline(per_frame, valid_all, classes, fps, output, f"{entry.name}: {record.model}")
    return entry


def _seconds(frame: int, fps: float) -> str:
    return f"{frame / fps:.3f}" if math.isfinite(fps) and fps > 0 else ""


def _longest(top: np.ndarray, classes: list[str], fps: float) -> dict[str, dict[str, float]]:
    """Per class, its longest run of consecutive frames as the top class (frames no window scored break runs)."""
    best: dict[str, dict[str, float]] = {}
    if not len(top):
        return best
    edges = np.flatnonzero(np.diff(top)) + 1
    for start, stop in zip(np.r_[0, edges], np.r_[edges, len(top)]):
        label = int(top[start])
        if label < 0:
            continue
        name, length = classes[label], int(stop - start)
        if length > best.get(name, {}).get("frames", 0):
            seconds = length / fps if math.isfinite(fps) and fps > 0 else float("nan")
            best[name] = {"frames": length, "start": int(start), "end": int(stop - 1), "seconds": seconds}
    return best
