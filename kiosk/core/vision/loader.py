"""The face detector for a runtime: MTCNN on LiteRT, or on TensorFlow for ``--runtime keras``."""
from __future__ import annotations

from pathlib import Path

from kiosk.core.base.specs import DEFAULT_DETECTOR, DetectorSpec
from kiosk.core.vision.detection import Detector


def load_detector(weights_dir: Path, runtime: str = "litert-int8",
                  min_face_px: int = DEFAULT_DETECTOR.min_face_px,
                  spec: DetectorSpec = DEFAULT_DETECTOR) -> Detector:
    """MTCNN for ``runtime``: the TensorFlow path for "keras" (the reference, and the course's
    world), else the LiteRT twin, which never imports TensorFlow once its exports exist in
    ``weights_dir`` (the first call builds them, with TensorFlow, once)."""
    if runtime == "keras":
        from kiosk.core.vision.mtcnn import MtcnnDetector

        return MtcnnDetector(min_face_px=min_face_px, thresholds=spec.thresholds)
    from kiosk.core.vision import mtcnn_litert

    return mtcnn_litert.load_detector(weights_dir, min_face_px=min_face_px, spec=spec)
