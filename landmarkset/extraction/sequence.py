"""What a track records of the source it was made from, whatever made its landmarks (one face or several)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..io.frames import Source
from ..provenance import ALL_FRAMES, LISTED_FRAMES, Provenance

__all__ = ["sequence_fields"]


def sequence_fields(source: Source, provenance: Provenance, options: dict[str, Any], n: int, unreadable: int) -> dict:
    """The Track fields of the first ``n`` frames of ``source`` that do not depend on the faces: its id, frame
    positions, size, path and rate, the backend and its ``options``, provenance and frames promised."""
    return dict(
        id=source.id,
        frame_index=np.asarray(source.frame_numbers[:n] if source.frame_numbers else np.arange(n), dtype=np.int32),
        width=source.width,
        height=source.height,
        source=os.path.abspath(source.path),
        fps=source.fps,
        backend=provenance.backend,
        backend_version=provenance.backend_version,
        backend_options=dict(options),
        frame_names=source.frame_names if source.kind != "video" else None,
        unreadable_frames=unreadable,
        selection=ALL_FRAMES if provenance.selection == ALL_FRAMES else LISTED_FRAMES,
        source_fingerprint=dict(provenance.source) if provenance.source is not None else None,
        frames_promised=source.frame_count if source.kind == "video" and source.frame_count > 0 else -1,
    )
