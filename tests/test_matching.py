"""Nearest-template matching, open-set identify and 1:1 verify on known vectors."""
import numpy as np
import pytest

from kiosk.core.base.errors import ModelMismatchError, UnknownPersonError
from kiosk.core.recognition.matching import Gallery, l2_distances


def unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@pytest.fixture
def gallery():
    # person 1 has two templates (x axis and near-y); person 2 one (z axis)
    emb = unit([[1, 0, 0], [0.1, 1, 0], [0, 0, 1]])
    return Gallery.from_arrays(emb, [10, 11, 20], [1, 1, 2], {1: "ana", 2: "bo"}, {1: "E1", 2: None})


def test_l2_distance_of_unit_vectors():
    d = l2_distances(unit([[1, 0, 0]]), unit([[1, 0, 0], [0, 1, 0], [-1, 0, 0]]))
    assert d == pytest.approx(np.array([[0.0, np.sqrt(2), 2.0]]), abs=1e-6)


def test_nearest_template_wins_and_is_recorded(gallery):
    match, = gallery.identify(unit([[0, 1, 0.05]]), threshold=0.5)
    assert (match.name, match.template_id, match.employee_id, match.accepted) == ("ana", 11, "E1", True)


def test_open_set_rejects_far_probe(gallery):
    match, = gallery.identify(unit([[-1, -1, -1]]), threshold=0.5)
    assert match.accepted is False and match.distance > 0.5


def test_several_probes_at_once(gallery):
    matches = gallery.identify(unit([[1, 0, 0], [0, 0, 1]]), threshold=0.5)
    assert [m.name for m in matches] == ["ana", "bo"]


def test_verify_looks_only_at_the_claimed_person(gallery):
    probe = unit([0, 0.05, 1])  # clearly bo
    assert gallery.verify(probe, 2, 0.5).accepted is True
    claim_ana = gallery.verify(probe, 1, 0.5)
    assert claim_ana.name == "ana" and claim_ana.accepted is False


def test_verify_unknown_person(gallery):
    with pytest.raises(UnknownPersonError):
        gallery.verify(unit([1, 0, 0]), 99, 0.5)


def test_dimension_mismatch_is_refused(gallery):
    with pytest.raises(ModelMismatchError):
        gallery.identify(unit([[1, 0, 0, 0]]), 0.5)


def test_empty_gallery_names_nobody():
    empty = Gallery.from_arrays(np.zeros((0, 128)), [], [], {})
    match, = empty.identify(unit(np.ones((1, 128))), 1.0)
    assert match.name is None and match.accepted is False


def test_identify_100k_agrees_with_brute_force():
    rng = np.random.default_rng(7)
    emb = unit(rng.standard_normal((100_000, 128)))
    people = np.arange(100_000) // 4
    big = Gallery.from_arrays(emb, np.arange(100_000), people, {int(p): f"p{p}" for p in set(people)})
    probes = unit(emb[[5, 77_777]] + 0.05 * rng.standard_normal((2, 128)))
    matches = big.identify(probes, 1.0)
    brute = [int(np.argmin(np.linalg.norm(emb - p, axis=1))) for p in probes]
    assert [m.template_id for m in matches] == brute == [5, 77_777]
