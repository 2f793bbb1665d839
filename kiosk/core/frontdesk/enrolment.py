"""Enrolment shots: a face's embedding and where it came from, from the camera or a file.

Every way of enrolling (the dialog's live shots and files, `kiosk enroll`, `enroll-dir`,
the screen benchmark) makes `Shot` values here and hands them to `FrontDesk.enrol`.
Images are RGB uint8 (H, W, 3).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.base.types import Face, Match
from kiosk.core.recognition.matching import Gallery
from kiosk.core.vision import pose, quality

if TYPE_CHECKING:
    from kiosk.core.recognition.engine import Engine

THUMB_PX = 112
CAMERA = "camera"  # the source label of a live shot
MIN_SHOTS = 3  # fewer recognise a person less reliably: saving them asks first
# The guided live shots: a few poses, because a door camera sees people a little turned.
POSE_PLAN: tuple[tuple[str, int], ...] = ((pose.STRAIGHT, 2), (pose.LEFT, 1), (pose.RIGHT, 1))
POSE_PROMPTS = {pose.STRAIGHT: "Look straight at the camera",
                pose.LEFT: "Turn your head a little to your left",
                pose.RIGHT: "Turn your head a little to your right"}
ALL_POSES_TAKEN = "All poses taken — Save, or take more photos"


@dataclass(frozen=True)
class Shot:
    """One photo of the person being enrolled."""

    embedding: np.ndarray  # (dim,) float32 unit vector
    source: str  # CAMERA, or the photo's file name
    face: Face | None = None
    thumb_rgb: np.ndarray | None = None  # (THUMB_PX, THUMB_PX, 3) uint8
    digest: str | None = None  # sha256 of the image's pixels (files), to skip re-enrolling
    duplicate: Match | None = None  # an *other* enrolled person this face already matches
    ignored: tuple[Face, ...] = ()  # a photo's other detections, far smaller or less sure

    def took_text(self) -> str:
        """Which face of a photo was taken, and what was ignored ("" when it was the only one)."""
        if not self.ignored or self.face is None:
            return ""
        return (f"{self.source}: took the face at {_where(self.face)}; ignored {len(self.ignored)} far smaller or"
                f" less sure detection(s): " + ", ".join(_where(f) for f in self.ignored))


def _where(face: Face) -> str:
    x, y, w, h = face.box_xywh
    return f"{x},{y} ({w}x{h} px, score {face.confidence:.2f})"


@dataclass(frozen=True)
class PoseGuide:
    """Which pose the next live shot should have, from the shots taken so far (files count
    too); no state of its own, so removing a shot brings its pose back."""

    plan: tuple[tuple[str, int], ...] = POSE_PLAN

    def wanted(self, shots: Iterable[Shot]) -> str | None:
        """The first pose of the plan still short of shots; None when all are taken."""
        counts = self._counts(shots)
        return next((name for name, n in self.plan if counts.get(name, 0) < n), None)

    def progress(self, shots: Iterable[Shot]) -> tuple[int, int]:
        """(planned shots taken, planned shots)."""
        counts = self._counts(shots)
        return sum(min(counts.get(name, 0), n) for name, n in self.plan), sum(n for _, n in self.plan)

    def advice(self, candidate: "EnrolCandidate", shots: Iterable[Shot]) -> str:
        """What to tell the person in front of the camera now (quality first, then pose)."""
        report = candidate.quality
        wanted = self.wanted(shots)
        if report.problems or report.face_count != 1:
            return report.message
        if wanted is None:
            return ALL_POSES_TAKEN
        return quality.GOOD if pose.pose_of(report.yaw_deg) == wanted else POSE_PROMPTS[wanted]

    def ready(self, candidate: "EnrolCandidate", shots: Iterable[Shot]) -> bool:
        """True when this frame is a good shot of the pose still wanted (auto capture)."""
        wanted = self.wanted(shots)
        return (candidate.shot is not None and candidate.quality.ok and wanted is not None
                and pose.pose_of(candidate.quality.yaw_deg) == wanted)

    @staticmethod
    def _counts(shots: Iterable[Shot]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for shot in shots:
            if (name := shot_pose(shot)) is not None:
                counts[name] = counts.get(name, 0) + 1
        return counts


def shot_pose(shot: Shot) -> str | None:
    """STRAIGHT, LEFT, RIGHT or None (no landmarks, in between)."""
    return None if shot.face is None else pose.pose_of(pose.yaw_deg(shot.face.landmarks))


@dataclass(frozen=True)
class EnrolCandidate:
    """A live frame while enrolling: its quality, and the shot it would give (one face)."""

    quality: quality.QualityReport
    shot: Shot | None = None


@dataclass(frozen=True)
class FileShots:
    """What became of a list of photo files: shots, errors (one line each), and the files
    skipped because the same image is already enrolled for that person."""

    shots: list[Shot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)


def image_digest(image_rgb: np.ndarray) -> str:
    """sha256 of the decoded pixels and their shape: the same picture re-saved matches."""
    digest = hashlib.sha256(repr(image_rgb.shape).encode())
    digest.update(np.ascontiguousarray(image_rgb).data)
    return digest.hexdigest()


def duplicate_of(match: Match | None, person_id: int | None) -> Match | None:
    """``match`` when it is an accepted match of someone other than ``person_id``."""
    if match is None or not match.accepted or match.person_id == person_id:
        return None
    return match


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


LOOKS_FLAT = "This looks like a photo or a screen — the person must stand at the camera"
NO_LIVE_CHECK = ("The anti-spoofing check cannot run (its model is not loaded; see the message at"
                 " the top), so no live shot is taken — photos from files still can be")


def live_candidate(frame_rgb: np.ndarray, faces, person_id: int | None,
                   refusal: str | None = None) -> EnrolCandidate:
    """The enrolment view of one analysed frame (`FaceResult`s, already embedded); a face the
    anti-spoofing check refuses gives no shot, and ``refusal`` says why."""
    report = quality.assess(frame_rgb, [result.face for result in faces])
    if len(faces) == 1 and refusal:
        return EnrolCandidate(replace(report, problems=(refusal, *report.problems)))
    if len(faces) != 1:
        return EnrolCandidate(report)
    only = faces[0]
    return EnrolCandidate(report, Shot(only.embedding, CAMERA, only.face,
                                       thumbnail(frame_rgb, only.face), None,
                                       duplicate_of(only.match, person_id)))


def encode_files(engine: "Engine", paths: Iterable[str | os.PathLike], gallery: Gallery,
                 threshold: float, person_id: int | None = None,
                 skip_digests: frozenset[str] = frozenset()) -> FileShots:
    """A shot per photo file with exactly one usable face; the rest as errors.

    ``threshold`` (L2, 1:N) flags a face that already matches another enrolled person;
    files whose pixels hash to one of ``skip_digests`` are listed as already enrolled.
    """
    out = FileShots()
    for path in paths:
        try:
            shot = _file_shot(engine, Path(path), gallery, threshold, person_id)
        except KioskError as exc:
            out.errors.append(str(exc))
            continue
        if shot.digest in skip_digests:
            out.already_enrolled.append(str(path))
        else:
            out.shots.append(shot)
    return out


def _file_shot(engine: "Engine", path: Path, gallery: Gallery, threshold: float,
               person_id: int | None) -> Shot:
    shot = image_shot(engine, read_image_rgb(path), str(path), gallery, threshold, person_id)
    return replace(shot, source=path.name)


def image_shot(engine: "Engine", image_rgb: np.ndarray, source: str, gallery: Gallery,
               threshold: float, person_id: int | None = None) -> Shot:
    """The shot of an RGB photo with exactly one usable face (else a FaceError naming
    ``source``); ``duplicate`` set when it matches another enrolled person at ``threshold``."""
    photo = engine.encode_photo(image_rgb, source=source)
    match = gallery.identify(photo.embedding[None, :], threshold)[0] if len(gallery) else None
    return Shot(photo.embedding, source, photo.face, thumbnail(image_rgb, photo.face), image_digest(image_rgb),
                duplicate_of(match, person_id), photo.ignored)
