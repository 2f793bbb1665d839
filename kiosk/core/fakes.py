"""Fakes that are also features: a colour-card "face" world for demos, self-tests and tests.

A fake face is a saturated coloured card with two eyes, a nose and a mouth drawn on it
(`draw_face`), on a grey background. `FakeDetector` finds the cards, `FakeEmbedder` turns
each card's colour into a one-hot embedding, so each palette colour is one "person": the
whole screen (enrol, recognise, verify) runs in milliseconds with no model and no webcam.
"""
from __future__ import annotations

import time
from typing import Iterable

import numpy as np

from kiosk.core.base.specs import DEFAULT_DETECTOR
from kiosk.core.base.types import Face
from kiosk.core.camera.sources import ScriptedCamera
from kiosk.core.recognition.engine import Engine
from kiosk.core.vision.crops import CROP_PX

__all__ = ["PALETTE_BGR", "FakeDetector", "FakeEmbedder", "FakeEngine", "ScriptedCamera",
           "draw_face", "face_frame", "fake_engine"]

FAKE_MODEL_ID = "fake-colour-cards-v1"
# BGR colours, one per fake person; all saturated so that the grey background is not a face.
PALETTE_BGR: dict[str, tuple[int, int, int]] = {
    "red": (40, 40, 220), "green": (60, 200, 60), "blue": (220, 90, 30),
    "yellow": (30, 220, 230), "magenta": (200, 50, 200), "cyan": (220, 210, 40),
    "orange": (20, 140, 250), "purple": (150, 40, 110),
}
_NAMES = tuple(PALETTE_BGR)
_PALETTE_RGB = np.array([PALETTE_BGR[n][::-1] for n in _NAMES], np.float32)


def landmarks_for(box_xywh: tuple[int, int, int, int], turn: float = 0.0) -> dict:
    """Where draw_face puts eyes, nose and mouth. `turn` shifts the nose by that many eye
    distances towards +x: a nose offset in `kiosk.core.vision.pose`'s sense (0.3 is ~28 degrees
    to the person's own left)."""
    x, y, w, h = box_xywh
    return {"left_eye": (x + 0.3 * w, y + 0.38 * h), "right_eye": (x + 0.7 * w, y + 0.38 * h),
            "nose": (x + (0.5 + 0.4 * turn) * w, y + 0.58 * h),
            "mouth_left": (x + 0.35 * w, y + 0.76 * h), "mouth_right": (x + 0.65 * w, y + 0.76 * h)}


