"""Passive presentation-attack detection: is the face in front of the camera a live person?

Two MiniFASNet models (Silent-Face-Anti-Spoofing, Apache-2.0; see weights/README.md), run on
LiteRT. Each sees the authors' crop of the face: the box enlarged by the model's scale around
its centre (the scale reduced if that would not fit the frame, the box shifted back inside),
resized to 80x80, **BGR**, float32 0..255, NHWC. Each returns 3 softmax probabilities; index 1
is "live". A face's live score is the mean of the two models' live probabilities; the front
desk averages it over the consecutive frames it already waits for (`combined_score`).

Each file's sha256 is checked before it is loaded (the bytes hashed are the bytes loaded): a
missing, damaged or replaced model refuses to load — the kiosk then opens no door.
Not thread-safe: build one `PassiveLiveness` per thread (the analysis thread).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.paths import committed_weights_dir
from kiosk.core.base.specs import DEFAULT_PAD, PadModelFile, PadSpec
from kiosk.core.base.tf_quiet import stderr_filtered
from kiosk.core.base.vocabulary import SecurityLevel
from kiosk.core.models.litert import interpreter_class

FIX_HINT = "restore the file from the program's installation (or git), or re-run weights/convert_minifasnet.py"


class Liveness(Protocol):
    """What the front desk asks: how likely the face at a box is a live person (0..1)."""

    def live_score(self, frame_rgb: np.ndarray, box_xywh: Sequence[float]) -> float: ...
    def warm_up(self) -> None: ...


def load_liveness(level: str, folder: Path | None = None,
                  spec: PadSpec = DEFAULT_PAD) -> "PassiveLiveness | None":
    """The passive check a security level needs (None for "off"); WeightsError when a model
    is missing or fails its sha256 — never a silent fall back to a lower level."""
    if SecurityLevel(level) == SecurityLevel.OFF:
        return None
    return PassiveLiveness(folder or committed_weights_dir(), spec)


def verify_files(folder: Path | None = None, spec: PadSpec = DEFAULT_PAD) -> list[Path]:
    """Each model file of ``spec`` (committed with the program), its sha256 checked;
    WeightsError at the first that is missing or damaged."""
    folder = folder or committed_weights_dir()
    for model in spec.models:
        checked_model_bytes(folder / model.file, model.sha256)
    return [folder / model.file for model in spec.models]


def checked_model_bytes(path: Path, expected_sha256: str) -> bytes:
    """The file's bytes if their sha256 is the expected one; WeightsError otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WeightsError(f"the anti-spoofing model {path} cannot be read ({exc}); {FIX_HINT}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise WeightsError(f"the anti-spoofing model {path} is damaged or not the expected file"
                           f" (sha256 {actual[:12]}…, expected {expected_sha256[:12]}…); {FIX_HINT}")
    return data


def enlarged_box(frame_w: int, frame_h: int, box_xywh: Sequence[float],
                 scale: float) -> tuple[int, int, int, int]:
    """The authors' crop: (x0, y0, x1, y1), inclusive integer corners inside the frame."""
    x, y, w, h = (float(v) for v in box_xywh)
    if w <= 0 or h <= 0:
        raise ValueError(f"face box must have a positive size, got {tuple(box_xywh)}")
    scale = min((frame_h - 1) / h, (frame_w - 1) / w, scale)
    cx, cy, half_w, half_h = x + w / 2, y + h / 2, w * scale / 2, h * scale / 2
    x0, x1 = _inside(cx - half_w, cx + half_w, frame_w - 1)
    y0, y1 = _inside(cy - half_h, cy + half_h, frame_h - 1)
    return int(x0), int(y0), int(x1), int(y1)


def _inside(low: float, high: float, limit: float) -> tuple[float, float]:
    """Shift the span [low, high] back into [0, limit] without changing its length."""
    if low < 0:
        low, high = 0.0, high - low
    if high > limit:
        low, high = low - (high - limit), limit
    return low, high


def model_input(frame_rgb: np.ndarray, box_xywh: Sequence[float], scale: float,
                side: int = DEFAULT_PAD.input_px) -> np.ndarray:
    """float32 (1, side, side, 3) BGR 0..255 crop of one face. Bilinear resizing works per
    channel, so resizing the RGB crop and then reversing the channels is the authors' input."""
    import cv2

    height, width = frame_rgb.shape[:2]
    x0, y0, x1, y1 = enlarged_box(width, height, box_xywh, scale)
    crop_rgb = np.ascontiguousarray(frame_rgb[y0:y1 + 1, x0:x1 + 1])
    resized = cv2.resize(crop_rgb, (side, side), interpolation=cv2.INTER_LINEAR)
    return resized[None, :, :, ::-1].astype(np.float32)


class _Model:
    """One LiteRT model: float32 (1, side, side, 3) BGR in, float32 (3,) probabilities out."""

    def __init__(self, model: PadModelFile, folder: Path, spec: PadSpec):
        self.model = model
        data = checked_model_bytes(folder / model.file, model.sha256)
        try:
            self._interp = interpreter_class()(model_content=data, num_threads=1)
            with stderr_filtered():  # the XNNPACK delegate announces itself on fd 2
                self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise WeightsError(f"LiteRT cannot load {model.file} ({exc}); {FIX_HINT}") from exc
        (inp,), (out,) = self._interp.get_input_details(), self._interp.get_output_details()
        self._in, self._out = inp["index"], out["index"]

    def probabilities(self, x_bgr: np.ndarray) -> np.ndarray:
        self._interp.set_tensor(self._in, x_bgr)
        self._interp.invoke()
        return self._interp.get_tensor(self._out)[0].copy()


class PassiveLiveness:
    """Both models of ``spec``; `live_score` is one face's passive live score in [0, 1]."""

    def __init__(self, folder: Path, spec: PadSpec = DEFAULT_PAD):
        self.spec = spec
        self.threshold = spec.threshold
        self._models = [_Model(m, Path(folder), spec) for m in spec.models]

    def live_score(self, frame_rgb: np.ndarray, box_xywh: Sequence[float]) -> float:
        """Mean "live" probability of the models for the face at ``box_xywh`` (frame pixels)
        of an RGB uint8 (H, W, 3) frame; higher is more likely a live person."""
        live = [m.probabilities(model_input(frame_rgb, box_xywh, m.model.crop_scale,
                                            self.spec.input_px))[self.spec.live_index]
                for m in self._models]
        return float(np.mean(live))

    def warm_up(self) -> None:
        self.live_score(np.zeros((120, 120, 3), np.uint8), (30, 30, 60, 60))


def combined_score(frame_scores: Sequence[float]) -> float:
    """The live score over consecutive analysed frames: their mean. A print is a print in
    every frame, so the mean mostly smooths a live face's frame-to-frame noise (a blink, blur)."""
    if not len(frame_scores):
        raise ValueError("no frame scores to combine")
    return float(np.mean(frame_scores))
