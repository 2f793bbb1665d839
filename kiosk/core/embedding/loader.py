"""The embedder for a runtime: FaceNet on LiteRT (int8 or fp32) or on Keras."""
from __future__ import annotations

from pathlib import Path

from kiosk.core.base.specs import DEFAULT_MODEL, ModelSpec
from kiosk.core.embedding.embedder import Embedder


def load_embedder(weights_dir: Path, runtime: str = "litert-int8",
                  spec: ModelSpec = DEFAULT_MODEL, flip: bool = False) -> Embedder:
    """The embedder for ``runtime`` ("keras", "litert-fp32" or "litert-int8").

    ``flip``: average each face's embedding with its mirror image's (`flip.FlipAveraged`,
    model id + "+flip"). Off by default: on LFW View 1 it moved 10-fold accuracy by -0.1
    (DevTest) and +0.05 (DevTrain) points at 1.6x the embedding time (see specs.py).
    """
    if runtime == "keras":
        from kiosk.core.embedding.facenet import KerasEmbedder, build_keras_model

        embedder: Embedder = KerasEmbedder(build_keras_model(weights_dir, spec), spec)
    else:
        from kiosk.core.embedding import facenet_litert

        embedder = facenet_litert.load_embedder(weights_dir, runtime, spec)
    if flip:
        from kiosk.core.embedding.flip import FlipAveraged

        embedder = FlipAveraged(embedder)
    return embedder
