"""What every face embedder offers: FaceNet on LiteRT or Keras, and the colour-card fake."""
from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    model_id: str  # recorded with every stored template: embeddings of two models never mix
    dim: int
    input_px: int  # crops are (input_px, input_px, 3)

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """(n, input_px, input_px, 3) float32 standardised RGB crops -> (n, dim) float32
        unit vectors."""


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (float32); an all-zero row stays zero."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
