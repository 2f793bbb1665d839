"""Model identities and their calibrated thresholds, kept as data.

Thresholds are L2 distances between unit-norm embeddings (lower = closer). They were
calibrated on LFW View 1 DevTrain with this project's own crop pipeline; see
``weights/README.md`` and ``kiosk evaluate`` for how to reproduce them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    dim: int
    input_px: int
    weights_file: str
    weights_sha256: str
    verify_threshold: float  # 1:1, metric: L2 distance
    identify_threshold: float  # 1:N open set, metric: L2 distance
    margin_fraction: float  # crop margin, fraction of the box size added on every side
    course_threshold: float = 0.7  # the course's own threshold, for its crude pipeline only


FACENET_2017 = ModelSpec(
    model_id="facenet-inception-resnet-v1-20170512-110547",
    dim=128,
    input_px=160,
    weights_file="facenet_keras.h5",
    weights_sha256="6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af",
    verify_threshold=1.10,
    identify_threshold=1.00,
    margin_fraction=0.10,
)

DEFAULT_MODEL = FACENET_2017
