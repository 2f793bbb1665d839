"""The engine: detect faces, crop them, encode them, match them.

Colour order: every image here is RGB uint8 of shape (H, W, 3); the camera's BGR frames are
converted once, by the caller that reads them (``imageio`` / ``camera``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from kiosk.core.base.errors import FaceTooSmallError, MultipleFacesError, NoFaceError
from kiosk.core.base.specs import DEFAULT_DETECTOR, DEFAULT_MODEL
from kiosk.core.base.types import Face, Match
from kiosk.core.embedding.embedder import Embedder
from kiosk.core.vision import crops
from kiosk.core.vision.detection import SMALLEST_SEARCH_PX, Detector, dominant_face
from kiosk.core.vision.liveness import Liveness, load_liveness

if TYPE_CHECKING:
    from kiosk.core.base.settings import Settings
    from kiosk.core.recognition.matching import Gallery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceResult:
    face: Face
    match: Match | None  # None when the gallery is empty
    embedding: np.ndarray | None = None  # (dim,) unit vector, kept so callers never re-embed


@dataclass(frozen=True)
class PhotoFace:
    """What `Engine.encode_photo` took from a photo: the face, its (dim,) unit embedding, and
    the other detections it ignored (each far smaller or far less sure; often empty)."""

    face: Face
    embedding: np.ndarray
    ignored: tuple[Face, ...] = ()


@dataclass(frozen=True)
class FrameAnalysis:
    faces: tuple[FaceResult, ...]
    detect_ms: float
    embed_ms: float  # embedding and matching, together


class Engine:
    """Detector + embedder + crop settings. Build it on the thread that will use it."""

    def __init__(self, detector: Detector, embedder: Embedder,
                 margin_fraction: float = DEFAULT_MODEL.margin_fraction,
                 min_face_px: int = DEFAULT_DETECTOR.min_face_px,
                 liveness: Liveness | None = None,
                 live_min_face_px: int = DEFAULT_DETECTOR.live_min_face_px):
        self.detector = detector
        self.embedder = embedder
        self.margin_fraction = margin_fraction
        self.min_face_px = min_face_px  # photos
        self.live_min_face_px = live_min_face_px  # camera frames (the settings' range)
        self.live_min_score = DEFAULT_DETECTOR.live_min_score
        self.liveness = liveness  # passive anti-spoofing; None when the security level is off

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @classmethod
    def load(cls, settings: "Settings") -> "Engine":
        """The real models (seconds of work; never call it on the GUI thread). The LiteRT
        runtimes run detection on LiteRT too, so they never import TensorFlow once the
        exports exist; ``keras`` keeps MTCNN on TensorFlow."""
        from kiosk.core.embedding.loader import load_embedder
        from kiosk.core.vision.loader import load_detector

        detector = load_detector(settings.weights_path, settings.runtime, settings.min_face_px)
        embedder = load_embedder(settings.weights_path, settings.runtime)
        return cls(detector, embedder, settings.margin_fraction, settings.min_face_px,
                   load_liveness(settings.security_level), settings.live_min_face_px)

    def warm_up(self, frame_hw: tuple[int, int] = (480, 640)) -> None:
        """Trace and build every kernel now (~0.7 s here), not on the first people to walk up.

        The detector's warm-up plans each pyramid level of ``frame_hw`` frames (and, on
        TensorFlow, traces each RNet/ONet batch size), then those of the live minimum face
        size (another pyramid); one embedding creates the runtime's delegate.
        """
        self.detector.warm_up(frame_hw)
        self.detector.detect(np.full((*frame_hw, 3), 127, np.uint8), min_face_px=self.live_min_face_px)
        side = self.embedder.input_px
        self.embedder.embed(np.zeros((1, side, side, 3), np.float32))
        if self.liveness is not None:
            self.liveness.warm_up()

    def detect(self, image_rgb: np.ndarray, live: bool = False) -> list[Face]:
        """Faces largest first. A photo's down to the detector's minimum size and score; a
        camera frame's (``live``) only from ``live_min_face_px`` and above ``live_min_score``:
        smaller faces are not recognised reliably, and lower scores are where the false
        faces are (the numbers: specs.py)."""
        if not live:
            return self.detector.detect(image_rgb)
        faces = self.detector.detect(image_rgb, min_face_px=self.live_min_face_px)
        return [f for f in faces if f.confidence > self.live_min_score]

    def embed(self, image_rgb: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(len(faces), dim) unit embeddings, in the order of ``faces``."""
        if not faces:
            return np.zeros((0, self.embedder.dim), np.float32)
        side = self.embedder.input_px
        batch = np.stack([crops.face_crop(image_rgb, f, self.margin_fraction, size_px=side)
                          for f in faces])
        return self.embedder.embed(batch)

    def encode_photo(self, image_rgb: np.ndarray, source: str = "image") -> "PhotoFace":
        """The one usable face of an enrolment photo, or a FaceError that says what is wrong
        with ``source``.

        Other detections are ignored when each is far smaller or far less sure than one
        dominant face (`detection.dominant_face`, limits in ``DEFAULT_DETECTOR``): a desk
        object scored as a face, a colleague far behind. The result lists them, so the
        caller can say which face it took.
        """
        faces = self.detect(image_rgb)
        if not faces:
            self._explain_no_face(image_rgb, source)
        rule = DEFAULT_DETECTOR
        face = dominant_face(faces, rule.dominant_area_ratio, rule.dominant_max_other_score,
                             rule.dominant_log_odds_gap)
        if face is None:
            raise MultipleFacesError(f"{source}: {len(faces)} faces found, none far larger than the"
                                     " others; use a photo of one person")
        if face.size_px < self.min_face_px:
            raise FaceTooSmallError(
                f"{source}: the face is {face.size_px} px, smaller than the {self.min_face_px} px minimum")
        ignored = tuple(f for f in faces if f is not face)
        return PhotoFace(face, self.embed(image_rgb, [face])[0], ignored)

    def encode_one(self, image_rgb: np.ndarray, source: str = "image") -> tuple[Face, np.ndarray]:
        """`encode_photo` as (face, (dim,) embedding), for callers that need no more."""
        photo = self.encode_photo(image_rgb, source)
        return photo.face, photo.embedding

    def _explain_no_face(self, image_rgb: np.ndarray, source: str) -> None:
        """Raise FaceTooSmallError if a face below the minimum is there, else NoFaceError.
        Only on this failure path does the detector search below its minimum size."""
        small = self.detector.detect(image_rgb, min_face_px=SMALLEST_SEARCH_PX)
        if small:
            raise FaceTooSmallError(
                f"{source}: the face is about {small[0].size_px} px, smaller than the {self.min_face_px} px "
                "minimum; use a closer or larger photo")
        raise NoFaceError(f"{source}: no face found")

    def analyse(self, image_rgb: np.ndarray, gallery: "Gallery", threshold: float,
                live: bool = False) -> FrameAnalysis:
        """Every face in the frame with its nearest enrolled person (open-set 1:N); a camera
        frame (``live``) only its faces the live screen should show (see `detect`)."""
        t0 = time.perf_counter()
        faces = self.detect(image_rgb, live)
        t1 = time.perf_counter()
        embeddings = self.embed(image_rgb, faces)
        matches = gallery.identify(embeddings, threshold) if len(gallery) else [None] * len(faces)
        t2 = time.perf_counter()
        results = tuple(FaceResult(f, m, e) for f, m, e in zip(faces, matches, embeddings))
        return FrameAnalysis(results, (t1 - t0) * 1000, (t2 - t1) * 1000)
