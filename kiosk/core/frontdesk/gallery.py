"""The enrolled faces the front desk matches against, and noticing when they change.

`load_gallery` is the one way to build a `Gallery` from the store. `GalleryWatch` keeps the
current one and reloads it when the store's revision moved (an enrolment, a removal, a
rename — from this process or any other), checking at most every ``check_s`` seconds: a
cheap query, never a reload per frame.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from kiosk.core.recognition.matching import Gallery
from kiosk.core.storage.store import Store

log = logging.getLogger(__name__)

CHECK_S = 0.5  # a change reaches the door within this, plus one frame
EMPTY_GALLERY = Gallery.from_arrays(np.zeros((0, 0), np.float32), [], [], {})


def load_gallery(store: Store, model_id: str, dim: int) -> Gallery:
    """Every template of ``model_id`` with its person's name and employee id."""
    embeddings, template_ids, person_ids = store.templates(model_id, dim)
    people = {p.person_id: p for p in store.people()}
    names = {pid: p.name for pid, p in people.items()}
    employee_ids = {pid: p.employee_id for pid, p in people.items()}
    return Gallery.from_arrays(embeddings, template_ids, person_ids, names, employee_ids,
                               model_id, people)


class GalleryWatch:
    """The current gallery of one model, reloaded when the store changes."""

    def __init__(self, store: Store, check_s: float = CHECK_S,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.check_s = check_s
        self._clock = clock
        self._gallery = EMPTY_GALLERY
        self._revision: int | None = None
        self._checked_at = float("-inf")
        self._model: tuple[str, int] | None = None

    @property
    def gallery(self) -> Gallery:
        return self._gallery

    def use_model(self, model_id: str, dim: int) -> None:
        """Match against ``model_id``'s templates from now on (loaded at the next refresh)."""
        self._model, self._revision = (model_id, dim), None

    def refresh(self, now: bool = False) -> bool:
        """Reload if the store changed (checked at most every ``check_s``, or ``now``);
        True when a new gallery was loaded."""
        if self._model is None or (not now and self._clock() - self._checked_at < self.check_s):
            return False
        self._checked_at = self._clock()
        revision = self.store.revision()
        if revision == self._revision:
            return False
        self._gallery = load_gallery(self.store, *self._model)
        self._revision = revision
        log.info("gallery loaded: %d templates (store revision %d)", len(self._gallery), revision)
        return True
