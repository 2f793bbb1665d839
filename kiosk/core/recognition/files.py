"""The model files an engine for a runtime trusts: built once from the checked weights,
then checked by sha256 at every load and by `kiosk weights verify`."""
from __future__ import annotations

from pathlib import Path

from kiosk.core.base.vocabulary import Runtime
from kiosk.core.embedding import facenet_litert


def required_exports(settings) -> list[Path]:
    """The exports ``settings.runtime`` loads (none for the Keras reference)."""
    if settings.runtime == Runtime.KERAS:
        return []
    return [facenet_litert.export_path(settings.weights_path, settings.runtime)]


def build_exports(settings) -> list[Path]:
    """Build (once) and check every export ``settings.runtime`` needs."""
    if settings.runtime == Runtime.KERAS:
        return []
    return [facenet_litert.ensure_export(settings.weights_path, settings.runtime)]
