"""Training sets: the builder for any data, the CK+ and SAMM layouts, and the one build path they share.

``builder`` resamples sequences into samples (the Python API for custom data); ``layout`` is what a
dataset layout declares (``ckplus``, ``samm``, ``manifest`` for anyone's labelled clips; ``registry``
lists them and those of installed packages); ``build`` runs every layout's build; ``crops`` makes the
SCN's face crops; ``torchdata`` reads a built dataset lazily for PyTorch; ``megc`` is the spotting metric.
"""

from ..io.datasets import Dataset, read_crops, read_dataset
from .build import BuildReport, build_dataset, write_dataset
from .builder import DatasetBuilder, resample_indices
from .casme2 import CasmeIILayout, build_casme2
from .ckplus import CkplusLayout, build_ckplus
from .crops import write_crops
from .layout import Item, Layout, Scan
from .manifest import ManifestLayout, build_manifest
from .registry import LAYOUTS, LayoutInfo, list_layouts
from .samm import SammLayout, build_samm

__all__ = [
    "LAYOUTS",
    "BuildReport",
    "CasmeIILayout",
    "CkplusLayout",
    "Dataset",
    "DatasetBuilder",
    "Item",
    "Layout",
    "LayoutInfo",
    "ManifestLayout",
    "SammLayout",
    "Scan",
    "build_casme2",
    "build_ckplus",
    "build_dataset",
    "build_manifest",
    "build_samm",
    "list_layouts",
    "read_crops",
    "read_dataset",
    "resample_indices",
    "write_crops",
    "write_dataset",
]
