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

from kiosk.core.errors import KioskError, NoFaceError
from kiosk.core.imageio import read_image_rgb
from kiosk.core.matching import Gallery
from kiosk.core.pipeline import Engine, FaceResult
from kiosk.core.settings import Settings
from kiosk.core.types import Face, Match, Person

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

    def similar_people(self, embedding: np.ndarray, exclude: str | None = None) -> Match | None:
        """The enrolled person this face already matches (1:N threshold), if any other."""
        match = self.gallery.identify(embedding[None], self.settings.identify_threshold)[0]
        if match.accepted and (exclude is None or match.name.lower() != exclude.lower()):
            return match
        return None

    # --- decisions -----------------------------------------------------------------------
    def verify_image(self, image_rgb: np.ndarray, claim: str) -> VerifyOutcome:
        """1:1: the largest face in the image against the claimed person's templates."""
        person = self.store.find_person(claim)
        faces = self.engine.detect(image_rgb)
        if not faces:
            self._log_verify(claim, person, None, "no face")
            return VerifyOutcome(person, None, None, 0)
        face = max(faces, key=lambda f: f.box_xywh[2] * f.box_xywh[3])
        embedding = self.engine.embed(image_rgb, [face])[0]
        match = self.gallery.verify(embedding, person.person_id, self.settings.verify_threshold)
        self._log_verify(claim, person, match, "")
        return VerifyOutcome(person, match, face, len(faces))

    def _log_verify(self, claim: str, person: Person, match: Match | None, detail: str) -> None:
        self.store.log_event("verify", claimed=claim, identity=person.name if match and match.accepted else None,
                             accepted=bool(match and match.accepted), distance=match.distance if match else None,
                             person_id=person.person_id, template_id=match.template_id if match else None,
                             detail=detail)

    def identify_image(self, image_rgb: np.ndarray, log_events: bool = True) -> list[FaceResult]:
        """1:N open set for every face in the image, largest first."""
        analysis = self.engine.analyse(image_rgb, self.gallery, self.settings.identify_threshold)
        if log_events:
            for result in analysis.faces:
                self.log_recognition(result.match)
        return list(analysis.faces)

    def log_recognition(self, match: Match | None, detail: str = "") -> None:
        accepted = bool(match and match.accepted)
        self.store.log_event("recognize", claimed=None, identity=match.name if accepted else None,
                             accepted=accepted, distance=match.distance if match else None,
                             person_id=match.person_id if accepted else None,
                             template_id=match.template_id if accepted else None, detail=detail)


def require_face(outcome: VerifyOutcome, source: str) -> Match:
    if outcome.match is None:
        raise NoFaceError(f"{source}: no face found")
    return outcome.match
