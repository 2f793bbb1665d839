"""The embedder for a runtime: FaceNet on LiteRT (int8 or fp32) or on Keras."""
from __future__ import annotations

from pathlib import Path

from kiosk.core.base.specs import DEFAULT_MODEL, ModelSpec
from kiosk.core.embedding.embedder import Embedder


def load_embedder(weights_dir: Path, runtime: str = "litert-int8",
                  spec: ModelSpec = DEFAULT_MODEL) -> Embedder:
    """The embedder for ``runtime`` ("keras", "litert-fp32" or "litert-int8")."""
    if runtime == "keras":
        from kiosk.core.embedding.facenet import KerasEmbedder, build_keras_model

        return KerasEmbedder(build_keras_model(weights_dir, spec), spec)
    from kiosk.core.embedding import facenet_litert

    return facenet_litert.load_embedder(weights_dir, runtime, spec)
