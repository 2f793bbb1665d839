"""The FaceNet course's functions, with the course's exact meaning and numbers.

They use the course's crude preprocessing on purpose (the whole image, resized to 160x160
with nearest-neighbour sampling, pixels / 255, threshold 0.7, ``database`` a dict
name -> encoding) so its published results reproduce. The product's own pipeline (detect,
crop with margin, standardise, calibrated thresholds) is ``kiosk.core.recognition.engine``.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from kiosk.core.base.imageio import course_pixels
from kiosk.core.base.specs import DEFAULT_MODEL

log = logging.getLogger(__name__)

COURSE_THRESHOLD = DEFAULT_MODEL.course_threshold  # 0.7, for this preprocessing only
NOT_IN_DATABASE = "not in the database"


def load_model(weights_dir: str | Path | None = None):
    """The FaceNet Keras model (input (n, 160, 160, 3) float RGB, output (n, 128))."""
    from kiosk.core.base import paths
    from kiosk.core.embedding.facenet import build_keras_model

    return build_keras_model(paths.weights_dir(weights_dir))


def img_to_encoding(image_path, model) -> np.ndarray:
    """(1, 128) L2-normalised encoding of the whole image at ``image_path``."""
    embedding = model.predict_on_batch(course_pixels(image_path).astype(np.float32))
    return embedding / np.linalg.norm(embedding, ord=2)


def verify(image_path, identity: str, database: dict, model) -> tuple[float, bool]:
    """Is the person in ``image_path`` really ``identity``? -> (dist, door_open)."""
    encoding = img_to_encoding(image_path, model)
    dist = float(np.linalg.norm(encoding - database[identity]))
    door_open = dist < COURSE_THRESHOLD
    if door_open:
        log.info("It's %s, welcome in!", identity)
    else:
        log.info("It's not %s, please go away", identity)
    return dist, door_open


def who_is_it(image_path, database: dict, model) -> tuple[float, str]:
    """Nearest name in ``database`` -> (min_dist, identity); identity is
    "not in the database" when min_dist exceeds the course's threshold."""
    encoding = img_to_encoding(image_path, model)
    min_dist, identity = 100.0, NOT_IN_DATABASE
    for name, db_enc in database.items():
        dist = float(np.linalg.norm(encoding - db_enc))
        if dist < min_dist:
            min_dist, identity = dist, name
    if min_dist > COURSE_THRESHOLD:
        log.info("Not in the database.")
        return min_dist, NOT_IN_DATABASE
    log.info("it's %s, the distance is %s", identity, min_dist)
    return min_dist, identity


def triplet_loss(y_true, y_pred, alpha: float = 0.2):
    """FaceNet's triplet loss. ``y_pred`` is (anchor, positive, negative), each (m, 128) or
    (128,); squared distances are summed over the last axis, the hinge over examples."""
    from kiosk.core.base.tf_quiet import import_tensorflow

    tf = import_tensorflow()

    anchor, positive, negative = (tf.cast(t, tf.float32) for t in y_pred[:3])
    pos_dist = tf.reduce_sum(tf.square(anchor - positive), axis=-1)
    neg_dist = tf.reduce_sum(tf.square(anchor - negative), axis=-1)
    basic_loss = pos_dist - neg_dist + alpha
    return tf.reduce_sum(tf.maximum(basic_loss, 0.0))
