"""Reading and writing: frame sources, and the store format (tracks, /dataset, crops) with its one writer.

``frames`` reads videos and image folders; ``encoding`` names and versions every element of the store;
``tracks`` and ``datasets`` read and write those elements; ``writer`` is the one writer of a store
(lock, crash-safe commits).
"""

from .datasets import Dataset, read_crops, read_dataset, read_dataset_labels
from .frames import Discovery, Frame, Source, discover_sources, natural_key, read_image, read_track_frames
from .tracks import TrackFile, open_tracks
from .writer import TrackWriter

__all__ = [
    "Dataset",
    "Discovery",
    "Frame",
    "Source",
    "TrackFile",
    "TrackWriter",
    "discover_sources",
    "natural_key",
    "open_tracks",
    "read_crops",
    "read_dataset",
    "read_dataset_labels",
    "read_image",
    "read_track_frames",
]
