"""Shared fixtures: real photos from ../shared/testdata and the real engine, built once."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata"
SEED = TESTDATA / "seed-faces"
LFW = TESTDATA / "lfw-view1"
STAFF = ("andrew arnaud benoit bertrand dan danielle felix kevin kian "
         "sebastiano tian younes").split()


def seed_photo(name: str) -> Path:
    """The seed photo of ``name`` (danielle's is the RGBA png)."""
    return SEED / (f"{name}.png" if name == "danielle" else f"{name}.jpg")


@pytest.fixture(scope="session")
def testdata() -> Path:
    assert SEED.is_dir(), f"test data missing: {SEED} (CI puts ../shared beside the repo)"
    return TESTDATA


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Default settings, but the store in a temporary data dir (weights: the real cache)."""
    from kiosk.core.base import settings as settings_mod

    data = tmp_path_factory.mktemp("data")
    return settings_mod.load({"data_dir": str(data)}, environ={})


@pytest.fixture(scope="session")
def engine(settings):
    """The real engine (MTCNN + FaceNet on the default runtime), built once per session."""
    from kiosk.core.recognition.engine import Engine

    return Engine.load(settings)


@pytest.fixture(scope="session")
def keras_model(settings):
    from kiosk.core.embedding.facenet import build_keras_model

    return build_keras_model(settings.weights_path)
