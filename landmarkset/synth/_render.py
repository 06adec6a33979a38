"""Faces that move: a photographed identity, morphed into pseudo-subjects, warped to follow landmarks.

Landmarks live in "face coordinates": origin between the outer eye corners, x along the eye line,
one unit = the outer-eye-corner distance. A frame is rendered by one piecewise-affine warp from the
identity photo (never from an earlier frame, so nothing blurs over time): the 68 landmarks plus a ring
of points around the face and a far frame form a Delaunay mesh; the ring and frame move rigidly with
the head, the landmarks follow the expression, and OpenCV resamples the photo through the mesh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.spatial import Delaunay

from ..regions import LEFT_EYE_OUTER, MIRROR, RIGHT_EYE_OUTER

FRAME_SIZE = (640, 490)  # CK+ frames: width, height

EYES, BROWS, JAW, MOUTH = range(36, 48), range(17, 27), range(0, 17), range(48, 68)
INNER_UPPER_LIP, INNER_LOWER_LIP = [61, 62, 63], [67, 66, 65]  # facing pairs of the inner lip contour
MOUTH_CORNERS = (60, 64)
# The mouth's interior: the opening beyond the photo's own at rest is drawn this dark (a share of the
# pixels' own brightness), with a soft edge, so that trackers see an open mouth as they do in real video.
MOUTH_INTERIOR_SHARE = 0.25


@dataclass
class Identity:
    """A photograph of one face and its 68 landmarks (pixels)."""

    name: str
    image: np.ndarray  # grayscale uint8 (H, W)
    landmarks: np.ndarray  # (68, 2)

    def mirrored(self) -> Identity:
        width = self.image.shape[1]
        points = self.landmarks[list(MIRROR)].copy()
        points[:, 0] = width - 1 - points[:, 0]
        return Identity(self.name + "-mirrored", np.ascontiguousarray(self.image[:, ::-1]), points)

    def face_frame(self) -> tuple[np.ndarray, float, float]:
        """Origin, unit length and angle of this photo's face coordinates."""
        # x runs from the eye corner on the image's left (36) to the one on its right (45).
        first, second = self.landmarks[LEFT_EYE_OUTER], self.landmarks[RIGHT_EYE_OUTER]
        delta = second - first
        return (first + second) / 2, float(np.hypot(*delta)), math.atan2(delta[1], delta[0])

    def to_face(self, points: np.ndarray) -> np.ndarray:
        origin, unit, angle = self.face_frame()
        return _rotate(points - origin, -angle) / unit

    def from_face(self, points: np.ndarray) -> np.ndarray:
        origin, unit, angle = self.face_frame()
        return _rotate(points * unit, angle) + origin


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


@dataclass(frozen=True)
class Look:
    """How a pseudo-subject differs from its identity: face shape, framing and lighting."""

    mirror: bool = False
    eye_distance: float = 1.0
    jaw_width: float = 1.0
    mouth_width: float = 1.0
    face_height: float = 1.0
    brow_height: float = 0.0  # face units, negative = higher
    scale: float = 90.0  # outer-eye-corner distance in output pixels
    angle: float = 0.0  # degrees, in-plane
    centre: tuple[float, float] = (320.0, 200.0)  # output pixel of the point between the eyes
    brightness: float = 0.0
    contrast: float = 1.0

    @classmethod
    def sample(cls, rng: np.random.Generator, size: tuple[int, int] = FRAME_SIZE) -> Look:
        width, height = size
        return cls(
            mirror=bool(rng.random() < 0.5),
            eye_distance=float(rng.uniform(0.92, 1.08)),
            jaw_width=float(rng.uniform(0.9, 1.1)),
            mouth_width=float(rng.uniform(0.9, 1.1)),
            face_height=float(rng.uniform(0.94, 1.06)),
            brow_height=float(rng.uniform(-0.05, 0.05)),
            scale=float(rng.uniform(0.13, 0.16) * width),
            angle=float(rng.uniform(-6, 6)),
            centre=(float(width / 2 + rng.uniform(-25, 25)), float(height * 0.4 + rng.uniform(-15, 15))),
            brightness=float(rng.uniform(-20, 20)),
            contrast=float(rng.uniform(0.85, 1.15)),
        )

    def morph(self, face: np.ndarray) -> np.ndarray:
        """Apply the face-shape changes to landmarks in face coordinates."""
        out = face.copy()
        out[list(EYES), 0] *= self.eye_distance
        out[list(BROWS), 0] *= self.eye_distance
        out[list(BROWS), 1] += self.brow_height
        out[list(JAW), 0] *= self.jaw_width
        mouth = list(MOUTH)
        centre = out[mouth, 0].mean()
        out[mouth, 0] = centre + (out[mouth, 0] - centre) * self.mouth_width
        out[:, 1] *= self.face_height
        return out


