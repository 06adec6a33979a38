"""Export a track store in one of the formats other tools read, chosen by name or by the output's suffix:
OpenFace-style CSVs (a folder), one table (CSV or Parquet) or NetCDF (xarray, movement)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from .errors import OptionError
from .smoothing import Smoothing

__all__ = ["EXPORT_FORMATS", "ExportResult", "export", "export_format"]

EXPORT_FORMATS = {
    "openface": "one OpenFace-style CSV per sequence, in a folder",
    "table": "one row per frame of every sequence: .csv or .parquet",
    "netcdf": "labelled arrays that xarray and the movement package load: .nc",
}


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its format and files."""

    format: str
    output: str
    paths: list[str]

    def summary(self) -> str:
        if self.format == "openface":
            return f"wrote {len(self.paths)} OpenFace-style CSV file(s) to {self.output}"
        return f"wrote {self.output}"


def export_format(output: str) -> str:
    """The format an output names by its suffix: .csv / .parquet a table, .nc NetCDF, else an OpenFace folder."""
    suffix = output.lower()
    return "table" if suffix.endswith((".csv", ".parquet")) else "netcdf" if suffix.endswith(".nc") else "openface"


def export(
    store: str,
    output: str,
    *,
    format: Optional[str] = None,
    sequences: Optional[Sequence[str]] = None,
    smoothing: Optional[Smoothing] = None,
) -> ExportResult:
    """Write ``store``'s tracks (``sequences``: only these) to ``output`` in ``format`` (None: from the suffix,
    :func:`export_format`), smoothed on the way out with ``smoothing``."""
    from .labelled import export_netcdf
    from .openface import export_openface, export_table

    chosen = format or export_format(output)
    if chosen not in EXPORT_FORMATS:
        raise OptionError(f"unknown export format {chosen!r}: one of {', '.join(EXPORT_FORMATS)}")
    settings = {"sequences": list(sequences) if sequences else None, "smoothing": smoothing}
    if chosen == "openface":
        return ExportResult(chosen, output, export_openface(store, output, **settings))
    writer = export_table if chosen == "table" else export_netcdf
    return ExportResult(chosen, output, [writer(store, output, **settings)])
