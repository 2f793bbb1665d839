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
from kiosk.core.vision.detection import SMALLEST_SEARCH_PX, Detector

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
class FrameAnalysis:
    faces: tuple[FaceResult, ...]
    detect_ms: float
    embed_ms: float  # embedding and matching, together


class Engine:
    """Detector + embedder + crop settings. Build it on the thread that will use it."""

    def __init__(self, detector: Detector, embedder: Embedder,
                 margin_fraction: float = DEFAULT_MODEL.margin_fraction,
                 min_face_px: int = DEFAULT_DETECTOR.min_face_px):
        self.detector = detector
        self.embedder = embedder
        self.margin_fraction = margin_fraction
        self.min_face_px = min_face_px

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @classmethod
    def load(cls, settings: "Settings") -> "Engine":
        """The real models (seconds of work; never call it on the GUI thread)."""
        from kiosk.core.embedding.loader import load_embedder
        from kiosk.core.vision.mtcnn import MtcnnDetector

        detector = MtcnnDetector(min_face_px=settings.min_face_px)
        embedder = load_embedder(settings.weights_path, settings.runtime)
        return cls(detector, embedder, settings.margin_fraction, settings.min_face_px)

    def warm_up(self, frame_hw: tuple[int, int] = (480, 640)) -> None:
        """Trace and build every kernel now (~0.7 s here), not on the first people to walk up.

        The detector's warm-up covers each RNet/ONet batch size; one embedding creates the
        runtime's delegate.
        """
        self.detector.warm_up(frame_hw)
        side = self.embedder.input_px
        self.embedder.embed(np.zeros((1, side, side, 3), np.float32))

    def detect(self, image_rgb: np.ndarray) -> list[Face]:
        return self.detector.detect(image_rgb)

    def embed(self, image_rgb: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(len(faces), dim) unit embeddings, in the order of ``faces``."""
        if not faces:
            return np.zeros((0, self.embedder.dim), np.float32)
        side = self.embedder.input_px
        batch = np.stack([crops.face_crop(image_rgb, f, self.margin_fraction, size_px=side)
                          for f in faces])
        return self.embedder.embed(batch)

    def encode_one(self, image_rgb: np.ndarray, source: str = "image") -> tuple[Face, np.ndarray]:
        """Exactly one usable face, or a FaceError that says what is wrong with ``source``."""
        faces = self.detect(image_rgb)
        if not faces:
            self._explain_no_face(image_rgb, source)
        if len(faces) > 1:
            raise MultipleFacesError(f"{source}: {len(faces)} faces found; use a photo of one person")
        face = faces[0]
        if face.size_px < self.min_face_px:
            raise FaceTooSmallError(
                f"{source}: the face is {face.size_px} px, smaller than the {self.min_face_px} px minimum")
        return face, self.embed(image_rgb, [face])[0]

    def _explain_no_face(self, image_rgb: np.ndarray, source: str) -> None:
        """Raise FaceTooSmallError if a face below the minimum is there, else NoFaceError.
        Only on this failure path does the detector search below its minimum size."""
        small = self.detector.detect(image_rgb, min_face_px=SMALLEST_SEARCH_PX)
        if small:
            raise FaceTooSmallError(
                f"{source}: the face is about {small[0].size_px} px, smaller than the {self.min_face_px} px "
                "minimum; use a closer or larger photo")
        raise NoFaceError(f"{source}: no face found")

    def analyse(self, image_rgb: np.ndarray, gallery: "Gallery", threshold: float) -> FrameAnalysis:
        """Every face in the frame with its nearest enrolled person (open-set 1:N)."""
        t0 = time.perf_counter()
        faces = self.detect(image_rgb)
        t1 = time.perf_counter()
        embeddings = self.embed(image_rgb, faces)
        matches = gallery.identify(embeddings, threshold) if len(gallery) else [None] * len(faces)
        t2 = time.perf_counter()
        results = tuple(FaceResult(f, m, e) for f, m, e in zip(faces, matches, embeddings))
        return FrameAnalysis(results, (t1 - t0) * 1000, (t2 - t1) * 1000)
