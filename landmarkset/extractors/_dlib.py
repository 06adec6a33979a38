"""dlib backend: HOG (or CNN) face detector + the 68-point shape predictor.

While a face is followed, the detector searches a small crop around the previous face box (the box
re-use that makes this several times faster than detecting every frame) and confirms the face is
still there, so a face that leaves is recorded as missing instead of being hallucinated. Without a
face, the whole-frame search (the expensive part: the frame upsampled) runs on the frame where the face
was lost and then on every ``search_every``-th frame; when it finds a face, the frames since the last
search are searched near that face, newest first, so a face that entered between two searches is found
on those frames too. Faceless stretches thus cost about one full search per ``search_every`` frames.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import metadata
from typing import ClassVar, Optional

import cv2
import numpy as np

from ..errors import MissingDependencyError
from ._base import BaseExtractor, FrameResult
from ._faces import Detection, Window, non_max_suppression
from ._options import Option

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"
_TRACK_MARGIN = 2.0  # search a crop twice the previous box's side...
_TRACK_FACE_PIXELS = 110  # ...resampled so the face is about this wide (HOG's window is 80 px)


def models_dir() -> str:
    """Folder of the model files in the face-recognition-models package.

    Found with importlib instead of importing the package, whose __init__ needs pkg_resources.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "The dlib backend needs the 68-point model from the 'face-recognition-models' package: "
            "run pip install 'landmarkset[dlib]' (or pass -O predictor_path=FILE)"
        )
    return os.path.join(next(iter(spec.submodule_search_locations)), "models")


def _model_path(explicit: Optional[str], file_name: str, option: str) -> str:
    path = explicit or os.path.join(models_dir(), file_name)
    if not os.path.isfile(path):
        raise MissingDependencyError(
            f"dlib model file not found: {path}. Reinstall face-recognition-models or pass -O {option}=FILE"
        )
    return path


