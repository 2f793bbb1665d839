"""The product's acceptance scenario (../shared/testdata/README.md) with the product's own
pipeline and default thresholds: enrol the 12 staff, then every line of the table holds."""
import copy

import numpy as np
import pytest

from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.frontdesk.desk import FrontDesk
from kiosk.core.storage.sqlite import SqliteStore
from tests.conftest import SEED, STAFF, seed_photo


def enrol_staff(desk, staff=STAFF):
    for name in staff:
        files = desk.encode_files([seed_photo(name)])
        assert not files.errors, files.errors
        desk.enrol(name, files.shots, employee_id=f"E-{name}")


@pytest.fixture(scope="module")
def desk(engine, settings, tmp_path_factory):
    store = SqliteStore.open(tmp_path_factory.mktemp("seed") / "kiosk.sqlite3")
    desk = FrontDesk(store, settings, engine=engine)
    enrol_staff(desk)
    yield desk
    store.close()


def camera(i: int) -> np.ndarray:
    return read_image_rgb(SEED / f"camera_{i}.jpg")


@pytest.mark.parametrize("probe, claim, accepted", [
    (0, "younes", True),
    (1, "bertrand", True),
    (1, "younes", False),
    (2, "kian", False),
    (3, "bertrand", True),
    (4, "dan", True),
    (5, "arnaud", True),
])
def test_verify_table(desk, probe, claim, accepted):
    verdict = desk.verify_photo(camera(probe), claim)
    assert verdict.match is not None, "no face found"
    assert verdict.match.accepted is accepted, f"distance {verdict.match.distance:.3f}"
    assert verdict.decision.accepted is accepted
    assert verdict.match.threshold == desk.settings.verify_threshold


def test_verify_by_employee_id(desk):
    verdict = desk.verify_photo(camera(0), "E-younes")
    assert verdict.person.name == "younes" and verdict.match.accepted


@pytest.mark.parametrize("probe, who", [(0, "younes"), (1, "bertrand"), (2, "benoit"),
                                        (3, "bertrand"), (4, "dan"), (5, "arnaud")])
def test_recognize_names_every_probe(desk, probe, who):
    result, = desk.identify_photo(camera(probe))
    assert result.match.accepted and result.match.name == who, f"{result.match}"


def test_enrolled_photo_is_its_own_nearest_at_zero(desk):
    result, = desk.identify_photo(read_image_rgb(seed_photo("younes")), log_it=False)
    assert result.match.name == "younes"
    assert result.match.distance == pytest.approx(0.0, abs=1e-3)


def test_stranger_is_not_in_the_database(engine, settings, tmp_path):
    """Benoit at the door when only the others are enrolled: nobody's name is given."""
    with SqliteStore.open(tmp_path / "kiosk.sqlite3") as store:
        desk = FrontDesk(store, settings, engine=engine)
        enrol_staff(desk, [name for name in STAFF if name != "benoit"])
        result, = desk.identify_photo(camera(2))
    assert result.match.accepted is False


def test_every_decision_is_logged(desk):
    before = len(desk.store.events())
    desk.verify_photo(camera(2), "kian", log_it=True)
    desk.identify_photo(camera(5), log_it=True)
    newest = desk.store.events(limit=2)
    assert len(desk.store.events()) == before + 2
    assert (newest[0].mode, newest[0].identity, newest[0].accepted) == ("recognize", "arnaud", True)
    assert (newest[1].mode, newest[1].claimed, newest[1].accepted) == ("verify", "kian", False)


@pytest.mark.parametrize("probe, claim", [(0, "younes"), (2, "kian")], ids=["accepted", "refused"])
def test_a_photo_and_the_screen_log_the_same_line_for_the_same_face(engine, settings, tmp_path,
                                                                    probe, claim):
    """`kiosk verify` (one photo) and the front-desk screen (a claim, then the same picture as
    a camera frame) write identical access-log lines: one decision path for both."""
    with SqliteStore.open(tmp_path / "kiosk.sqlite3") as store:
        photo_desk = FrontDesk(store, settings, engine=engine)
        enrol_staff(photo_desk)
        photo_desk.verify_photo(camera(probe), claim, log_it=True)
        # the screen looks for faces from the photo minimum too (by default only from 40 px:
        # these seed pictures are small), so that both see the same box
        screen = FrontDesk(store, settings.replace(mode="verify", consecutive_frames=1,
                                                   live_min_face_px=settings.min_face_px),
                           engine=copy.copy(engine))  # (the shared engine keeps its settings)
        screen.claim(claim)
        screen.step(camera(probe))
        from_screen, from_photo = store.events(limit=2)

    def line(e):
        return (e.mode, e.claimed, e.identity, e.accepted, e.distance, e.detail, e.person_id, e.template_id)

    assert line(from_photo) == line(from_screen)
    assert from_photo.accepted is (probe == 0)
