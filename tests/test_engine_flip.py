"""Flip test-time augmentation (`embedding.flip`): an option, off by default (see specs.py for
the LFW numbers behind that), whose templates never mix with plain ones."""
from __future__ import annotations

import numpy as np
import pytest

from kiosk.core.base.specs import DEFAULT_MODEL
from kiosk.core.embedding.flip import FLIP_SUFFIX, FlipAveraged


class Projection:
    """A deterministic, non-symmetric stand-in embedder: a fixed random linear map."""

    model_id, dim, input_px = "projection", 8, 16

    def __init__(self):
        self.matrix = np.random.default_rng(3).normal(size=(16 * 16 * 3, 8)).astype(np.float32)

    def embed(self, crops: np.ndarray) -> np.ndarray:
        vectors = crops.reshape(len(crops), -1) @ self.matrix
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def crops() -> np.ndarray:
    return np.random.default_rng(5).normal(size=(3, 16, 16, 3)).astype(np.float32)


def test_the_model_id_says_flip_so_the_store_keeps_the_two_apart():
    flipped = FlipAveraged(Projection())
    assert flipped.model_id == "projection" + FLIP_SUFFIX != Projection.model_id
    assert (flipped.dim, flipped.input_px) == (8, 16)


def test_a_face_and_its_mirror_image_get_the_same_unit_vector(crops):
    flipped = FlipAveraged(Projection())
    vectors = flipped.embed(crops)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(flipped.embed(crops[:, :, ::-1]), vectors, atol=1e-6)
    assert not np.allclose(Projection().embed(crops[:, :, ::-1]), Projection().embed(crops))


def test_the_mean_of_both_embeddings_in_one_batch(crops):
    base = Projection()
    both = base.embed(crops) + base.embed(crops[:, :, ::-1].copy())
    expected = both / np.linalg.norm(both, axis=1, keepdims=True)
    np.testing.assert_allclose(FlipAveraged(base).embed(crops), expected, atol=1e-6)


@pytest.mark.slow
def test_the_real_embedder_is_plain_by_default_and_flips_on_request(settings, testdata):
    from kiosk.core.embedding.loader import load_embedder

    plain = load_embedder(settings.weights_path, "litert-int8")
    flipped = load_embedder(settings.weights_path, "litert-int8", flip=True)
    assert plain.model_id == DEFAULT_MODEL.model_id
    assert flipped.model_id == DEFAULT_MODEL.model_id + FLIP_SUFFIX
    crop = np.random.default_rng(0).normal(size=(1, 160, 160, 3)).astype(np.float32)
    distance = float(np.linalg.norm(plain.embed(crop) - flipped.embed(crop)))
    assert 0.0 < distance < 1.0
