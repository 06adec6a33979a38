"""landmarkset: facial landmark tracks, training sets and interpretable temporal CNNs.

The public API is small; see docs/api.md. Stages: ``io`` (frame readers, the store format and its one
writer), ``extraction`` (sources through a backend into a store), ``datasets`` (training sets).
"""

from ._version import __version__
from .datasets import BuildReport, Dataset, DatasetBuilder, build_ckplus, build_samm, read_dataset, write_dataset
from .errors import (
    InputError,
    LandmarksetError,
    MissingDependencyError,
    OptionError,
    ProvenanceError,
    StoreBusyError,
    StoreError,
    WeightsError,
)
from .exports import export
from .extraction import ExtractionReport, Failure, extract, track_source
from .extractors import BaseExtractor, Extractor, FrameResult, get_extractor, list_extractors
from .io import Discovery, Source, TrackFile, TrackWriter, discover_sources, open_tracks
from .labelled import export_netcdf, from_xarray, import_movement, to_xarray
from .openface import export_openface, export_table, import_openface
from .provenance import Provenance
from .smoothing import Smoothing
from .track import Track

__all__ = [
    "BaseExtractor",
    "BuildReport",
    "Dataset",
    "DatasetBuilder",
    "Discovery",
    "ExtractionReport",
    "Extractor",
    "Failure",
    "FrameResult",
    "InputError",
    "LandmarksetError",
    "MissingDependencyError",
    "OptionError",
    "Provenance",
    "ProvenanceError",
    "Smoothing",
    "Source",
    "StoreBusyError",
    "StoreError",
    "Track",
    "TrackFile",
    "TrackWriter",
    "WeightsError",
    "__version__",
    "build_ckplus",
    "build_samm",
    "discover_sources",
    "export",
    "export_netcdf",
    "export_openface",
    "export_table",
    "extract",
    "from_xarray",
    "get_extractor",
    "import_movement",
    "import_openface",
    "list_extractors",
    "open_tracks",
    "read_dataset",
    "to_xarray",
    "track_source",
    "write_dataset",
]