class DlibExtractor(BaseExtractor):
    """68 landmarks from dlib's shape predictor (iBUG 300-W training data: non-commercial)."""

    name = "dlib"
    extra = "dlib"
    requires = ("dlib",)
    option_spec: ClassVar[dict[str, Option]] = {
        "detector": Option(
            str, "hog", "'hog' (fast) or 'cnn' (MMOD: finds harder faces, ~100x slower)", choices=("hog", "cnn")
        ),
        "upsample": Option(
            int,
            1,
            "full-frame detection also runs on the image upsampled this many times, "
            "to find small faces (1 finds faces down to about 40 px)",
            low=0,
            high=3,
        ),
        "threshold": Option(float, 0.0, "HOG detection score threshold (dlib's adjust_threshold)", low=-1.0, high=3.0),
        "track": Option(bool, True, "re-use the previous face box: search near it instead of the whole frame"),
        "search_every": Option(
            int,
            16,
            "without a face, search the whole frame on every N-th frame and look back from a face found "
            "(1: every frame; track=false searches every frame)",
            low=1,
            high=120,
        ),
        "predictor_path": Option(
            str, None, "a 68-point shape predictor file instead of the packaged one", allow_none=True
        ),
    }

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        if self.options["predictor_path"] is None:
            _model_path(None, PREDICTOR_FILE, "predictor_path")  # fail now, not on the first frame
        self.reset()

    @property
    def version(self) -> str:
        for distribution in ("dlib-bin", "dlib"):
            try:
                return metadata.version(distribution)
            except metadata.PackageNotFoundError:
                continue
        import dlib

        return getattr(dlib, "__version__", "unknown")

    @property
    def batch_size(self) -> int:
        """Frames handed over at once: a faceless stretch is searched once per batch (see above)."""
        return self.options["search_every"] if self.options["track"] else 1

    def reset(self) -> None:
        self._last_box: Optional[np.ndarray] = None
        self._following = False
        self._started = False  # the first frame of a sequence is searched whole: its largest face is followed

    def _load(self) -> None:
        self.load_detector()
        self._predictor = self._dlib.shape_predictor(
            _model_path(self.options["predictor_path"], PREDICTOR_FILE, "predictor_path")
        )

    def load_detector(self) -> None:
        """Load the face detector only (other backends use it to find faces for their own models)."""
        import dlib

        self._dlib = dlib
        if self.options["detector"] == "cnn":
            self._cnn = dlib.cnn_face_detection_model_v1(_model_path(None, CNN_DETECTOR_FILE, "predictor_path"))
        else:
            self._hog = dlib.get_frontal_face_detector()

    def _detect(self, gray: np.ndarray, upsample: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (K, 4) and scores of faces at upsampling 0..upsample, duplicates merged."""
        boxes, scores = [], []
        for level in range(upsample + 1):
            if self.options["detector"] == "cnn":
                found = [(d.rect, d.confidence) for d in self._cnn(gray, level)]
            else:
                rects, confidences, _ = self._hog.run(gray, level, self.options["threshold"])
                found = list(zip(rects, confidences))
            for rect, score in found:
                boxes.append((rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1))
                scores.append(score)
        boxes_array = np.array(boxes, dtype=np.float32).reshape(-1, 4)
        scores_array = np.array(scores, dtype=np.float32)
        if len(boxes_array) > 1:
            keep = non_max_suppression(boxes_array, scores_array, 0.3)
            boxes_array, scores_array = boxes_array[keep], scores_array[keep]
        return boxes_array, scores_array

    def detect_faces(self, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every face box (K, 4) and score the whole-frame detector finds (other backends use it too)."""
        if not hasattr(self, "_hog") and not hasattr(self, "_cnn"):
            self.load_detector()
        return self._detect(gray, self.options["upsample"])

    def _detect_near(self, gray: np.ndarray, box: np.ndarray) -> Optional[tuple[np.ndarray, float]]:
        """The face near ``box`` on this frame, searched in a small resampled crop."""
        side = max(box[2] - box[0], box[3] - box[1])
        window = Window.around(box, _TRACK_MARGIN, round(_TRACK_MARGIN * _TRACK_FACE_PIXELS))
        boxes, scores = self._detect(window.crop(gray), 0)
        if len(boxes) == 0:
            return None
        centre = np.array([window.out_size / 2] * 2)
        nearest = int(np.argmin(np.linalg.norm((boxes[:, :2] + boxes[:, 2:]) / 2 - centre, axis=1)))
        found = window.to_image(boxes[nearest].reshape(2, 2)).reshape(4)
        new_side = max(found[2] - found[0], found[3] - found[1])
        if not 0.6 <= new_side / side <= 1.6:  # a different face, or a spurious hit
            return None
        return found, float(scores[nearest])

    def find_face(self, gray: np.ndarray) -> Detection:
        """The followed face on this frame: near the previous box when tracking, else the whole frame."""
        return self.find_faces([gray])[0]

    def find_faces(self, grays: list[np.ndarray]) -> list[Detection]:
        """The followed face on each of these consecutive frames (see the module docstring).

        Without a face, the whole frame is searched on the sequence's first frame, where the face was
        lost and on the last frame; the frames between are only searched near a face found after them.
        """
        found = [Detection(None, float("nan"), -1)] * len(grays)
        waiting: list[int] = []  # frames without a face since the last full search, not yet searched
        for index, gray in enumerate(grays):
            tracking = self.options["track"] and self._following and self._last_box is not None
            if tracking:
                hit = self._detect_near(gray, self._last_box)
                if hit is not None:
                    self._last_box = hit[0]
                    found[index] = Detection(hit[0], hit[1], -1)
                    continue
                self._following = False  # lost: search this whole frame now (the face may have jumped)
            elif index < len(grays) - 1 and self._started:
                waiting.append(index)
                continue
            self._started = True
            face = Detection.follow(*self._detect(gray, self.options["upsample"]), self._last_box)
            found[index] = face
            if face.found:  # on a miss the last box stays: when the face comes back, the nearest one is followed
                self._last_box, self._following = face.box, True
                self._look_back(grays, waiting, face.box, found)
            waiting = []  # frames left without a face were not searched by the full detector: -1
        return found

    def _look_back(self, grays: list[np.ndarray], waiting: list[int], box: np.ndarray, found: list) -> None:
        """Follow a face found now backwards over the frames not searched before it."""
        if not self.options["track"]:
            return
        for index in reversed(waiting):
            hit = self._detect_near(grays[index], box)
            if hit is None:
                return
            box = hit[0]
            found[index] = Detection(hit[0], hit[1], -1)

    def _landmarks(self, gray: np.ndarray, face: Detection) -> FrameResult:
        if not face.found:
            return FrameResult.no_face(face.faces_detected)
        box = face.box
        rect = self._dlib.rectangle(*(round(float(v)) for v in (box[0], box[1], box[2] - 1, box[3] - 1)))
        shape = self._predictor(gray, rect)
        landmarks = np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float32)
        return FrameResult(landmarks, face.score, box, True, face.faces_detected)

    def process_batch(self, images: list[np.ndarray], timestamps: list[Optional[float]]) -> list[FrameResult]:
        """Consecutive frames of one sequence (``batch_size`` of them): see the module docstring."""
        self._ensure_loaded()
        grays = [image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in images]
        return [self._landmarks(gray, face) for gray, face in zip(grays, self.find_faces(grays))]

    def _process(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        return self.process_batch([image], [timestamp])[0]

    def process_faces(self, image: np.ndarray, timestamp: Optional[float] = None) -> list[FrameResult]:
        """Every face on the frame (``extract --faces``): the whole-frame detector, the predictor on each box."""
        self._ensure_loaded()
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        boxes, scores = self.detect_faces(gray)
        return [self._landmarks(gray, Detection(box, float(score), len(boxes))) for box, score in zip(boxes, scores)]
