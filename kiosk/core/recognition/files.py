"""The model files an engine for a runtime trusts: built once from the checked weights,
then checked by sha256 at every load and by `kiosk weights verify`."""
from __future__ import annotations

from pathlib import Path

from kiosk.core.base.vocabulary import Runtime
from kiosk.core.embedding import facenet_litert
from kiosk.core.vision import mtcnn_export


def required_exports(settings) -> list[Path]:
    """The exports ``settings.runtime`` loads: FaceNet's and MTCNN's three networks (none for
    the Keras reference, which runs both on TensorFlow)."""
    if settings.runtime == Runtime.KERAS:
        return []
    return [facenet_litert.export_path(settings.weights_path, settings.runtime),
            *(mtcnn_export.export_path(settings.weights_path, net) for net in mtcnn_export.NETWORKS)]


def build_exports(settings) -> list[Path]:
    """Build (once) and check every export ``settings.runtime`` needs."""
    if settings.runtime == Runtime.KERAS:
        return []
    built = mtcnn_export.ensure_exports(settings.weights_path)
    return [facenet_litert.ensure_export(settings.weights_path, settings.runtime),
            *(built[net] for net in mtcnn_export.NETWORKS)]
