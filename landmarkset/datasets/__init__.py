"""Training sets: the builder for any data, the layouts of the field's datasets, and the one build path.

``builder`` resamples sequences into samples (the Python API for custom data); ``declaration`` is what a
layout declares (sheet, options, defaults, generators) and ``layout`` what it scans into; the layouts are
``ckplus``, ``samm``, ``casme2``, ``casme_sq`` (CAS(ME)^2), ``casme3``, ``smic``, ``smic_e`` and ``manifest``
for anyone's labelled clips, registered like plug-ins (``registry``); ``build`` is the one build path;
``crops`` makes the SCN's face crops; ``composite`` merges built datasets (MEGC 2019); ``torchdata`` reads
a built dataset lazily for PyTorch; ``check`` runs the layout checks on any layout.
"""

from ..io.datasets import Dataset, read_crops, read_dataset
from .build import BuildReport, build, build_dataset, write_dataset
from .builder import DatasetBuilder, resample_indices
from .casme2 import CasmeIILayout, build_casme2
from .casme3 import CasmeIIILayout, build_casme3
from .casme_sq import CasmeSquaredLayout, build_casme_sq
from .ckplus import CkplusLayout, build_ckplus
from .composite import CLASS_MAPPINGS, ClassMapping, MergeReport, merge_datasets
from .crops import write_crops
from .declaration import Generator, LayoutBase
from .layout import Item, Layout, Scan
from .manifest import ManifestLayout, build_manifest
from .registry import LayoutInfo, declaration, list_layouts
from .samm import SammLayout, build_samm
from .smic import SmicLayout, build_smic
from .smic_e import SmicELayout, build_smic_e

__all__ = [
    "CLASS_MAPPINGS",
    "BuildReport",
    "CasmeIIILayout",
    "CasmeIILayout",
    "CasmeSquaredLayout",
    "CkplusLayout",
    "ClassMapping",
    "Dataset",
    "DatasetBuilder",
    "Generator",
    "Item",
    "Layout",
    "LayoutBase",
    "LayoutInfo",
    "ManifestLayout",
    "MergeReport",
    "SammLayout",
    "Scan",
    "SmicELayout",
    "SmicLayout",
    "build",
    "build_casme2",
    "build_casme3",
    "build_casme_sq",
    "build_ckplus",
    "build_dataset",
    "build_manifest",
    "build_samm",
    "build_smic",
    "build_smic_e",
    "declaration",
    "list_layouts",
    "merge_datasets",
    "read_crops",
    "read_dataset",
    "resample_indices",
    "write_crops",
    "write_dataset",
]
