"""What the front desk computes for a live frame: the claimed-face check and boxes only."""
import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.frontdesk import live
from kiosk.core.recognition.matching import Gallery
from tests.ui_helpers import card_frame


def rgb(frame_bgr):
    return np.ascontiguousarray(frame_bgr[..., ::-1])


@pytest.fixture(scope="module")
def engine():
    return fakes.FakeEngine()


def gallery_of(engine, **people):
    """people: name=colour; person ids 1.."""
    names, rows = {}, []
    for pid, (name, colour) in enumerate(people.items(), start=1):
        names[pid] = name
        frame_rgb = rgb(card_frame((colour, (250, 130, 150, 180))))
        rows.append(engine.embed(frame_rgb, engine.detect(frame_rgb))[0])
    ids = list(range(1, len(rows) + 1))
    return Gallery.from_arrays(np.stack(rows), ids, ids, names)


TWO = (("red", (40, 40, 200, 220)), ("blue", (400, 60, 100, 120)))


def test_the_largest_face_is_checked_against_the_claim(engine):
    gallery = gallery_of(engine, alice="red", bob="blue")
    frame_rgb = rgb(card_frame(*TWO))
    as_bob = live.check_claim(engine, frame_rgb, gallery, 2, threshold=1.0)
    as_alice = live.check_claim(engine, frame_rgb, gallery, 1, threshold=1.0)
    assert not as_bob.match.accepted and as_alice.match.accepted
    assert as_alice.match.threshold == 1.0
    nobody = live.check_claim(engine, rgb(card_frame()), gallery, 1, threshold=1.0)
    assert nobody.match is None and nobody.analysis.faces == ()


def test_a_claim_embeds_only_the_largest_face_and_never_searches_1_to_n(engine, monkeypatch):
    gallery = gallery_of(engine, alice="red", bob="blue")
    embedded = []
    embed = engine.embed
    monkeypatch.setattr(engine, "embed", lambda image, faces: embedded.append(len(faces)) or embed(image, faces))
    monkeypatch.setattr(type(gallery), "identify", lambda *a: pytest.fail("verify must not identify"))
    claimed = live.check_claim(engine, rgb(card_frame(*TWO)), gallery, 1, threshold=1.0)
    assert embedded == [1] and claimed.match.accepted
    faces = claimed.analysis.faces
    assert faces[0].embedding is not None and faces[1].embedding is None
    assert claimed.analysis.detect_ms >= 0 and claimed.analysis.embed_ms >= 0


def test_boxes_only_embeds_nothing(engine, monkeypatch):
    monkeypatch.setattr(engine, "embed", lambda *a: pytest.fail("nothing to embed"))
    analysis = live.boxes_only(engine, rgb(card_frame(*TWO)))
    assert len(analysis.faces) == 2 and all(f.match is None for f in analysis.faces)
