"""The store the front desk and the screen depend on: people, templates, log, settings.

`Store` is the interface. `SqliteStore` (one file, one kiosk) implements it, and so does the
shared PostgreSQL store for several kiosks (`PostgresStore`, wrapped in `ResilientStore`,
which keeps a kiosk deciding through a server outage). `open_store` chooses the backend from
the ``store`` setting.

Conventions: times are aware datetimes (a naive one passed in is local time); templates are
float32 unit vectors of shape ``(dim,)`` recorded with the ``model_id`` that made them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from kiosk.core.base.types import AccessEvent, Person, PersonChange
from kiosk.core.base.vocabulary import StoreKind


class TemplateInfo(NamedTuple):
    template_id: int
    created_at: datetime
    source: str | None


@dataclass(frozen=True)
class StoreStatus:
    """What the admin screen says about the store (`Store.status`)."""

    kind: StoreKind
    where: str  # the file, or the server's URL (which never holds a password)
    online: bool = True  # False: the server is unreachable
    queued: int = 0  # access-log rows waiting in this kiosk's outbox for the server
    offline_since: datetime | None = None
    reason: str = ""  # why the server is unreachable, in one line
    snapshot_at: datetime | None = None  # when the gallery snapshot deciding offline was saved

    @property
    def summary(self) -> str:
        """One line for the admin screen: "online", or "offline since …; what that means"."""
        if self.online:
            return "online" + (f", sending {self.queued} queued log rows" if self.queued else "")
        since = self.offline_since.astimezone().strftime("%H:%M:%S") if self.offline_since else "?"
        snapshot = (f"the snapshot of {self.snapshot_at.astimezone():%Y-%m-%d %H:%M}"
                    if self.snapshot_at else "no snapshot (nobody can be let in)")
        return (f"offline since {since} ({self.reason}): deciding from {snapshot};"
                f" {self.queued} log rows queued; admin changes need the server")


class Store(Protocol):
    """Every method is thread-safe; every write is one transaction (all or nothing)."""

    path: Path | str  # where it lives, for messages: the file, or the server's URL

    def close(self) -> None: ...
    def __enter__(self) -> "Store": ...
    def __exit__(self, *exc_info: object) -> None: ...

    def revision(self) -> int:
        """A number that changes whenever people or templates change, from any process;
        cheap (the front desk asks every 0.5 s)."""

    def status(self) -> StoreStatus:
        """Online or offline, and how many log rows wait for the server."""

    # people
    def add_person(self, name: str, employee_id: str | None = None) -> Person: ...
    def find_person(self, name_or_id: str) -> Person: ...
    def people(self, model_id: str | None = None) -> list[Person]: ...
    def update_person(self, name_or_id: str, change: PersonChange) -> Person: ...
    def remove(self, name_or_id: str, *, keep_name_in_log: bool = False) -> Person: ...

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
                  time: datetime | None = None, kind: str = "", source: str = "screen",
                  kiosk: str = "", employee_id: str | None = None,
                  uid: str | None = None) -> AccessEvent:
        """Append one decision; a row with a ``uid`` already stored is stored once."""
    def events(self, *, since: datetime | None = None, until: datetime | None = None,
               person: str | None = None, accepted: bool | None = None,
               kiosk: str | None = None, limit: int | None = None) -> list[AccessEvent]: ...
    def purge_events(self, before: datetime) -> int: ...

    # key/value settings (JSON values)
    def get_setting(self, key: str, default: Any = None) -> Any: ...
    def set_setting(self, key: str, value: Any) -> None: ...
    def set_settings(self, values: Mapping[str, Any]) -> None: ...


def open_store(settings, *, read_only: bool = False, offline_ok: bool = True) -> Store:
    """The store ``settings.store`` names: "" = the SQLite file in the data folder; a
    ``postgresql://user@host:port/db`` URL = the server shared by several kiosks.

    ``read_only`` opens it without writing anything (commands that only look).
    ``offline_ok`` (the kiosk): a server that cannot be reached is no error; the kiosk
    decides from its last snapshot until it is back. Commands pass False: they need the
    server, and fail with one line saying why it cannot be reached.
    """
    if not settings.store.strip():
        from kiosk.core.storage.sqlite import SqliteStore

        return SqliteStore.open(settings.database_path, read_only=read_only)
    from kiosk.core.storage.offline import open_shared_store

    return open_shared_store(settings, read_only=read_only, offline_ok=offline_ok)
