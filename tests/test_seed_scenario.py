"""The product's acceptance scenario (../shared/testdata/README.md) with the product's own
pipeline and default thresholds: enrol the 12 staff, then every line of the table holds."""
import numpy as np
import pytest

from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.frontdesk.service import KioskService
from kiosk.core.storage.sqlite import Store
from tests.conftest import SEED, STAFF, seed_photo


@pytest.fixture(scope="module")
def service(engine, settings, tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("seed") / "kiosk.sqlite3")
    service = KioskService(store, engine, settings)
    for name in STAFF:
        service.enroll_files(name, [seed_photo(name)], employee_id=f"E-{name}")
    yield service
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
def test_verify_table(service, probe, claim, accepted):
    outcome = service.verify_image(camera(probe), claim)
    assert outcome.match is not None, "no face found"
    assert outcome.match.accepted is accepted, f"distance {outcome.match.distance:.3f}"
    assert outcome.match.threshold == service.settings.verify_threshold


def test_verify_by_employee_id(service):
    outcome = service.verify_image(camera(0), "E-younes")
    assert outcome.person.name == "younes" and outcome.match.accepted


@pytest.mark.parametrize("probe, who", [(0, "younes"), (1, "bertrand"), (2, "benoit"),
                                        (3, "bertrand"), (4, "dan"), (5, "arnaud")])
def test_recognize_names_every_probe(service, probe, who):
    result, = service.identify_image(camera(probe))
    assert result.match.accepted and result.match.name == who, f"{result.match}"


def test_enrolled_photo_is_its_own_nearest_at_zero(service):
    result, = service.identify_image(read_image_rgb(seed_photo("younes")), log_events=False)
    assert result.match.name == "younes"
    assert result.match.distance == pytest.approx(0.0, abs=1e-3)


def test_stranger_is_not_in_the_database(engine, settings, tmp_path):
    """Benoit at the door when only the others are enrolled: nobody's name is given."""
    store = Store.open(tmp_path / "kiosk.sqlite3")
    service = KioskService(store, engine, settings)
    for name in STAFF:
        if name != "benoit":
            service.enroll_files(name, [seed_photo(name)])
    result, = service.identify_image(camera(2))
    assert result.match.accepted is False
    store.close()


def test_every_decision_is_logged(service):
    before = len(service.store.events())
    service.verify_image(camera(2), "kian")
    service.identify_image(camera(5))
    newest = service.store.events(limit=2)
    assert len(service.store.events()) == before + 2
    assert (newest[0].mode, newest[0].identity, newest[0].accepted) == ("recognize", "arnaud", True)
    assert (newest[1].mode, newest[1].claimed, newest[1].accepted) == ("verify", "kian", False)


@pytest.mark.parametrize("probe, claim", [(0, "younes"), (2, "kian")], ids=["accepted", "refused"])
def test_a_photo_and_the_screen_log_the_same_line_for_the_same_match(service, probe, claim):
    """`kiosk verify` (the service) and the front desk (a VerifySession fed the same match)
    write identical access-log lines: one decision path for both."""
    from kiosk.core.frontdesk import decisions

    outcome = service.verify_image(camera(probe), claim)
    from_photo = service.store.events(limit=1)[0]
    session = decisions.VerifySession(claim, outcome.person, consecutive_frames=1)
    from_screen = decisions.log_decision(service.store, session.update(outcome.match))

    def line(e):
        return (e.mode, e.claimed, e.identity, e.accepted, e.distance, e.detail, e.person_id, e.template_id)

    assert line(from_photo) == line(from_screen)
    assert from_photo.accepted is (probe == 0)
