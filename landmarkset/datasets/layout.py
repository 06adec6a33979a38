"""What a dataset layout (CK+, SAMM, ...) declares, in one place, for the shared build to read.

A layout scans its root into :class:`Item` s, one per sample: its id, subject, label, frames on disk and
interval, plus everything it could not read (failed) or left out by rule (dropped). The build that
follows (extraction or provided landmarks, resampling, neutrals, crops, the store) is the same for all.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol

from ..errors import InputError
from ..extraction.report import Failure
from ..intervals import Interval
from ..io.frames import Source
from ..provenance import Provenance
from ..track import Track
from .builder import ONSET_OFFSET, interval_frames

__all__ = [
    "Item",
    "Layout",
    "Scan",
    "SheetIntervals",
    "find_tree",
    "link_out_of",
    "numbered_frames",
    "outside_root",
]

FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


def numbered_frames(folder: str, number: Callable[[str], Optional[int]]) -> dict[int, str]:
    """Frame number -> file name of the visible images in ``folder``, in number order; ``number`` reads a
    file name's stem (None: not a frame)."""
    frames = {}
    for name in os.listdir(folder):
        stem, extension = os.path.splitext(name)
        if name.startswith(".") or extension.lower() not in FRAME_EXTENSIONS:
            continue
        found = number(stem)
        if found is not None:
            frames[found] = name
    return dict(sorted(frames.items()))


def find_tree(root: str, name: str, dataset: str) -> str:
    """The folder ``name`` under ``root`` or one wrapper folder down (releases are unpacked either way);
    InputError naming what was looked for otherwise."""
    if not os.path.isdir(root):
        raise InputError(f"{root}: no such folder")
    children = sorted(os.path.join(root, child) for child in os.listdir(root) if not child.startswith("."))
    for base in [root, *children]:
        if os.path.isdir(os.path.join(base, name)):
            return os.path.join(base, name)
    raise InputError(f"{root}: no {name} folder (checked one wrapper level down): is this {dataset}?")


def outside_root(root: str, paths: list[str]) -> Optional[str]:
    """The first of ``paths`` that is, links followed, outside ``root`` (None when all are inside): a
    build reads only its dataset's own files, so a link out of the tree fails its sample and is never read."""
    real_root = os.path.realpath(root)
    for path in paths:
        real = os.path.realpath(path)
        if os.path.commonpath([real_root, real]) != real_root:
            return path
    return None


def link_out_of(root: str, path: str) -> str:
    """The failure reason of :func:`outside_root`'s path."""
    return f"links to {os.path.realpath(path)}, outside the dataset root {root}: copy the file into the tree"


@dataclass
class Item:
    """One sample a layout declares. Its id is a checked name (see landmarkset.names)."""

    id: str  # the sample's sequence id, also its track's id
    subject: str
    label: str  # class name
    folder: str  # the image folder holding its frames (under the layout's root)
    frames: dict[int, str]  # every frame on disk: frame number (1-based) -> file name
    origin: str  # where it was declared, for messages: a file, or "SHEET row 14"
    interval: Optional[tuple[int, int, int]] = None  # onset, apex, offset (1-based frame numbers)
    kind: str = ""  # "macro" or "micro" for expression intervals (MEGC scoring), else ""
    extra: dict[str, Any] = field(default_factory=dict)  # the layout's own data about the item
    video: str = ""  # the long video (its sequence id) the item is an interval of; "" for a clip of its own

    def length(self, span: str = ONSET_OFFSET) -> int:
        """Frames the sample covers: the span of its interval, or every frame on disk."""
        if self.interval is None:
            return len(self.frames)
        onset, apex, offset = self.interval
        return (apex if span != ONSET_OFFSET else offset) - onset + 1

    def needed(self, span: str, frames: int) -> list[int]:
        """Frame numbers the sample's frames come from (only those are read)."""
        if self.interval is None:
            return sorted(self.frames)
        return sorted(set(interval_frames(self.interval, span, frames).tolist()))

    def source(self, span: str, frames: int, root: str) -> Source:
        """The frames to extract, as a source named relative to ``root``."""
        return self._images(self.id, self.needed(span, frames), root)

    def whole_video(self, root: str, fps: float = math.nan) -> Source:
        """Every frame of the long video the item is an interval of, as the source of sequence ``video``, its
        frames timed at ``fps`` (the release's rate)."""
        source = self._images(self.video, sorted(self.frames), root)
        source.fps = fps
        return source

    def _images(self, sequence: str, numbers: list[int], root: str) -> Source:
        return Source(
            self.folder,
            sequence,
            "images",
            select=[self.frames[number] for number in numbers],
            frame_numbers=[number - 1 for number in numbers],
            root=root,
        )

    def same_as(self, other: Item) -> bool:
        return (self.folder, self.frames, self.subject, self.label, self.interval, self.kind) == (
            other.folder,
            other.frames,
            other.subject,
            other.label,
            other.interval,
            other.kind,
        )


@dataclass
class Scan:
    """What a layout found: items, rows or folders that could not be read (failed, with the reason),
    those left out by rule (dropped, with the reason), and annotation defects it repaired."""

    items: list[Item] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    repairs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SheetIntervals:
    """The expression intervals a long-video sheet annotates, as spotting scores against them: each with its video
    (the sequence id a whole-video build gives it), subject, type and emotion, in the video's frame numbers
    (1-based: the n-th frame of the video). Rows that could not be read (``failed``), rows a repair policy left
    out or that repeat another (``dropped``) and repaired defects (``repairs``) are named, each with its row."""

    sheet: str
    layout: str
    intervals: list[Interval] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    repairs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, interval: Interval, origin: str) -> None:
        """Keep ``interval`` (read from ``origin``, e.g. "row 12"), or name it as a repeat of an earlier row."""
        key = (interval.video, interval.onset, interval.offset, interval.type)
        earlier = self._seen.setdefault(key, origin)
        if earlier is origin:
            self.intervals.append(interval)
        else:
            self.dropped.append((f"{interval.video} {interval.onset}-{interval.offset}",
                                 f"{origin}: the same interval as {earlier}, counted once"))  # fmt: skip

    def __post_init__(self) -> None:
        self._seen: dict[tuple[str, int, int, str], str] = {}

    def by_video(self) -> dict[str, list[Interval]]:
        found: dict[str, list[Interval]] = {}
        for interval in self.intervals:
            found.setdefault(interval.video, []).append(interval)
        return found


class Layout(Protocol):
    """A dataset layout. ``name`` is recorded in ``/dataset``; ``classes`` fixes the class list (None: the
    labels found); ``provides_landmarks`` says whether it can make tracks from the dataset's own landmark
    files (``--landmarks provided``)."""

    name: str
    root: str
    classes: Optional[list[str]]
    provides_landmarks: bool

    def inputs(self) -> list[str]:
        """Files and folders the build reads (the output may not be one of them)."""

    def scan(self) -> Scan:
        """Every sample under the root, and everything that could not be read or was left out."""

    def settings(self) -> dict[str, Any]:
        """The layout's own settings, recorded in ``/dataset``."""

    def provided_provenance(self, item: Item) -> Provenance:
        """What a track made from the dataset's own landmark files records (compared before reuse)."""

    def provided_track(self, item: Item, provenance: Provenance) -> Track:
        """The item's track from the dataset's own landmark files, recording ``provenance`` (from
        :meth:`provided_provenance`); InputError naming a file that is bad."""
