"""The gallery the front desk matches against, and noticing when the store changes."""
import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.base.types import PersonChange
from kiosk.core.frontdesk.gallery import GalleryWatch, load_gallery
from kiosk.core.storage.sqlite import SqliteStore


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path):
    with SqliteStore.open(tmp_path / "kiosk.sqlite3") as opened:
        fakes.enrol_cards(opened, {"Alice": "red"}, {"Alice": "E-1"})
        yield opened


def test_load_gallery_has_names_ids_and_only_the_model_in_use(store):
    store.enrol("Alice", [np.eye(1, 512, 3, dtype=np.float32)[0]], model_id="another-model")
    gallery = load_gallery(store, fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)
    assert len(gallery) == 1 and gallery.model_id == fakes.FAKE_MODEL_ID
    person_id = int(gallery.person_ids[0])
    assert gallery.names[person_id] == "Alice" and gallery.employee_ids[person_id] == "E-1"


def test_every_change_to_people_or_templates_moves_the_revision(store):
    seen = [store.revision()]
    fakes.enrol_cards(store, {"Bob": "blue"})
    seen.append(store.revision())
    store.update_person("Bob", PersonChange(name="Robert"))
    seen.append(store.revision())
    store.log_event("recognize", claimed=None, identity=None, accepted=False, distance=None)
    seen.append(store.revision())  # the access log is not the gallery
    store.remove("Robert")
    seen.append(store.revision())
    assert seen[0] < seen[1] < seen[2] == seen[3] < seen[4]


def test_the_watch_reloads_only_on_a_change_and_at_most_every_check_interval(store):
    clock = Clock()
    watch = GalleryWatch(store, check_s=0.5, clock=clock)
    assert not watch.refresh() and len(watch.gallery) == 0  # no model chosen yet
    watch.use_model(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)
    assert watch.refresh() and len(watch.gallery) == 1
    assert not watch.refresh(now=True)  # nothing changed
    fakes.enrol_cards(store, {"Bob": "blue"})
    clock.now += 0.2
    assert not watch.refresh() and len(watch.gallery) == 1  # not looked yet
    clock.now += 0.4
    assert watch.refresh() and len(watch.gallery) == 2
