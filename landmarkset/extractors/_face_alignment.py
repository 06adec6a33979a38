"""face-alignment backend: the FAN network (Bulat & Tzimiropoulos, 2017) on faces found by our detectors.

Faces are found by dlib's HOG tracker or MediaPipe's detector (no second weights file), or by the
library's SFD detector. Crops follow face-alignment's own convention, and the crops of several frames
go through the network as one batch. Weights are located offline (see _weights.py) when the backend is
built, before any input is opened.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import ClassVar, Optional

import cv2
import numpy as np

from ..errors import OptionError
from ..extras import POINT_CONFIDENCE
from ..regions import N_LANDMARKS
from ._base import BaseExtractor, FrameResult
from ._faces import Detection
from ._options import Option
from ._weights import WeightFile, locate_weights

_DOWNLOADS = "https://www.adrianbulat.com/downloads/python-fan/"
FAN_2D = WeightFile("2DFAN4-11f355bf06.pth.tar", _DOWNLOADS + "2DFAN4-11f355bf06.pth.tar", "FAN 2-D landmark network")
SFD = WeightFile("s3fd-619a316812.pth", _DOWNLOADS + "s3fd-619a316812.pth", "SFD face detector")
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")
# face-alignment frames a crop as 200 px per unit of scale, scale = (box width + height) / 195,
# centred 12 % of the box height above the box centre (its utils.py and detection/core.py).
_REFERENCE_SCALE = 195.0
_CENTER_Y_OFFSET = 0.12


class FaceAlignmentExtractor(BaseExtractor):
    """68 landmarks from face-alignment's 2-D FAN (BSD-3; weights from the authors' site)."""

    name = "face-alignment"
    extra = "face-alignment"
    requires = ("face_alignment", "torch")
    extras = (POINT_CONFIDENCE,)
    option_spec: ClassVar[dict[str, Option]] = {
        "device": Option(str, "cpu", "torch device: 'cpu', 'cuda', 'cuda:N' or 'mps'"),
        "detector": Option(
            str,
            "dlib",
            "face finder: 'dlib' (HOG, tracked), 'mediapipe' (its face detector, needs face_landmarker.task) or "
            "'sfd' (needs its weights)",
            choices=("dlib", "mediapipe", "sfd"),
        ),
        "weights_dir": Option(
            str, None, "folder searched first for the weight files", allow_none=True, provenance=False
        ),
        "download": Option(bool, True, "download missing weights (20 s network timeout)", provenance=False),
        "check_hash": Option(bool, True, "check weights against the SHA-256 prefix in their file name"),
        "flip_input": Option(bool, True, "average with the mirrored crop, as face-alignment does (2x the cost)"),
        "batch_size": Option(
            int,
            None,
            "frames whose crops go through the network together (default: 8 on a GPU, 1 on the CPU, "
            "where batches are slower per frame)",
            low=1,
            high=256,
            allow_none=True,
        ),
    }

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        if not _DEVICE.match(self.options["device"]):
            raise OptionError(
                f"The 'device' option of the face-alignment backend must be 'cpu', 'cuda', 'cuda:N' or 'mps'. "
                f"Got {self.options['device']!r} instead."
            )
        detector = self.options["detector"]
        if detector == "dlib":
            from ._dlib import DlibExtractor

            self._finder = DlibExtractor()
        elif detector == "mediapipe":
            from ._mediapipe import MediaPipeExtractor

            self._finder = MediaPipeExtractor(
                weights_dir=self.options["weights_dir"],
                download=self.options["download"],
                check_hash=self.options["check_hash"],
            )
        else:
            self._finder = None
        needed = [FAN_2D] + ([SFD] if detector == "sfd" else [])
        self._weights = locate_weights(
            needed, self.name, self.options["weights_dir"], self.options["download"], self.options["check_hash"]
        )
        self.batch_size = self.options["batch_size"] or (1 if self.options["device"] == "cpu" else 8)
        self._last_box: Optional[np.ndarray] = None

    @property
    def version(self) -> str:
        return metadata.version("face-alignment")

    def reset(self) -> None:
        self._last_box = None
        if self._finder is not None:
            self._finder.reset()

    def _load(self) -> None:
        import torch
        from face_alignment.models import FAN

        device = self.options["device"]
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise OptionError(
                "The 'device' option of the face-alignment backend asks for CUDA, but this torch has no usable "
                "GPU (torch.cuda.is_available() is False): install a CUDA build of torch, or use -O device=cpu"
            )
        network = FAN(4)
        network.load_state_dict(torch.load(self._weights[FAN_2D.name], map_location=device, weights_only=True))
        self._network = network.to(device).eval()
        self._torch = torch
        if self._finder is not None:
            self._finder.load_detector()
        else:
            from face_alignment.detection.sfd.sfd_detector import SFDDetector

            self._sfd = SFDDetector(device, path_to_detector=self._weights[SFD.name])

    def _find(self, image: np.ndarray) -> Detection:
        if self.options["detector"] == "dlib":
            return self._finder.find_face(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        if self.options["detector"] == "mediapipe":
            return self._finder.find_face(image)
        found = np.asarray(self._sfd.detect_from_image(image.copy()), dtype=np.float32).reshape(-1, 5)
        face = Detection.follow(found[:, :4], found[:, 4], self._last_box)
        if face.found:
            self._last_box = face.box
        return face

    @staticmethod
    def crop_frame(box: np.ndarray) -> tuple[np.ndarray, float]:
        """face-alignment's (centre, scale) for a face box (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = (float(v) for v in box)
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2 - (y1 - y0) * _CENTER_Y_OFFSET])
        return centre, ((x1 - x0) + (y1 - y0)) / _REFERENCE_SCALE

    def _heatmaps(self, crops: np.ndarray) -> np.ndarray:
        """The last hourglass's heatmaps for a batch of crops (B, 3, 256, 256) in [0, 1]."""
        from face_alignment.utils import flip

        torch = self._torch
        with torch.inference_mode():
            batch = torch.from_numpy(crops).to(self.options["device"])
            output = self._network(batch)[-1]
            if self.options["flip_input"]:
                output = output + flip(self._network(flip(batch))[-1], is_label=True)
            return output.float().cpu().numpy()

    def process_batch(self, images: list[np.ndarray], timestamps: Optional[list] = None) -> list[FrameResult]:
        """Results for consecutive frames of one sequence, their crops run through the network together."""
        self._ensure_loaded()
        detections = [self._find(image) for image in images]
        results = [FrameResult.no_face(detection.faces_detected) for detection in detections]
        found = [(i, detection) for i, detection in enumerate(detections) if detection.found]
        for (i, _), result in zip(found, self._landmarks(images, found)):
            results[i] = result
        return results

    def process_faces(self, image: np.ndarray, timestamp: Optional[float] = None) -> list[FrameResult]:
        """Every face on the frame (``extract --faces``): every box of the detector, each through the network."""
        self._ensure_loaded()
        if self.options["detector"] == "dlib":
            boxes, scores = self._finder.detect_faces(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        elif self.options["detector"] == "mediapipe":
            boxes, scores = self._finder.detect_faces(image)
        else:
            found = np.asarray(self._sfd.detect_from_image(image.copy()), dtype=np.float32).reshape(-1, 5)
            boxes, scores = found[:, :4], found[:, 4]
        faces = [(0, Detection(box, float(score), len(boxes))) for box, score in zip(boxes, scores)]
        return self._landmarks([image], faces)

    def _landmarks(self, images: list[np.ndarray], faces: list[tuple[int, Detection]]) -> list[FrameResult]:
        """The 68 points of each (image index, detection), the crops through the network in batches."""
        from face_alignment.utils import crop, get_preds_fromhm

        frames = [self.crop_frame(detection.box) for _, detection in faces]
        results = []
        for start in range(0, len(faces), self.batch_size):
            chunk = range(start, min(start + self.batch_size, len(faces)))
            crops = np.stack(
                [crop(images[faces[k][0]], *frames[k]).transpose(2, 0, 1).astype(np.float32) / 255.0 for k in chunk]
            )
            heatmaps = self._heatmaps(crops)
            for row, k in enumerate(chunk):
                _, points, scores = get_preds_fromhm(heatmaps[row : row + 1], *frames[k])
                detection = faces[k][1]
                # Each point's confidence is its heatmap's peak (about 0-1 for the published weights);
                # the frame's score is their mean.
                peaks = np.asarray(scores, dtype=np.float32).reshape(N_LANDMARKS)
                results.append(
                    FrameResult(
                        points.reshape(N_LANDMARKS, 2),
                        float(peaks.mean()),
                        detection.box,
                        True,
                        detection.faces_detected,
                        {POINT_CONFIDENCE.name: peaks},
                    )
                )
        return results

    def _process(self, image: np.ndarray, timestamp: Optional[float]) -> FrameResult:
        return self.process_batch([image])[0]
