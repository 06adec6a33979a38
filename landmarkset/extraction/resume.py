"""Resume that never mixes: a stored track is reused only when it was made as this run asks.

Checked before anything is written: a store holds the tracks of one backend setting (name, version,
options), and each sequence the run asks for is reused only when its frames and source files match
(and its subject and label, when the run gives them). Otherwise the run stops with one line naming a
sequence, what differs, and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ..errors import ProvenanceError
from ..io.writer import TrackWriter
from ..provenance import Provenance

__all__ = ["check_resume"]

_FIX = "pass --overwrite to start a new store, or write to another output; nothing was written"


def check_resume(
    writer: TrackWriter,
    requests: Mapping[str, Provenance],
    *,
    exempt: Sequence[str] = (),
    annotations: Optional[Mapping[str, Mapping[str, str]]] = None,
) -> list[str]:
    """Ids of the requested sequences that ``writer``'s store already holds as asked.

    Raises ProvenanceError when the store holds tracks of another backend setting (options in ``exempt``
    do not count), or a requested sequence made from other frames or files, or with another subject or
    label than ``annotations`` give.
    """
    if not requests:
        return []
    request = next(iter(requests.values()))
    stored = {track_id: writer.provenance_and_attrs(track_id) for track_id in sorted(writer.ids())}
    for track_id, (provenance, _) in stored.items():
        difference = request.setting_differences(provenance, exempt)
        if difference is not None:
            raise ProvenanceError(f"{writer.given} holds tracks {difference} (e.g. {track_id!r}): {_FIX}")
    done, problems = [], []
    for track_id, wanted in requests.items():
        if track_id not in stored:
            continue
        provenance, attrs = stored[track_id]
        difference = wanted.sequence_differences(provenance)
        if difference is None and annotations and track_id in annotations:
            for key, value in annotations[track_id].items():
                if not _same_annotation(attrs.get(key, ""), value):
                    difference = f"was stored with {key} {attrs.get(key, '')!r}, this run gives {value!r}"
                    break
        if difference is None:
            done.append(track_id)
        else:
            problems.append((track_id, difference))
    if problems:
        track_id, difference = problems[0]
        more = f" ({len(problems) - 1} more sequence(s) differ)" if len(problems) > 1 else ""
        raise ProvenanceError(f"{writer.given}: sequence {track_id!r} {difference}{more}: {_FIX}")
    return done


def _same_annotation(stored: Any, wanted: Any) -> bool:
    """An annotation (subject, label, a frame rate) stored as given: numbers by value (NaN equals NaN, a float
    read back as numpy's is the same number), the rest as text."""
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        try:
            number = float(stored)
        except (TypeError, ValueError):
            return False
        return number == wanted or (math.isnan(number) and math.isnan(wanted))
    return str(stored) == str(wanted)
