"""The kinds of input a model can declare: landmark sequences or face crops.

Each kind says, in one place, how its raw samples are read from a built dataset, how they become a float
tensor (the *prepared* input, before the model's own layout), which preprocessing choices it offers, how
training may augment it, how its samples are checked against a model, and how explanations see it:

- prepared input: landmarks (N, frames, 68, 2); crops (N, frames, size, size) in [0, 1];
- a map (one sample's explanation): landmarks (68, frames); crops (frames, size, size);
- features for faithfulness curves: each landmark; each crop patch of ``PATCH`` x ``PATCH`` pixels;
- removing a feature freezes it at the sample's first frame (it no longer moves), the baseline that every
  attribution method starts from.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, ClassVar, Optional

import cv2
import numpy as np
import torch
from torch import nn

from landmarkset.errors import InputError
from landmarkset.io import Dataset, read_crops
from landmarkset.io.crops import CropGeometry
from landmarkset.regions import REGIONS

from .augment import augment
from .preprocess import PREPROCESSING, preprocess

PATCH = 16  # crop pixels per side of one feature in faithfulness curves and occlusion


def time_windows(frames: int, window: int) -> np.ndarray:
    """Window number of each frame: ``window`` consecutive frames share one."""
    return np.arange(frames) // max(1, window)


def _interpolate(layer_map: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """(N, *dims) -> (N, *size), linearly (1-D) or bilinearly (2-D)."""
    mode = "linear" if len(size) == 1 else "bilinear"
    return nn.functional.interpolate(layer_map[:, None], size=size, mode=mode, align_corners=False)[:, 0]


def spread(layer_map: torch.Tensor, axes: tuple[str, ...], map_axes: tuple[str, ...], sizes: dict[str, int]):
    """A layer map over named ``axes`` (N, *dims) upsampled and repeated to the map's ``map_axes`` (N, *sizes).

    Axes of the map that the layer does not have (e.g. frames, for an image model whose frames are channels)
    get the same value everywhere.
    """
    unknown = [axis for axis in axes if axis not in map_axes]
    if unknown:
        raise ValueError(f"layer axes {axes} do not fit the input's map axes {map_axes}")
    out = _interpolate(layer_map, tuple(sizes[axis] for axis in axes))
    order = [axis for axis in map_axes if axis in axes]
    out = out.permute(0, *[1 + axes.index(axis) for axis in order])
    for position, axis in enumerate(map_axes):
        if axis not in axes:
            out = out.unsqueeze(1 + position)
    return out.expand(-1, *[sizes[axis] for axis in map_axes])


@dataclass(frozen=True)
class InputKind:
    """Shared behaviour; :data:`LANDMARKS` and :data:`CROPS` are the two kinds."""

    name: ClassVar[str]
    preprocessing: ClassVar[tuple[str, ...]]  # choices; the first is the default
    map_axes: ClassVar[tuple[str, ...]]  # axes of one sample's map
    # Figures explain draws for a sample and for a class (names in landmarkset.models.explain.figures.FIGURES);
    # "map" also writes the post-processed map, which needs (landmarks, frames) maps.
    figures: ClassVar[tuple[str, ...]]
    reads_tracks: ClassVar[bool] = False  # its samples can be cut from a track store's landmarks (predict)

    def read(self, data_path: str, dataset: Dataset) -> np.ndarray:
        raise NotImplementedError

    def prepare(self, samples: np.ndarray, preprocessing: str) -> torch.Tensor:
        raise NotImplementedError

    def dimensions(self, samples: np.ndarray) -> dict[str, int]:
        raise NotImplementedError

    def augmenter(self, jitter: float = 0.0) -> Optional[Callable[[np.ndarray, np.random.Generator], np.ndarray]]:
        """Random transforms of raw training samples, redrawn every epoch (None: the kind has none)."""
        return None

    def map_sizes(self, shape: tuple[int, ...]) -> dict[str, int]:
        """Length of each map axis for a prepared sample of ``shape``."""
        raise NotImplementedError

    def to_map(self, attribution: torch.Tensor) -> np.ndarray:
        """Attributions over prepared input (N, ...) -> maps (N, *map_axes), non-negative."""
        raise NotImplementedError

    def from_map(self, maps: torch.Tensor) -> torch.Tensor:
        """Maps (N, *map_axes) -> attributions over prepared input (each map value shared by its elements)."""
        raise NotImplementedError

    def feature_ids(self, shape: tuple[int, ...]) -> torch.Tensor:
        """For a prepared sample of ``shape``, the faithfulness feature of each element (ints from 0)."""
        raise NotImplementedError

    def feature_scores(self, maps: np.ndarray) -> np.ndarray:
        """Maps (N, *map_axes) -> (N, features): each feature's total."""
        raise NotImplementedError

    def occlusion_ids(self, shape: tuple[int, ...], window: int) -> torch.Tensor:
        """For a prepared sample, the occluded group of each element (region or patch x time window)."""
        raise NotImplementedError

    def from_format_1(self, shape: dict[str, int], preprocessing: dict[str, str]) -> tuple[dict[str, int], str]:
        """(dimensions, preprocessing) of a landmarkset 0.1 / 0.2 model file's ``shape`` and ``preprocessing``."""
        raise NotImplementedError

    def samples_from_landmarks(self, windows: np.ndarray) -> np.ndarray:
        """Raw samples from windows of a track's normalised landmarks (N, frames, 68, 2) (kinds that read tracks)."""
        raise NotImplementedError

    def map_points(self, dataset: Dataset, index: int, frame_size: Optional[tuple[int, int]], sample: np.ndarray):
        """The sample's landmarks (frames, 68, 2) in the coordinates of its map, or None when the map is over
        landmarks already or they cannot be placed (unknown frame size)."""
        return None

    def landmark_scores(self, the_map: np.ndarray, points: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """(68,) activation per landmark of one sample's map, or None when it cannot be read at landmarks."""
        raise NotImplementedError

    def check(self, samples: np.ndarray, dimensions: dict[str, int], model_path: str, data_path: str) -> None:
        frames = dimensions.get("frames")
        if frames is not None and samples.shape[1] != frames:
            raise InputError(
                f"{data_path}: samples have {samples.shape[1]} frames but {model_path} expects {frames}; rebuild "
                f"the data with --frames {frames}"
            )


@dataclass(frozen=True)
class LandmarkInput(InputKind):
    name: ClassVar[str] = "landmarks"
    preprocessing: ClassVar[tuple[str, ...]] = PREPROCESSING
    map_axes: ClassVar[tuple[str, ...]] = ("landmarks", "frames")
    figures: ClassVar[tuple[str, ...]] = ("map", "face")
    reads_tracks: ClassVar[bool] = True

    def samples_from_landmarks(self, windows: np.ndarray) -> np.ndarray:
        return np.asarray(windows, dtype=np.float32)  # the dataset's X holds the same normalised landmarks

    def landmark_scores(self, the_map: np.ndarray, points: Optional[np.ndarray]) -> Optional[np.ndarray]:
        return the_map.mean(axis=1)

    def read(self, data_path: str, dataset: Dataset) -> np.ndarray:
        return dataset.X

    def prepare(self, samples: np.ndarray, preprocessing: str) -> torch.Tensor:
        return torch.from_numpy(preprocess(samples, preprocessing))

    def dimensions(self, samples: np.ndarray) -> dict[str, int]:
        return {"frames": int(samples.shape[1]), "landmarks": int(samples.shape[2])}

    def augmenter(self, jitter: float = 0.0) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
        return functools.partial(augment, jitter=jitter)

    def from_format_1(self, shape: dict[str, int], preprocessing: dict[str, str]) -> tuple[dict[str, int], str]:
        return {"frames": shape["n_frames"], "landmarks": shape["n_landmarks"]}, preprocessing.get("landmarks", "none")

    def map_sizes(self, shape: tuple[int, ...]) -> dict[str, int]:
        return {"frames": shape[0], "landmarks": shape[1]}

    def from_map(self, maps: torch.Tensor) -> torch.Tensor:
        return maps.transpose(1, 2)[..., None].expand(-1, -1, -1, 2) / 2

    def to_map(self, attribution: torch.Tensor) -> np.ndarray:
        # x and y of a point act together: their signed sum, then its size.
        return attribution.sum(-1).abs().transpose(1, 2).detach().cpu().numpy()

    def feature_ids(self, shape: tuple[int, ...]) -> torch.Tensor:
        frames, landmarks, _ = shape
        return torch.arange(landmarks).view(1, landmarks, 1).expand(frames, landmarks, 2)

    def feature_scores(self, maps: np.ndarray) -> np.ndarray:
        return maps.sum(axis=2)

    def occlusion_ids(self, shape: tuple[int, ...], window: int) -> torch.Tensor:
        frames, landmarks, _ = shape
        region = np.zeros(landmarks, np.int64)
        for number, points in enumerate(REGIONS.values()):
            region[[p for p in points if p < landmarks]] = number
        windows = time_windows(frames, window)
        ids = windows[:, None] * len(REGIONS) + region[None, :]
        return torch.from_numpy(ids)[..., None].expand(frames, landmarks, 2)


@dataclass(frozen=True)
class CropInput(InputKind):
    name: ClassVar[str] = "crops"
    preprocessing: ClassVar[tuple[str, ...]] = ("unit",)  # uint8 / 255
    map_axes: ClassVar[tuple[str, ...]] = ("frames", "height", "width")
    figures: ClassVar[tuple[str, ...]] = ("crop",)

    def map_points(self, dataset: Dataset, index: int, frame_size: Optional[tuple[int, int]], sample: np.ndarray):
        """The landmarks in the crop's pixels, by the geometry the crops were cut with (``landmarkset.io.crops``)."""
        if frame_size is None:
            return None
        geometry = CropGeometry.from_attrs(dataset.attrs, sample.shape[-1])
        return geometry.points(dataset.X[index] * np.array(frame_size, dtype=np.float64))

    def landmark_scores(self, the_map: np.ndarray, points: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """The map read at the landmarks, lightly smoothed (a point covers a few pixels), averaged over frames."""
        if points is None:
            return None
        height, width = the_map.shape[1:]
        scores = np.zeros(points.shape[1])
        for number, frame_map in enumerate(the_map):
            smooth = cv2.blur(frame_map.astype(np.float32), (5, 5))
            x = np.clip(points[number, :, 0].round().astype(int), 0, width - 1)
            y = np.clip(points[number, :, 1].round().astype(int), 0, height - 1)
            scores += smooth[y, x]
        return scores / len(the_map)

    def read(self, data_path: str, dataset: Dataset) -> np.ndarray:
        crops = read_crops(data_path)
        if len(crops) != len(dataset):
            raise InputError(f"{data_path}: {len(crops)} crops for {len(dataset)} samples; rebuild with --crops")
        return crops

    def prepare(self, samples: np.ndarray, preprocessing: str) -> torch.Tensor:
        return torch.from_numpy(np.asarray(samples, dtype=np.float32) / 255.0)

    def dimensions(self, samples: np.ndarray) -> dict[str, int]:
        return {"frames": int(samples.shape[1]), "height": int(samples.shape[2]), "width": int(samples.shape[3])}

    def map_sizes(self, shape: tuple[int, ...]) -> dict[str, int]:
        return {"frames": shape[0], "height": shape[1], "width": shape[2]}

    def from_format_1(self, shape: dict[str, int], preprocessing: dict[str, str]) -> tuple[dict[str, int], str]:
        return {"frames": shape["n_frames"], "height": shape["size"], "width": shape["size"]}, self.preprocessing[0]

    def from_map(self, maps: torch.Tensor) -> torch.Tensor:
        return maps

    def to_map(self, attribution: torch.Tensor) -> np.ndarray:
        return attribution.abs().detach().cpu().numpy()

    def _patches(self, height: int, width: int) -> np.ndarray:
        rows, columns = np.arange(height) // PATCH, np.arange(width) // PATCH
        return rows[:, None] * (columns.max() + 1) + columns[None, :]

    def feature_ids(self, shape: tuple[int, ...]) -> torch.Tensor:
        frames, height, width = shape
        return torch.from_numpy(self._patches(height, width)).expand(frames, height, width)

    def feature_scores(self, maps: np.ndarray) -> np.ndarray:
        patches = self._patches(*maps.shape[2:]).ravel()
        flat = maps.sum(axis=1).reshape(len(maps), -1)
        return np.stack([np.bincount(patches, weights=row) for row in flat])

    def occlusion_ids(self, shape: tuple[int, ...], window: int) -> torch.Tensor:
        frames, height, width = shape
        patches = self._patches(height, width)
        windows = time_windows(frames, window)
        return torch.from_numpy(windows[:, None, None] * (patches.max() + 1) + patches[None])

    def check(self, samples: np.ndarray, dimensions: dict[str, int], model_path: str, data_path: str) -> None:
        super().check(samples, dimensions, model_path, data_path)
        size = dimensions.get("height")
        if size is not None and samples.shape[2] != size:
            raise InputError(
                f"{data_path}: crops are {samples.shape[2]} px but {model_path} expects {size}; rebuild with --crops "
                f"--crop-size {size}"
            )


LANDMARKS = LandmarkInput()
CROPS = CropInput()
INPUT_KINDS = {kind.name: kind for kind in (LANDMARKS, CROPS)}
