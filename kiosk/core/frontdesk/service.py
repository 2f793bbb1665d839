"""Use cases shared by the command line and the screen: enrol, verify, identify.

Holds the store, the engine and a cached gallery; every decision is written to the access
log. Enrolment is all-or-nothing: every image is read and encoded before anything is written,
and the store writes the person and all templates in one transaction.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.base.settings import Settings
from kiosk.core.base.types import Face, Match, Person
from kiosk.core.frontdesk import decisions
from kiosk.core.frontdesk.decisions import log_decision
from kiosk.core.recognition.engine import Engine, FaceResult
from kiosk.core.recognition.matching import Gallery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodedImage:
    source: str
    face: Face
    embedding: np.ndarray  # (dim,) float32, unit norm


@dataclass(frozen=True)
class VerifyOutcome:
    person: Person
    match: Match | None  # None: no face in the image
    face: Face | None
    faces_in_image: int


class KioskService:
    def __init__(self, store, engine: Engine, settings: Settings):
        self.store = store
        self.engine = engine
        self.settings = settings
        self._gallery: Gallery | None = None

    @property
    def gallery(self) -> Gallery:
        if self._gallery is None:
            self._gallery = Gallery.from_store(self.store, self.engine.model_id, self.engine.embedder.dim)
        return self._gallery

    def invalidate(self) -> None:
        self._gallery = None

    # --- enrolment -----------------------------------------------------------------------
    def encode_file(self, path: str | os.PathLike) -> EncodedImage:
        image_rgb = read_image_rgb(path)
        face, embedding = self.engine.encode_one(image_rgb, source=str(path))
        return EncodedImage(str(path), face, embedding)

    def encode_files(self, paths: Iterable[str | os.PathLike]) -> list[EncodedImage]:
        """Every file encoded, or the first KioskError (naming the file) and nothing kept."""
        return [self.encode_file(p) for p in paths]

    def enroll_encoded(self, name: str, encoded: Sequence[EncodedImage], employee_id: str | None = None) -> Person:
        if not encoded:
            raise KioskError("nothing to enrol: give at least one image")
        person = self.store.enroll(name, [e.embedding for e in encoded], model_id=self.engine.model_id,
                                   employee_id=employee_id, sources=[Path(e.source).name for e in encoded])
        self.invalidate()
        return person

    def enroll_files(self, name: str, paths: Sequence[str | os.PathLike], employee_id: str | None = None) -> Person:
        return self.enroll_encoded(name, self.encode_files(paths), employee_id)

    # --- decisions -----------------------------------------------------------------------
    def verify_image(self, image_rgb: np.ndarray, claim: str) -> VerifyOutcome:
        """1:1: the largest face in the image against the claimed person's templates."""
        person = self.store.find_person(claim)
        faces = self.engine.detect(image_rgb)  # largest first
        if not faces:
            log_decision(self.store, decisions.verification(claim, person, None))
            return VerifyOutcome(person, None, None, 0)
        embedding = self.engine.embed(image_rgb, faces[:1])[0]
        match = self.gallery.verify(embedding, person.person_id, self.settings.verify_threshold)
        log_decision(self.store, decisions.verification(claim, person, match))
        return VerifyOutcome(person, match, faces[0], len(faces))

    def identify_image(self, image_rgb: np.ndarray, log_events: bool = True) -> list[FaceResult]:
        """1:N open set for every face in the image, largest first."""
        analysis = self.engine.analyse(image_rgb, self.gallery, self.settings.identify_threshold)
        if log_events:
            for result in analysis.faces:
                log_decision(self.store, decisions.recognition(result.match))
        return list(analysis.faces)