def draw_face(frame_bgr: np.ndarray, colour: str, box_xywh: tuple[int, int, int, int],
              turn: float = 0.0, photo: bool = False) -> np.ndarray:
    """Draw one colour card face into `frame_bgr` (in place) and return it. A ``photo`` card
    has a white glare patch on its left cheek: `FakeLiveness` calls it flat."""
    import cv2

    x, y, w, h = box_xywh
    cv2.rectangle(frame_bgr, (x, y), (x + w - 1, y + h - 1), PALETTE_BGR[colour], -1)
    marks = landmarks_for(box_xywh, turn)
    r = max(2, w // 12)
    for name in ("left_eye", "right_eye", "nose"):
        cx, cy = marks[name]
        cv2.circle(frame_bgr, (int(cx), int(cy)), r, (25, 25, 25), -1)
    (mx0, my), (mx1, _) = marks["mouth_left"], marks["mouth_right"]
    cv2.line(frame_bgr, (int(mx0), int(my)), (int(mx1), int(my)), (25, 25, 25), max(2, r // 2))
    if photo:
        x0, y0, x1, y1 = _glare_patch(box_xywh)
        cv2.rectangle(frame_bgr, (x0, y0), (x1 - 1, y1 - 1), (255, 255, 255), -1)
    return frame_bgr


def face_frame(faces: Iterable[tuple] = (), size: tuple[int, int] = (640, 480),
               background: int = 110) -> np.ndarray:
    """A BGR frame of `size` (width, height) with the given faces: (colour, box_xywh), then
    optionally "photo" for a card held up as a photo and/or a number, the head turn (see
    `landmarks_for`; > 0 the person's own left)."""
    width, height = size
    ramp = np.linspace(background - 30, background + 30, width, dtype=np.float32)
    frame_bgr = np.repeat(np.tile(ramp, (height, 1))[:, :, None], 3, axis=2).astype(np.uint8)
    for colour, box, *extras in faces:
        turn = next((float(e) for e in extras if isinstance(e, (int, float))), 0.0)
        draw_face(frame_bgr, colour, box, turn, photo="photo" in extras)
    return frame_bgr


class FakeDetector:
    """Finds colour cards: connected regions of saturated pixels at least `min_face_px` big,
    with the nose where it is drawn (so a turned card is a turned head)."""

    def __init__(self, min_face_px: int = DEFAULT_DETECTOR.min_face_px, delay_s: float = 0.0):
        self.min_face_px = min_face_px
        self.delay_s = delay_s

    def detect(self, image_rgb: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        import cv2

        if self.delay_s:
            time.sleep(self.delay_s)  # stands in for a real model's time on the worker thread
        hsv = cv2.cvtColor(np.ascontiguousarray(image_rgb), cv2.COLOR_RGB2HSV)
        mask = ((hsv[..., 1] > 120) & (hsv[..., 2] > 60)).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_px = self.min_face_px if min_face_px is None else min_face_px
        faces = [self._face(stats[i], hsv[..., 2]) for i in range(1, count)
                 if min(stats[i][2], stats[i][3]) >= min_px]
        return sorted(faces, key=lambda f: -f.box_xywh[2] * f.box_xywh[3])

    def warm_up(self, frame_hw: tuple[int, int] = (480, 640)) -> None:
        """Nothing to build."""

    @staticmethod
    def _face(stat, value: np.ndarray) -> Face:
        box = (int(stat[0]), int(stat[1]), int(stat[2]), int(stat[3]))
        return Face(box, 0.99, landmarks_for(box, _drawn_turn(box, value)))


def _drawn_turn(box_xywh, value: np.ndarray) -> float:
    """The `turn` a card was drawn with: where its dark nose is, in the band between eyes and
    mouth (0 when there is none). ``value``: the frame's HSV value channel."""
    x, y, w, h = box_xywh
    band = value[y + int(0.52 * h):y + int(0.64 * h), x:x + w]
    columns = np.flatnonzero((band < 60).any(axis=0))
    if columns.size == 0:
        return 0.0
    return (float(columns.mean()) - 0.5 * w) / (0.4 * w)


class FakeEmbedder:
    """One-hot embedding of the nearest palette colour (distance 0 same, 1.41 different).

    It implements the real `Embedder` interface, so the fake engine runs the real crop path:
    a standardised crop keeps each card's chroma direction (standardisation subtracts one
    mean from all three channels and divides them by one std), which names its colour.
    """

    model_id = FAKE_MODEL_ID
    dim = len(_NAMES)
    input_px = CROP_PX

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """(n, 160, 160, 3) standardised RGB crops -> (n, dim) one-hot float32 vectors.

        The card colour is the median of the middle of the crop's top band (above the eyes).
        """
        side = crops.shape[1]
        band = crops[:, side // 10:side // 4, side // 4:3 * side // 4].reshape(len(crops), -1, 3)
        return self._nearest(_chroma(np.median(band, axis=1)), _chroma(_PALETTE_RGB))

    def embed_colours(self, colours_rgb: np.ndarray) -> np.ndarray:
        """(n, 3) RGB colours 0..255 -> (n, dim) float32 unit vectors."""
        return self._nearest(_chroma(np.asarray(colours_rgb, np.float32)), _chroma(_PALETTE_RGB))

    def _nearest(self, chroma: np.ndarray, palette: np.ndarray) -> np.ndarray:
        out = np.zeros((len(chroma), self.dim), np.float32)
        out[np.arange(len(chroma)), np.argmax(chroma @ palette.T, axis=1)] = 1.0
        return out


def _chroma(colours: np.ndarray) -> np.ndarray:
    """(n, 3) colours -> unit vectors of their deviation from grey (brightness and contrast
    drop out, hue stays)."""
    centred = colours - colours.mean(axis=1, keepdims=True)
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)


def _glare_patch(box_xywh) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of a photo card's glare: inside the card, so the card stays one box."""
    x, y, w, h = box_xywh
    return x + int(0.1 * w), y + int(0.46 * h), x + int(0.4 * w), y + int(0.68 * h)


class FakeLiveness:
    """A card with a white glare patch (`draw_face(photo=True)`) is flat (score 0.001); any
    other card is live (0.9). Implements the real `Liveness` interface."""

    def live_score(self, frame_rgb: np.ndarray, box_xywh) -> float:
        x0, y0, x1, y1 = _glare_patch(box_xywh)
        patch = frame_rgb[y0:y1, x0:x1]
        glare = patch.size and float((patch.min(axis=2) > 240).mean()) > 0.5
        return 0.001 if glare else 0.9

    def warm_up(self) -> None:
        """Nothing to build."""


class FakeEngine(Engine):
    """The real Engine (crops, encode_one, analyse) over the fake detector, embedder and
    anti-spoofing check."""

    def __init__(self, min_face_px: int = DEFAULT_DETECTOR.min_face_px, delay_s: float = 0.0,
                 live_min_face_px: int = DEFAULT_DETECTOR.live_min_face_px):
        super().__init__(FakeDetector(min_face_px, delay_s), FakeEmbedder(), 0.0, min_face_px,
                         FakeLiveness(), live_min_face_px)


def fake_engine(settings=None, load_delay_s: float = 0.0, delay_s: float = 0.0) -> FakeEngine:
    """An engine factory with Engine.load's signature; `load_delay_s` mimics model loading."""
    if load_delay_s:
        time.sleep(load_delay_s)
    return FakeEngine(getattr(settings, "min_face_px", DEFAULT_DETECTOR.min_face_px), delay_s,
                      getattr(settings, "live_min_face_px", DEFAULT_DETECTOR.live_min_face_px))


DEMO_PEOPLE = {"Alice": "red", "Bob": "blue"}


def enrol_cards(store, people: dict[str, str], employee_ids: dict[str, str] | None = None):
    """Enrol colour-card people ({name: colour}) into `store` under the fake model."""
    embedder = FakeEmbedder()
    for name, colour in people.items():
        colour_rgb = np.array([PALETTE_BGR[colour][::-1]], np.float32)
        store.enrol(name, list(embedder.embed_colours(colour_rgb)), model_id=FAKE_MODEL_ID,
                     employee_id=(employee_ids or {}).get(name))


def enrol_demo_people(store) -> None:
    enrol_cards(store, DEMO_PEOPLE)


def demo_frames(fps: float = 15.0) -> list[np.ndarray]:
    """A loop of scenes: nobody, Alice, a stranger (green), Alice and Bob together."""
    scenes = [(), (("red", (250, 130, 150, 180)),), (),
              (("green", (240, 120, 160, 190)),), (),
              (("red", (110, 140, 140, 170)), ("blue", (390, 150, 130, 160)))]
    frames = []
    for faces in scenes:
        frame_bgr = face_frame(faces)
        frames += [frame_bgr] * int(fps * (2 if not faces else 4))
    return frames


def demo_camera(fps: float = 15.0) -> ScriptedCamera:
    return ScriptedCamera(demo_frames(fps), fps=fps, description="demo camera")
