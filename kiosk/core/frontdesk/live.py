"""What the front desk computes for one live frame, given its current task (no Qt here).

RECOGNIZE and ENROL: every face with its nearest enrolled person. VERIFY: faces are found,
but only the largest (the detector's first) is embedded, and only against the claimed
person — nobody is identified 1:N. Images are RGB uint8 (H, W, 3), converted from the
camera's BGR exactly once, by the caller (imageio.bgr_to_rgb).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kiosk.core.base.types import Match
from kiosk.core.base.vocabulary import TaskKind
from kiosk.core.recognition.engine import FaceResult, FrameAnalysis
from kiosk.core.recognition.matching import Gallery

if TYPE_CHECKING:
    from kiosk.core.recognition.engine import Engine


@dataclass(frozen=True)
class Task:
    """What the loop computes: identify everyone, verify one claim, or coach an enrolment."""

    kind: TaskKind
    person_id: int | None = None  # the claimed person (VERIFY), or who is enrolled (ENROL)


@dataclass(frozen=True)
class ClaimCheck:
    """The largest face of an image against one claimed person."""

    analysis: FrameAnalysis  # every face found; only the first carries an embedding
    match: Match | None  # None when no face was found


def check_claim(engine: "Engine", image_rgb: np.ndarray, gallery: Gallery, person_id: int,
                threshold: float, live: bool = False) -> ClaimCheck:
    """1:1: the largest face against ``person_id``'s templates (who must be in ``gallery``),
    accepted at ``threshold`` (L2 distance). The one verify path of the photo and the screen
    (``live``: a camera frame, see `Engine.detect`)."""
    t0 = time.perf_counter()
    faces = engine.detect(image_rgb, live)  # largest first
    detect_ms = (time.perf_counter() - t0) * 1000
    if not faces:
        return ClaimCheck(FrameAnalysis((), detect_ms, 0.0), None)
    embedding = engine.embed(image_rgb, faces[:1])[0]
    match = gallery.verify(embedding, person_id, threshold)
    results = (FaceResult(faces[0], None, embedding), *(FaceResult(f, None) for f in faces[1:]))
    embed_ms = (time.perf_counter() - t0) * 1000 - detect_ms
    return ClaimCheck(FrameAnalysis(results, detect_ms, embed_ms), match)


def boxes_only(engine: "Engine", image_rgb: np.ndarray) -> FrameAnalysis:
    """A camera frame's faces, nothing embedded (verify mode while nobody has claimed)."""
    t0 = time.perf_counter()
    faces = engine.detect(image_rgb, live=True)
    return FrameAnalysis(tuple(FaceResult(f, None) for f in faces),
                         (time.perf_counter() - t0) * 1000, 0.0)