# Points around the face (face coordinates) that move only with the head, and a far frame.
_RING = np.array([(1.45 * math.cos(a), 0.45 + 1.95 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 20, False)])
_FAR = np.array([(x, y) for x in (-40, 0, 40) for y in (-40, 0, 40) if (x, y) != (0, 0)], dtype=float)


def _inverse3(m: np.ndarray) -> np.ndarray:
    """Inverses of a stack of 3x3 matrices, written out: LAPACK's threads would spin on such tiny work."""
    a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    d, e, f = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    g, h, i = m[:, 2, 0], m[:, 2, 1], m[:, 2, 2]
    cofactors = np.stack(
        [
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ],
        axis=1,
    ).reshape(-1, 3, 3)
    determinant = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return cofactors / determinant[:, None, None]


@dataclass
class Renderer:
    """Renders frames of one pseudo-subject (identity + look)."""

    identity: Identity
    look: Look
    size: tuple[int, int] = FRAME_SIZE
    neutral: np.ndarray = field(init=False)  # (68, 2) face coordinates of this subject at rest

    def __post_init__(self) -> None:
        if self.look.mirror:
            self.identity = self.identity.mirrored()
        face = self.identity.to_face(self.identity.landmarks)
        self.neutral = self.look.morph(face)
        self._source_points = np.vstack([self.identity.landmarks, self.identity.from_face(np.vstack([_RING, _FAR]))])
        triangles = Delaunay(np.vstack([face, _RING, _FAR])).simplices
        # Triangles touching the far frame move rigidly: the whole-photo warp already covers them.
        self._triangles = triangles[(triangles < 68 + len(_RING)).all(axis=1)]
        # Lighting is per subject: apply it to the photo once (a lookup table), not to every frame.
        levels = (np.arange(256) - 128.0) * self.look.contrast + 128.0 + self.look.brightness
        self._image = cv2.LUT(self.identity.image, np.clip(levels, 0, 255).astype(np.uint8))
        width, height = self.size
        self._grid_x, self._grid_y = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )

    def place(self, face: np.ndarray, head: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """Output pixels of face-coordinate points; ``head`` = (dx px, dy px, degrees) of small motion."""
        dx, dy, degrees = head
        angle = math.radians(self.look.angle + degrees)
        return _rotate(face * self.look.scale, angle) + np.array(self.look.centre) + [dx, dy]

    def _affines(self, target: np.ndarray) -> np.ndarray:
        """(triangles, 3, 2) maps from output pixels [x, y, 1] to photo pixels, one per mesh triangle."""
        corners = np.concatenate([target[self._triangles], np.ones((len(self._triangles), 3, 1))], axis=2)
        return (_inverse3(corners) @ self._source_points[self._triangles]).astype(np.float32)

    def render(self, face: np.ndarray, head: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> tuple:
        """(grayscale uint8 frame, its 68 landmarks in output pixels) for landmarks ``face``."""
        width, height = self.size
        landmarks = self.place(face, head)
        target = np.vstack([landmarks, self.place(np.vstack([_RING, _FAR]), head)])
        # Outside the ring the head moves rigidly: one affine warp of the whole photo...
        corners = 68 + len(_RING) + np.array([0, 2, 5])  # three far points that are not on one line
        rigid = cv2.getAffineTransform(
            target[corners].astype(np.float32), self._source_points[corners].astype(np.float32)
        )
        frame = cv2.warpAffine(
            self._image,
            rigid,
            self.size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        # ...and inside it, the mesh: each pixel takes its triangle's affine map back to the photo.
        ring = target[68 : 68 + len(_RING)]
        x0, y0 = np.maximum(np.floor(ring.min(axis=0)).astype(int) - 1, 0)
        x1, y1 = np.minimum(np.ceil(ring.max(axis=0)).astype(int) + 2, [width, height])
        if x1 > x0 and y1 > y0:
            ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
            local = np.round((target - [x0, y0]) * 16).astype(np.int32)
            for index, triangle in enumerate(self._triangles):
                cv2.fillConvexPoly(ids, local[triangle], index, cv2.LINE_8, 4)
            inside = ids >= 0
            c = self._affines(target)[ids[inside]]
            xs = self._grid_x[y0:y1, x0:x1][inside]
            ys = self._grid_y[y0:y1, x0:x1][inside]
            map_x = np.full(ids.shape, -1, np.float32)
            map_y = np.full(ids.shape, -1, np.float32)
            map_x[inside] = c[:, 0, 0] * xs + c[:, 1, 0] * ys + c[:, 2, 0]
            map_y[inside] = c[:, 0, 1] * xs + c[:, 1, 1] * ys + c[:, 2, 1]
            patch = cv2.remap(self._image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            frame[y0:y1, x0:x1][inside] = patch[inside]
        self._draw_mouth_interior(frame, face, head)
        return frame, landmarks.astype(np.float32)

    def _draw_mouth_interior(self, frame: np.ndarray, face: np.ndarray, head: tuple[float, float, float]) -> None:
        """Darken the mouth's opening beyond the photo's own at rest (in place). The mesh warp alone stretches
        the lips over an opening jaw, which no tracker reads as an open mouth."""
        scale = np.linalg.norm(face[RIGHT_EYE_OUTER] - face[LEFT_EYE_OUTER]) / np.linalg.norm(
            self.neutral[RIGHT_EYE_OUTER] - self.neutral[LEFT_EYE_OUTER]
        )
        rest = (self.neutral[INNER_LOWER_LIP, 1] - self.neutral[INNER_UPPER_LIP, 1]) * scale
        extra = np.maximum(face[INNER_LOWER_LIP, 1] - face[INNER_UPPER_LIP, 1] - rest, 0.0)
        if extra.max() < 0.01:  # under 1 % of the eye-corner distance: the mouth is as the photo has it
            return
        upper = face[INNER_UPPER_LIP]
        lower = upper + np.column_stack([np.zeros(len(extra)), extra])
        polygon = self.place(np.vstack([face[MOUTH_CORNERS[0]], upper, face[MOUTH_CORNERS[1]], lower[::-1]]), head)
        height, width = frame.shape[:2]
        x0, y0 = np.maximum(np.floor(polygon.min(axis=0)).astype(int) - 3, 0)
        x1, y1 = np.minimum(np.ceil(polygon.max(axis=0)).astype(int) + 4, [width, height])
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(mask, [np.round((polygon - [x0, y0]) * 16).astype(np.int32)], 1.0, cv2.LINE_AA, 4)
        mask = cv2.GaussianBlur(mask, (0, 0), 0.8)
        region = frame[y0:y1, x0:x1].astype(np.float32)
        frame[y0:y1, x0:x1] = np.clip(region * (1 - mask * (1 - MOUTH_INTERIOR_SHARE)), 0, 255).astype(np.uint8)
