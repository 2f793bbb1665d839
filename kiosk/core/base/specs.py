"""Model identities and their calibrated thresholds, kept as data.

Thresholds are L2 distances between unit-norm embeddings (lower = closer), calibrated on
LFW View 1 *DevTrain* with this project's crop pipeline (MTCNN box + 10% margin, bilinear
160x160, per-image standardisation, LiteRT int8), from every pair of its 3,439 images
(2,206 same-person, 5.9 million different-person pairs), so that small false-accept rates are
measured rather than extrapolated (``kiosk calibrate`` reproduces this):

=========  ===========  =========================  =================================
threshold  FAR (train)  TAR (train / test images)  used for
=========  ===========  =========================  =================================
0.99       1.0e-3       97.2% / 97.9%              verify, 1:1 (a badge claims who)
0.85       1.1e-4       86.5% / 91.3%              recognize, 1:N open set
=========  ===========  =========================  =================================

1:N needs the stricter value: a stranger is compared with every enrolled template, so the
chance of some false match grows with the gallery (about N x the per-comparison FAR); the
kiosk also asks for several consecutive frames before it opens. LFW's same-person pairs span
years, poses and lighting; a cooperative person at a door is matched far more easily. On the
seed scenario the true matches lie at 0.45-0.78 and the nearest impostors at 0.97 or more.

The margin was chosen on DevTrain too (10-fold accuracy with int8: margin 0 → 99.09%,
0.05 → 99.14%, 0.10 → 99.27%, 0.15 → 99.00%, 0.20 → 98.68%, 0.30 → 97.27%); levelling the eyes
from the landmarks did not help (0.10 with alignment: 99.27%), so it is off.
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
    # The thresholds an admin may choose, and what each end means (FAR = strangers' faces
    # accepted per comparison, TAR = own faces accepted), measured over every pair of LFW
    # DevTrain images (`kiosk calibrate --at 0.6 1.1 ...`): a setting outside is refused.
    verify_range: tuple[float, float] = (0.60, 1.10)
    identify_range: tuple[float, float] = (0.50, 0.95)
    rates_at: tuple[tuple[float, float, float], ...] = ()  # (threshold, FAR, TAR)


FACENET_2017 = ModelSpec(
    model_id="facenet-inception-resnet-v1-20170512-110547",
    dim=128,
    input_px=160,
    weights_file="facenet_keras.h5",
    weights_sha256="6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af",
    verify_threshold=0.99,
    identify_threshold=0.85,
    margin_fraction=0.10,
    rates_at=((0.50, 1.0e-6, 0.124), (0.60, 3.6e-6, 0.324), (0.85, 1.1e-4, 0.867),
              (0.95, 5.1e-4, 0.956), (0.99, 1.0e-3, 0.972), (1.10, 6.6e-3, 0.991)),
)

DEFAULT_MODEL = FACENET_2017


@dataclass(frozen=True)
class DetectorSpec:
    detector_id: str  # also names its LiteRT exports (``mtcnn-1.0.0-pnet.tflite``, ...)
    min_face_px: int  # default smallest face found: the shorter side of its box, in pixels
    thresholds: tuple[float, float, float]  # the score a candidate needs at PNet, RNet, ONet
    # An enrolment photo's one face may come with other detections that are each at most this
    # fraction of its box area, or this much lower in score log-odds (see dominant_face).
    dominant_area_ratio: float = 0.1
    dominant_max_other_score: float = 0.95
    dominant_log_odds_gap: float = 4.6


MTCNN_1_0 = DetectorSpec(detector_id="mtcnn-1.0.0", min_face_px=20, thresholds=(0.6, 0.7, 0.8))

DEFAULT_DETECTOR = MTCNN_1_0
