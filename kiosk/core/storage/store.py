"""The store the front desk and the screen depend on: people, templates, log, settings.

`Store` is the interface; `SqliteStore` (one file, one kiosk) implements it, and a server
backend for several kiosks can implement it without touching the front desk. `open_store`
chooses the backend from the settings.

Conventions: times are aware datetimes (a naive one passed in is local time); templates are
float32 unit vectors of shape ``(dim,)`` recorded with the ``model_id`` that made them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from kiosk.core.base.types import AccessEvent, Person


class TemplateInfo(NamedTuple):
    template_id: int
    created_at: datetime
    source: str | None


class Store(Protocol):
    """Every method is thread-safe; every write is one transaction (all or nothing)."""

    path: Path  # where it lives, for messages

    def close(self) -> None: ...
    def __enter__(self) -> "Store": ...
    def __exit__(self, *exc_info: object) -> None: ...

    def revision(self) -> int:
        """A number that changes whenever people or templates change, from any process."""

    # people
    def add_person(self, name: str, employee_id: str | None = None) -> Person: ...
    def find_person(self, name_or_id: str) -> Person: ...
    def people(self, model_id: str | None = None) -> list[Person]: ...
    def rename(self, name_or_id: str, new_name: str) -> Person: ...
    def set_employee_id(self, name_or_id: str, employee_id: str | None) -> Person: ...
    def remove(self, name_or_id: str) -> Person: ...

    # templates
    def enrol(self, name: str, embeddings: Sequence[np.ndarray], *, model_id: str,
               employee_id: str | None = None, sources: Sequence[str] | None = None,
               digests: Sequence[str | None] | None = None) -> Person: ...
    def templates(self, model_id: str, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
    def template_digests(self, name_or_id: str) -> set[str]: ...
    def foreign_template_count(self, model_id: str) -> int: ...
    def person_templates(self, person_id: int) -> list[TemplateInfo]: ...
    def remove_template(self, template_id: int) -> None: ...

    # access log
    def log_event(self, mode: str, *, claimed: str | None, identity: str | None,
                  accepted: bool, distance: float | None, person_id: int | None = None,
                  template_id: int | None = None, detail: str = "",
                  time: datetime | None = None) -> AccessEvent: ...
    def events(self, *, since: datetime | None = None, person: str | None = None,
               accepted: bool | None = None, limit: int | None = None) -> list[AccessEvent]: ...

    # key/value settings (JSON values)
    def get_setting(self, key: str, default: Any = None) -> Any: ...
    def set_settings(self, values: Mapping[str, Any]) -> None: ...


def open_store(settings, *, read_only: bool = False) -> Store:
    """The store the settings name (today: the SQLite file in the data folder).

    ``read_only`` opens it without writing anything (commands that only look)."""
    from kiosk.core.storage.sqlite import SqliteStore

    return SqliteStore.open(settings.database_path, read_only=read_only)
