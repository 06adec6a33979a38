"""Per-frame elements beyond the 68 points (format MAY elements): what a backend declares it gives.

A backend lists the :class:`FrameExtra` it fills in its ``extras`` attribute and puts one array per
extra in each :class:`~landmarkset.extractors.FrameResult`. The track buffer, the store, the flat
table, the OpenFace CSV and the labelled-array export read only these declarations; a plug-in can
declare its own (any name, any per-frame shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .regions import SPOT_REGIONS

__all__ = [
    "BLENDSHAPES",
    "FRAME_EXTRAS",
    "HEAD_POSE",
    "MEDIAPIPE_BLENDSHAPES",
    "POINT_CONFIDENCE",
    "REGION_FLOW",
    "FrameExtra",
    "head_pose_openface",
]


@dataclass(frozen=True)
class FrameExtra:
    """One per-frame element: stored as ``/sequences/<id>/extras/<name>``, (T, *shape) float32, NaN
    where the frame has no face.

    ``labels`` name the entries of the last axis when they have names (blendshapes); ``unit`` and
    ``description`` are written beside the data.
    """

    name: str
    shape: tuple[int, ...]
    description: str
    unit: str = ""
    labels: tuple[str, ...] = ()
    #: Table columns that are also OpenFace FeatureExtraction columns (the head pose's).
    openface_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.labels and len(self.labels) != self.shape[-1]:
            raise ValueError(f"extra {self.name!r}: {len(self.labels)} labels for a last axis of {self.shape[-1]}")

    def empty(self, frames: int) -> np.ndarray:
        return np.full((frames, *self.shape), np.nan, dtype=np.float32)

    def check(self, values: np.ndarray, where: str) -> np.ndarray:
        values = np.asarray(values, dtype=np.float32)
        if values.shape != self.shape:
            raise ValueError(f"{where}: extra {self.name!r} has shape {values.shape}, declared {self.shape}")
        return values

    def columns(self) -> list[str]:
        """Flat-table column names, one per value of a frame."""
        if self.labels and len(self.shape) == 1:
            return [f"{self.name}_{label}" for label in self.labels]
        return [f"{self.name}_{'_'.join(map(str, index))}" for index in np.ndindex(*self.shape)]

    def table(self, values: np.ndarray) -> np.ndarray:
        """(T, len(columns())) values for the flat table."""
        return np.asarray(values, dtype=np.float64).reshape(len(values), -1)


class HeadPose(FrameExtra):
    """The 4 x 4 facial transformation matrix; tables get OpenFace's pose columns instead."""

    def columns(self) -> list[str]:
        return list(_POSE_COLUMNS)

    def table(self, values: np.ndarray) -> np.ndarray:
        return head_pose_openface(values)


_POSE_COLUMNS = ("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz")
# From MediaPipe's camera frame (x right, y up, z towards the viewer, centimetres) to OpenFace's
# (x right, y down, z away from the camera, millimetres).
_FLIP = np.diag([1.0, -1.0, -1.0])


def head_pose_openface(matrices: np.ndarray) -> np.ndarray:
    """(T, 4, 4) MediaPipe transformation matrices -> (T, 6) OpenFace pose: Tx, Ty, Tz in mm and
    Rx, Ry, Rz in radians with R = Rx @ Ry @ Rz, in OpenFace's camera frame; NaN rows stay NaN."""
    matrices = np.asarray(matrices, dtype=np.float64).reshape(-1, 4, 4)
    rotation = _FLIP @ matrices[:, :3, :3] @ _FLIP
    translation = matrices[:, :3, 3] @ _FLIP * 10.0
    rx = np.arctan2(-rotation[:, 1, 2], rotation[:, 2, 2])
    ry = np.arcsin(np.clip(rotation[:, 0, 2], -1.0, 1.0))
    rz = np.arctan2(-rotation[:, 0, 1], rotation[:, 0, 0])
    return np.column_stack([translation, rx, ry, rz])


# The 52 blendshape categories of MediaPipe's face_landmarker.task, in the model's output order.
MEDIAPIPE_BLENDSHAPES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft",
    "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft",
    "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft",
    "jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)  # fmt: skip

POINT_CONFIDENCE = FrameExtra(
    "point_confidence",
    (68,),
    "confidence of each of the 68 points (face-alignment: the peak of the point's heatmap, about 0-1)",
)
BLENDSHAPES = FrameExtra(
    "blendshapes",
    (len(MEDIAPIPE_BLENDSHAPES),),
    "MediaPipe FaceLandmarker blendshape coefficients (ARKit names), 0-1",
    labels=MEDIAPIPE_BLENDSHAPES,
)
HEAD_POSE = HeadPose(
    "head_pose",
    (4, 4),
    "MediaPipe facial transformation matrix: canonical face model -> camera (x right, y up, z towards the "
    "viewer), translation in centimetres, for the image the landmarker saw (see docs/backends.md)",
    unit="cm",
    openface_columns=_POSE_COLUMNS,
)

#: The extras landmarkset's own backends declare, by name.
# Any backend with the option region_flow (landmarkset.flow): optical flow in the spotting regions.
REGION_FLOW = FrameExtra(
    "region_flow",
    (len(SPOT_REGIONS), 2),
    "mean optical flow (x, y) in each spotting region (SPOT_REGIONS order) between this frame and the one the "
    "lag before, in the aligned face crop, the head's own motion subtracted",
    unit="inter-ocular distances",
    labels=("x", "y"),
)

FRAME_EXTRAS = {extra.name: extra for extra in (POINT_CONFIDENCE, BLENDSHAPES, HEAD_POSE, REGION_FLOW)}


def extra_from_stored(name: str, shape: tuple[int, ...], attrs: dict) -> FrameExtra:
    """The declaration of a stored extra: a known one by name, else rebuilt from its attributes."""
    known: Optional[FrameExtra] = FRAME_EXTRAS.get(name)
    if known is not None and known.shape == tuple(shape):
        return known
    labels = tuple(str(label) for label in attrs.get("labels", ()))
    return FrameExtra(
        name,
        tuple(shape),
        str(attrs.get("description", "")),
        unit=str(attrs.get("unit", "")),
        labels=labels if labels and len(labels) == shape[-1] else (),
    )
