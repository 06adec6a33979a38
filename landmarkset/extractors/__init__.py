"""Landmark backends: the :class:`Extractor` protocol, :class:`FrameResult`, and the registry."""

from ._base import N_LANDMARKS, BaseExtractor, Extractor, FrameResult, declared_extras
from ._options import Option, parse_option_pairs, provenance_exempt_options, validate_options
from ._registry import ENTRY_POINT_GROUP, describe_extractors, get_extractor, get_extractor_class, list_extractors
from ._several_faces import FACES_OPTION, SeveralFacesExtractor, faces_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "FACES_OPTION",
    "N_LANDMARKS",
    "BaseExtractor",
    "Extractor",
    "FrameResult",
    "Option",
    "SeveralFacesExtractor",
    "declared_extras",
    "describe_extractors",
    "faces_of",
    "get_extractor",
    "get_extractor_class",
    "list_extractors",
    "parse_option_pairs",
    "provenance_exempt_options",
    "validate_options",
]
