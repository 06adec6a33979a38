"""landmarkset: facial landmark tracks, training sets and interpretable temporal CNNs.

The public API is small; see docs/api.md.
"""

from ._version import __version__
from .errors import InputError, LandmarksetError, MissingDependencyError, OptionError, StoreError, WeightsError
from .extract import ExtractionReport, Failure, extract, track_source
from .extractors import BaseExtractor, Extractor, FrameResult, get_extractor, list_extractors
from .openface import export_openface, export_table, import_openface
from .readers import Source, discover_sources
from .smoothing import Smoothing
from .store import Track, TrackFile, TrackWriter, open_tracks

__all__ = [
    "BaseExtractor",
    "ExtractionReport",
    "Extractor",
    "Failure",
    "FrameResult",
    "InputError",
    "LandmarksetError",
    "MissingDependencyError",
    "OptionError",
    "Smoothing",
    "Source",
    "StoreError",
    "Track",
    "TrackFile",
    "TrackWriter",
    "WeightsError",
    "__version__",
    "discover_sources",
    "export_openface",
    "export_table",
    "extract",
    "get_extractor",
    "import_openface",
    "list_extractors",
    "open_tracks",
    "track_source",
]
