"""A delivered spotter file (``NAME.spotter`` of `landmarkset train-spotter`, applied by `spot --spotter`).

Spotter files are shared between labs like models, so opening one runs no code: the file is a zip archive of
``spotter.json`` (a versioned record: format, format version, the spotter's name, the setting chosen per pass,
its windows, the landmark source it was trained on, what it was trained and scored on, and the spotter's own
plain settings) and the members its spotter declares, each read by a loader that builds only data: a
scikit-learn estimator in ``skops.io`` format (only trusted types are built), a model's weights through
``torch.load(weights_only=True)``. Every field is checked before use, and anything else (an older pickle
spotter, another file, a newer format) is refused in one line.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

from landmarkset.errors import OptionError
from landmarkset.intervals import TYPES, Span
from landmarkset.runfolder import atomic_path

from .spotters import Spotter, get_spotter

__all__ = ["FORMAT", "FORMAT_VERSION", "DeliveredSpotter", "load_spotter", "save_spotter"]

FORMAT = "landmarkset-spotter"
FORMAT_VERSION = "2.0"  # 1: a pickle (landmarkset 0.4), never opened
RECORD = "spotter.json"


@dataclass
class DeliveredSpotter:
    """A fitted spotter and everything needed to apply it as it was scored."""

    spotter: Spotter
    settings: dict[str, float]  # per pass: the setting chosen (the folds' median)
    windows: dict[str, Span]  # k per type, as trained
    source: dict[str, Any] = field(default_factory=dict)  # backend and region-flow lag of the training tracks
    trained_on: dict[str, Any] = field(default_factory=dict)  # tracks, sheet, videos, subjects, LOSO figures


def save_spotter(path: str, delivered: DeliveredSpotter) -> str:
    """Write ``delivered`` to ``path`` (through a temporary file: a crash leaves the earlier file or none)."""
    own, members = delivered.spotter.state()
    record = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spotter": delivered.spotter.name,
        "settings": {name: float(value) for name, value in delivered.settings.items()},
        "windows": {kind: [float(span.value), bool(span.seconds)] for kind, span in delivered.windows.items()},
        "source": delivered.source,
        "trained_on": delivered.trained_on,
        "state": own,
        "members": sorted(members),
    }
    with atomic_path(path) as partial, zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(RECORD, json.dumps(record, indent=1))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _field(record: dict[str, Any], name: str, kind: type, path: str) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise OptionError(f"{path}: its field {name!r} is not a {kind.__name__} ({str(value)[:40]!r}); train it again")
    return value


def _windows(record: dict[str, Any], path: str) -> dict[str, Span]:
    given = _field(record, "windows", dict, path)
    try:
        windows = {kind: Span(float(value), bool(seconds)) for kind, (value, seconds) in given.items()}
    except (TypeError, ValueError):
        windows = {}
    if set(windows) != set(TYPES) or not all(math.isfinite(s.value) and s.value > 0 for s in windows.values()):
        raise OptionError(f"{path}: its windows {str(given)[:60]} are not a micro and a macro window; train it again")
    return windows


def _settings(record: dict[str, Any], spotter: Spotter, path: str) -> dict[str, float]:
    given = _field(record, "settings", dict, path)
    if set(given) != set(spotter.passes) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in given.values()
    ):
        raise OptionError(
            f"{path}: its settings {str(given)[:60]} are not one {spotter.setting} in [0, 1] per pass "
            f"({', '.join(spotter.passes)}); train it again"
        )
    return {name: float(value) for name, value in given.items()}


def load_spotter(path: str) -> DeliveredSpotter:
    """The spotter file ``path``; OptionError in one line for anything that is not one (see the module doc)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if RECORD not in names:
                raise OptionError(f"{path}: not a spotter file of landmarkset train-spotter (no {RECORD})")
            record = json.loads(archive.read(RECORD).decode("utf-8"))
            listed = record.get("members", []) if isinstance(record, dict) else []
            members = {name: archive.read(name) for name in listed if isinstance(name, str) and name in names}
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError):
        raise OptionError(
            f"{path}: not a spotter file of landmarkset train-spotter (spotter files before landmarkset 0.5 were "
            "pickles, which are never opened: train it again)"
        ) from None
    except OSError as error:
        raise OptionError(f"{path}: cannot read ({error.strerror or error})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise OptionError(f"{path}: not a spotter file of landmarkset train-spotter")
    version = str(record.get("format_version", ""))
    major = version.split(".")[0]
    if not major.isdigit() or int(major) != int(FORMAT_VERSION.split(".")[0]):
        newer = major.isdigit() and int(major) > int(FORMAT_VERSION.split(".")[0])
        raise OptionError(
            f"{path}: spotter file format {version!r}, this landmarkset reads {FORMAT_VERSION}: "
            + ("update landmarkset" if newer else "train it again with landmarkset train-spotter")
        )
    try:
        spotter = get_spotter(_field(record, "spotter", str, path))
    except OptionError as error:
        raise OptionError(f"{path}: {error}") from None
    if not spotter.trained:
        raise OptionError(f"{path}: {spotter.name!r} is not a trained spotter")
    windows, settings = _windows(record, path), _settings(record, spotter, path)
    missing = sorted(set(listed) - set(members))
    if missing:
        raise OptionError(f"{path}: the member {missing[0]!r} it lists is not in the file; train it again")
    fitted = spotter.load_state(_field(record, "state", dict, path), members, path)
    source = _field(record, "source", dict, path)
    return DeliveredSpotter(fitted, settings, windows, source, _field(record, "trained_on", dict, path))
