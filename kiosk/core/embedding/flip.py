"""Horizontal-flip test-time augmentation: a face's embedding is the mean of the embeddings of
its crop and of the crop's mirror image, made unit length again.

A face and its mirror image are the same person, but the network's two answers differ a
little; their mean is steadier (FaceNet's own LFW evaluation offers the same option). The
vectors differ from the plain ones, so the model id gets `FLIP_SUFFIX`: the store refuses to
mix templates of the two settings, as it refuses another model's (re-encode to switch).
"""
from __future__ import annotations

import numpy as np

from kiosk.core.embedding.embedder import Embedder, l2_normalise

FLIP_SUFFIX = "+flip"


class FlipAveraged:
    """Any `Embedder`, embedding each crop and its mirror image in one batch of 2n."""

    def __init__(self, base: Embedder):
        self.base = base
        self.model_id = base.model_id + FLIP_SUFFIX
        self.dim = base.dim
        self.input_px = base.input_px
        self.runtime = getattr(base, "runtime", "")

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """(n, input_px, input_px, 3) float32 standardised RGB crops -> (n, dim) float32
        unit vectors. The mirror image flips the width axis; per-image standardisation does
        not change under it, so the crops need no new standardising."""
        n = len(crops)
        both = np.concatenate([crops, crops[:, :, ::-1]])
        vectors = self.base.embed(both)
        return l2_normalise(vectors[:n] + vectors[n:])
