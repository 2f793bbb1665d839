"""The course's functions reproduce the course's published numbers on its own photos."""
import numpy as np
import pytest

import kiosk
from tests.conftest import SEED, STAFF, seed_photo


@pytest.fixture(scope="module")
def database(keras_model):
    return {name: kiosk.img_to_encoding(seed_photo(name), keras_model) for name in STAFF}


def test_img_to_encoding_is_unit_128(keras_model):
    encoding = kiosk.img_to_encoding(SEED / "younes.jpg", keras_model)
    assert encoding.shape == (1, 128)
    assert np.linalg.norm(encoding) == pytest.approx(1.0, abs=1e-5)


def test_verify_younes_opens_the_door(database, keras_model):
    dist, door_open = kiosk.verify(SEED / "camera_0.jpg", "younes", database, keras_model)
    assert dist == pytest.approx(0.60198, abs=1e-4)
    assert door_open is True


def test_verify_benoit_with_kians_card_stays_shut(database, keras_model):
    dist, door_open = kiosk.verify(SEED / "camera_2.jpg", "kian", database, keras_model)
    assert dist == pytest.approx(1.01300, abs=1e-4)
    assert door_open is False


def test_who_is_it_finds_younes_at_zero(database, keras_model):
    min_dist, identity = kiosk.who_is_it(SEED / "younes.jpg", database, keras_model)
    assert identity == "younes"
    assert min_dist == pytest.approx(0.0, abs=1e-6)


def test_who_is_it_says_not_in_database_for_a_stranger(keras_model):
    database = {"younes": kiosk.img_to_encoding(SEED / "younes.jpg", keras_model)}
    min_dist, identity = kiosk.who_is_it(SEED / "camera_2.jpg", database, keras_model)
    assert min_dist > 0.7
    assert identity == "not in the database"


@pytest.mark.parametrize("y_pred, alpha, expected", [
    (([1.0, 1.0], [1.0, 1.0], [1.0, 1.0]), 5, 5.0),
    (([1.0, 1.0], [1.0, 1.0], [0.0, 0.0]), 3, 1.0),
    (([[1.0, 1.0]], [[0.0, 0.0]], [[1.0, 1.0]]), 0, 2.0),
    (([0.0, 0.0], [0.0, 0.0], [0.0, 0.0]), -2, 0.0),
    (([[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]), 3, 2.0),
    (([[1.0, 1.0], [2.0, 0.0]], [[0.0, 3.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]), 1, 5.0),
])
def test_triplet_loss_matches_the_course_checks(y_pred, alpha, expected):
    assert float(kiosk.triplet_loss(None, y_pred, alpha)) == pytest.approx(expected)


def test_triplet_loss_on_128_d_batches_sums_per_example():
    rng = np.random.default_rng(0)
    a, p, n = (rng.standard_normal((4, 128)).astype(np.float32) for _ in range(3))
    expected = np.maximum(((a - p) ** 2).sum(1) - ((a - n) ** 2).sum(1) + 0.2, 0).sum()
    assert float(kiosk.triplet_loss(None, (a, p, n))) == pytest.approx(expected, rel=1e-5)
