"""Extraction: sources through a backend into a store, on this machine or a Dask cluster.

``driver`` plans and records (resume by provenance, one writer), ``tracking`` turns one source into a
track, and the runners (``local``, ``dask``) compute tracks behind one interface (``runner``).
"""

from .driver import extract, extract_into
from .report import ExtractionReport, Failure
from .tracking import request_provenance, track_source

__all__ = ["ExtractionReport", "Failure", "extract", "extract_into", "request_provenance", "track_source"]
