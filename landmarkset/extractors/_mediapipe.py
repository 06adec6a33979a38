"""MediaPipe backend: full-range face detector, then the legacy face mesh on a crop.

Detector-then-crop finds small faces in large frames that the face mesh alone misses. In video
mode the crop window stays put while the face stays inside it, so the mesh's own tracking works
and the detector only runs at the start and after the face is lost.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from importlib import metadata
from typing import ClassVar, Optional

import numpy as np

from ._base import BaseExtractor, FrameResult
from ._faces import Detection, Window, landmarks_box, select_face
from ._mp68 import MESH_TO_IBUG68
from ._options import Option

# MediaPipe's C++ logging is chatty on stderr; keep it to errors unless the user asked otherwise.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what MediaPipe's C++ graphs print straight to file descriptor 2 while they start.

    Those absl warnings ignore GLOG settings and would otherwise appear on every run and worker;
    errors still surface as Python exceptions.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


_WINDOW_MARGIN = 1.8  # crop side / face side: the margin the face mesh was trained with
_WINDOW_SLACK = 0.12  # re-centre the crop when the face drifts this far (fraction of the side)


class MediaPipeExtractor(BaseExtractor):
    """68 landmarks from MediaPipe's legacy face mesh (mediapipe==0.10.21, Apache-2.0)."""

    name = "mediapipe"
    extra = "mediapipe"
    requires = ("mediapipe",)
    option_spec: ClassVar[dict[str, Option]] = {
        "mode": Option(
            str, "video", "'video' tracks across frames; 'image' treats each frame alone", choices=("video", "image")
        ),
        "detector": Option(
            str,
            "full-range",
            "'full-range' face detector then mesh on a crop; 'none' runs the mesh on the whole frame",
            choices=("full-range", "none"),
        ),
        "min_detection_confidence": Option(float, 0.5, "face detector threshold", low=0.0, high=1.0),
        "min_tracking_confidence": Option(float, 0.5, "mesh presence threshold", low=0.0, high=1.0),
        "crop_size": Option(int, 256, "side in pixels of the crop given to the mesh", low=64, high=1024),
        "max_faces": Option(int, 4, "faces the mesh looks for with detector='none'", low=1, high=16),
    }

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._detector = None
        self._seen_face = False
        self._mesh = None
        self.reset()

    @property
    def version(self) -> str:
        return metadata.version("mediapipe")

    def reset(self) -> None:
        self._window: Optional[Window] = None
        self._last_box: Optional[np.ndarray] = None
        self._score = float("nan")
        if self._mesh is not None:  # drop the mesh's own tracking state (cheap to rebuild: ~20 ms)
            self._mesh.close()
            self._mesh = None

    def close(self) -> None:
        self.reset()
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        super().close()

    def _load(self) -> None:
        import mediapipe as mp

        self._mp = mp
        if self.options["detector"] == "full-range":
            self.load_detector()

    def load_detector(self) -> None:
        """Load the full-range face detector only (other backends use it to find faces)."""
        import mediapipe as mp

        self._mp = mp
        if self._detector is None:
            with _native_stderr_silenced():
                self._detector = mp.solutions.face_detection.FaceDetection(
                    model_selection=1, min_detection_confidence=self.options["min_detection_confidence"]
                )
                self._detector.process(np.zeros((64, 64, 3), np.uint8))  # starts the graph

    def _mesh_solution(self):
        if self._mesh is None:
            on_crop = self.options["detector"] == "full-range"
            with _native_stderr_silenced():
                self._mesh = self._mp.solutions.face_mesh.FaceMesh(
                    static_image_mode=self.options["mode"] == "image",
                    max_num_faces=1 if on_crop else self.options["max_faces"],
                    min_detection_confidence=self.options["min_detection_confidence"],
                    min_tracking_confidence=self.options["min_tracking_confidence"],
                )
                self._mesh.process(np.zeros((64, 64, 3), np.uint8))  # starts the graph; finds no face
        return self._mesh

    def _mesh_points(self, image: np.ndarray) -> list[np.ndarray]:
        """All faces the mesh finds in ``image``, each (468, 2) in its pixel coordinates."""
        mesh = self._mesh_solution()
        with self._quiet_until_first_face():
            found = mesh.process(image).multi_face_landmarks or []
        self._seen_face = self._seen_face or bool(found)
        size = np.array([image.shape[1], image.shape[0]], dtype=np.float64)
        return [np.array([(p.x, p.y) for p in face.landmark], dtype=np.float64) * size for face in found]

    def _quiet_until_first_face(self) -> contextlib.AbstractContextManager:
        # The graphs print one more native warning when they first meet a face.
        return contextlib.nullcontext() if self._seen_face else _native_stderr_silenced()

    def _detect(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._quiet_until_first_face():
            detections = self._detector.process(image).detections or []
        height, width = image.shape[:2]
        boxes, scores = [], []
        for detection in detections:
            rel = detection.location_data.relative_bounding_box
            x0, y0 = rel.xmin * width, rel.ymin * height
            boxes.append((x0, y0, x0 + rel.width * width, y0 + rel.height * height))
            scores.append(detection.score[0])
        return np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(scores, dtype=np.float32)

    def find_face(self, image: np.ndarray) -> Detection:
        """The followed face on this frame, from the full-range detector (no mesh)."""
        face = Detection.follow(*self._detect(image), self._last_box)
        if face.found:
            self._last_box = face.box
        return face

    def _process(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        if self.options["detector"] == "none":
            return self._process_whole_frame(image)
        if self.options["mode"] == "image":
            self._window = None
        tracked = self._window is not None
        faces_detected = -1
        if not tracked:
            boxes, scores = self._detect(image)
            faces_detected = len(boxes)
            if faces_detected == 0:
                return FrameResult.no_face(0)
            chosen = select_face(boxes, self._last_box)
            self._window = Window.around(boxes[chosen], _WINDOW_MARGIN, self.options["crop_size"])
            self._score = float(scores[chosen])
        window = self._window
        meshes = self._mesh_points(window.crop(image))
        if not meshes:
            self._window = None
            if tracked:  # the face moved out of the crop or was lost: look for it again on this frame
                return self._process(image, timestamp)
            return FrameResult.no_face(faces_detected)
        mesh = window.to_image(meshes[0])
        mesh_box = landmarks_box(mesh)
        if not window.contains(mesh_box, _WINDOW_SLACK):
            self._window = Window.around(mesh_box, _WINDOW_MARGIN / 1.15, self.options["crop_size"])
        landmarks = mesh[MESH_TO_IBUG68]
        self._last_box = landmarks_box(landmarks)
        return FrameResult(landmarks, self._score, self._last_box, True, faces_detected)

    def _process_whole_frame(self, image: np.ndarray) -> FrameResult:
        meshes = self._mesh_points(image)
        if not meshes:
            return FrameResult.no_face(0)
        boxes = np.array([landmarks_box(mesh[MESH_TO_IBUG68]) for mesh in meshes])
        chosen = select_face(boxes, self._last_box)
        self._last_box = boxes[chosen]
        # The legacy mesh API exposes no per-face score.
        return FrameResult(meshes[chosen][MESH_TO_IBUG68], float("nan"), boxes[chosen], True, len(meshes))
