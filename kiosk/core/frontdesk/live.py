"""One step of the live analysis loop: what to compute for a frame, given the current task.

No Qt here: the screen's worker thread calls `analyse_live` for each newest frame and
emits the immutable `LiveResult`. Images are RGB uint8 (H, W, 3), converted from the
camera's BGR exactly once, by the caller (imageio.bgr_to_rgb).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kiosk.core.base.specs import DEFAULT_MODEL
from kiosk.core.base.types import Face, Match
from kiosk.core.recognition.engine import FaceResult, FrameAnalysis
from kiosk.core.recognition.matching import Gallery
from kiosk.core.vision import quality

if TYPE_CHECKING:
    from kiosk.core.recognition.engine import Engine

RECOGNIZE, VERIFY, ENROL = "recognize", "verify", "enrol"
THUMB_PX = 112
EMPTY_GALLERY = Gallery.from_arrays(np.zeros((0, 0), np.float32), [], [], {})  # before the store loads


@dataclass(frozen=True)
class Task:
    """What the loop computes: identify everyone, verify one claim, or coach an enrolment."""

    kind: str = RECOGNIZE
    person_id: int | None = None  # the claimed person (VERIFY), or who is enrolled (ENROL)
    identify_threshold: float = DEFAULT_MODEL.identify_threshold  # L2 distance
    verify_threshold: float = DEFAULT_MODEL.verify_threshold  # L2 distance


@dataclass(frozen=True)
class EnrolCandidate:
    """A possible enrolment shot: the face, its embedding, its quality and a thumbnail."""

    quality: quality.QualityReport
    face: Face | None = None
    embedding: np.ndarray | None = None  # (dim,) float32 unit vector
    thumb_rgb: np.ndarray | None = None  # (THUMB_PX, THUMB_PX, 3) uint8
    duplicate: Match | None = None  # an *other* enrolled person this face already matches


@dataclass(frozen=True)
class LiveResult:
    seq: int  # LatestFrame sequence number of the analysed frame
    frame_shape: tuple[int, int]  # (height, width) in pixels
    task: Task
    analysis: FrameAnalysis
    verify_match: Match | None = None  # the largest face against task.person_id (VERIFY)
    claim_without_templates: bool = False  # VERIFY: the gallery used has no template of the claimed person
    enrol: EnrolCandidate | None = None
    total_ms: float = 0.0


def analyse_live(engine: "Engine", frame_rgb: np.ndarray, gallery: "Gallery | None", task: Task,
                 seq: int = 0) -> LiveResult:
    """What the task needs of one frame, and nothing more.

    RECOGNIZE and ENROL: every face with its nearest enrolled person (`Engine.analyse`); ENROL
    adds the shot candidate. VERIFY: faces are found, but only the largest (the detector's
    first) is embedded, and only while a claim is open; nobody is identified 1:N.
    `gallery` None (not loaded yet) counts as empty.
    """
    t0 = time.perf_counter()
    if task.kind == VERIFY:
        analysis, extra = _verify_claim(engine, frame_rgb, gallery, task)
    else:
        analysis = engine.analyse(frame_rgb, gallery if gallery is not None else EMPTY_GALLERY,
                                  task.identify_threshold)
        extra = {"enrol": _live_enrol_candidate(frame_rgb, analysis, task)} if task.kind == ENROL else {}
    return LiveResult(seq, frame_rgb.shape[:2], task, analysis,
                      total_ms=(time.perf_counter() - t0) * 1000, **extra)


def _verify_claim(engine: "Engine", frame_rgb: np.ndarray, gallery: "Gallery | None",
                  task: Task) -> tuple[FrameAnalysis, dict]:
    t0 = time.perf_counter()
    faces = engine.detect(frame_rgb)  # largest first
    detect_ms = (time.perf_counter() - t0) * 1000
    boxes_only = FrameAnalysis(tuple(FaceResult(f, None) for f in faces), detect_ms, 0.0)
    if task.person_id is None or not faces:
        return boxes_only, {}
    if gallery is None or not gallery.has_person(task.person_id):
        return boxes_only, {"claim_without_templates": True}
    embedding = engine.embed(frame_rgb, faces[:1])[0]
    match = gallery.verify(embedding, task.person_id, task.verify_threshold)
    results = (FaceResult(faces[0], None, embedding), *boxes_only.faces[1:])
    return FrameAnalysis(results, detect_ms, (time.perf_counter() - t0) * 1000 - detect_ms), \
        {"verify_match": match}


def _live_enrol_candidate(frame_rgb: np.ndarray, analysis: FrameAnalysis,
                          task: Task) -> EnrolCandidate:
    faces = [result.face for result in analysis.faces]
    report = quality.assess(frame_rgb, faces)
    if len(faces) != 1:
        return EnrolCandidate(report)
    only = analysis.faces[0]  # its embedding was computed by Engine.analyse: never twice
    return enrol_candidate(frame_rgb, only.face, only.embedding, only.match, task, report)


def enrol_candidate(image_rgb: np.ndarray, face: Face, embedding: np.ndarray,
                    match: Match | None, task: Task,
                    report: quality.QualityReport | None = None) -> EnrolCandidate:
    """A shot of one face; `duplicate` is its match when that is an *other* enrolled person."""
    report = report if report is not None else quality.assess(image_rgb, [face])
    duplicate = (match if match is not None and match.accepted
                 and match.person_id != task.person_id else None)
    return EnrolCandidate(report, face, embedding, thumbnail(image_rgb, face), duplicate)


def thumbnail(image_rgb: np.ndarray, face: Face, size_px: int = THUMB_PX) -> np.ndarray:
    """A square RGB crop around the face (with some margin), resized to size_px."""
    import cv2

    x, y, w, h = face.box_xywh
    side = int(max(w, h) * 1.4)
    cx, cy = x + w // 2, y + h // 2
    height, width = image_rgb.shape[:2]
    x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
    crop = image_rgb[y0:min(height, y0 + side), x0:min(width, x0 + side)]
    if crop.size == 0:
        crop = image_rgb
    return cv2.resize(np.ascontiguousarray(crop), (size_px, size_px),
                      interpolation=cv2.INTER_AREA)


def encode_files(engine: "Engine", paths, gallery: "Gallery | None" = None,
                 task: Task = Task(ENROL)) -> tuple[list[tuple[str, EnrolCandidate]], list[str]]:
    """Enrolment shots from photo files: ([(path, candidate)], [error messages])."""
    from kiosk.core.base.errors import KioskError
    from kiosk.core.base.imageio import read_image_rgb

    shots, errors = [], []
    for path in paths:
        try:
            image_rgb = read_image_rgb(path)
            face, embedding = engine.encode_one(image_rgb, source=str(path))
        except KioskError as exc:
            errors.append(str(exc))
            continue
        match = (gallery.identify(embedding[None, :], task.identify_threshold)[0]
                 if gallery is not None and len(gallery) else None)
        shots.append((str(path), enrol_candidate(image_rgb, face, embedding, match, task)))
    return shots, errors
