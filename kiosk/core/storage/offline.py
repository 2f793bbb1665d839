"""A kiosk through a server outage: `ResilientStore`, the `Store` a kiosk on a server uses.

It wraps the `PostgresStore` and adds what a door needs when the server cannot be reached:

- **deciding**: every gallery load from the server is also saved as a local snapshot
  (`GallerySnapshot`); while offline, ``templates``, ``people`` and ``find_person`` answer
  from it. A removal made meanwhile reaches this kiosk when it reconnects.
- **logging**: while offline, ``log_event`` commits the row to the local outbox (`Outbox`) and
  returns at once; when the server is back the rows are sent, oldest first, each exactly once
  (the uid made at the decision), and only then does the store count as online again. With
  ``offline_door_open`` off, an acceptance is queued as a refusal and ``log_event`` raises
  `ServerUnreachableError`, so the front desk keeps the door shut.
- **the admin PIN**: every setting read from or written to the server is also kept in a
  local copy (`SettingsCopy`); while offline, settings are read from it, so a kiosk restarted
  during an outage still starts in full screen and its PIN still unlocks it, and the PIN's
  lockout counters (`OFFLINE_WRITABLE_SETTINGS`) go on counting in the copy. A PIN changed on
  the server meanwhile reaches this kiosk when it reconnects.
- **admin**: changes and the other reads need the server; while offline they raise
  `ServerUnreachableError` saying so.
- **noticing**: a call that cannot reach the server takes the kiosk offline (``revision``
  reads the revision row while the listener is cut off, so a server that went away is noticed
  within the front desk's 0.5 s check). A background thread then retries every ``retry_s``.
  ``revision()`` moves on going offline and on coming back, so the gallery is reloaded.
- ``status()`` says online or offline, since when and why, and how many rows are queued.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from kiosk.core.base.errors import ServerUnreachableError, StoreError, UnknownPersonError
from kiosk.core.base.types import AccessEvent, Person
from kiosk.core.base.vocabulary import OFFLINE_WRITABLE_SETTINGS, DecisionKind, StoreKind
from kiosk.core.storage.codec import now
from kiosk.core.storage.outbox import Outbox
from kiosk.core.storage.postgres import PostgresStore
from kiosk.core.storage.queries import name_key
from kiosk.core.storage.server_url import check_store_url
from kiosk.core.storage.snapshot import GallerySnapshot, SettingsCopy
from kiosk.core.storage.sql_store import event_fields, new_event
from kiosk.core.storage.store import StoreStatus

log = logging.getLogger("kiosk.core.storage")

OUTBOX_FILE = "outbox.sqlite3"
RETRY_S = 3.0  # how often an offline kiosk tries its server again
FLUSH_BATCH = 200  # rows per server transaction when sending the outbox
ADMIN = "admin changes need it"
LOOK = "this needs it"
DOOR_SHUT = "the server is unreachable and offline_door_open is off: the door stays shut"


def _needs_server(name: str, what: str) -> Callable:
    """A method that passes through to the server, or says that the server is needed."""
    def call(self: "ResilientStore", *args: Any, **kwargs: Any) -> Any:
        return self._on_server(what, getattr(self._server, name), *args, **kwargs)

    call.__name__ = name
    call.__doc__ = f"As `Store.{name}`; needs the server ({what})."
    return call


class ResilientStore:
    """See the module's doc. Build it with `open_shared_store`."""

    def __init__(self, server: PostgresStore, snapshot: GallerySnapshot, outbox: Outbox,
                 settings_copy: SettingsCopy, *, offline_door_open: bool = True,
                 retry_s: float = RETRY_S, reason: str = ""):
        self._server, self._snapshot, self._outbox = server, snapshot, outbox
        self._settings = settings_copy
        self.url = self.path = server.url
        self.offline_door_open = offline_door_open
        self._retry_s = retry_s
        self._state = threading.RLock()
        self._flush_lock = threading.Lock()
        self._online, self._since, self._reason = not reason, None if not reason else now(), reason
        self._bumps = 0
        self._model: str | None = None  # the model the gallery was last loaded for
        self._wake, self._closing = threading.Event(), threading.Event()
        self._recovery: threading.Thread | None = None
        server.on_connection_change = self._connection_changed
        if reason:
            self._start_recovery()

    # --- lifecycle and state ------------------------------------------------------------
    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        if self._recovery is not None:
            self._recovery.join(timeout=10)
        self._server.close()
        self._outbox.close()

    def __enter__(self) -> "ResilientStore":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def online(self) -> bool:
        return self._online

    def status(self) -> StoreStatus:
        """For the admin screen: online or offline (since when, why), rows queued."""
        with self._state:
            online, since, reason = self._online, self._since, self._reason
        try:
            queued = self._outbox.count(self.url)
        except StoreError as exc:
            log.warning("the outbox cannot be read: %s", exc)
            queued = 0
        snapshot = self._snapshot.latest
        return StoreStatus(StoreKind.POSTGRESQL, self.url, online, queued, since, reason,
                           snapshot.saved_at if snapshot else None)

    def revision(self) -> int:
        """The server's change count (a local number), moved again on going offline and on
        coming back."""
        if self._online:
            try:
                return self._server.revision() + self._bumps
            except ServerUnreachableError as exc:
                self._went_offline(exc)
        return self._server.revision(poll=False) + self._bumps

    # --- the deciding path: the snapshot while offline ----------------------------------
    def templates(self, model_id: str, dim: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As `Store.templates`; every load from the server is saved as the snapshot."""
        self._model = model_id
        if self._online:
            try:
                arrays = self._server.templates(model_id, dim)
                people = self._server.people(model_id)
            except ServerUnreachableError as exc:
                self._went_offline(exc)
            else:
                self._snapshot.save(model_id, arrays, people)
                return arrays
        return self._snapshot_templates(model_id, dim)

    def people(self, model_id: str | None = None) -> list[Person]:
        return self._gallery_read(lambda: self._server.people(model_id),
                                  lambda people: list(people))

    def find_person(self, name_or_id: str) -> Person:
        return self._gallery_read(lambda: self._server.find_person(name_or_id),
                                  lambda people: _find(people, name_or_id))

    def log_event(self, mode: str, **fields: Any) -> AccessEvent:
        """As `Store.log_event`; offline, the row goes to the outbox (see the module)."""
        event = new_event(mode, **fields)  # uid and time fixed now, whenever it is sent
        if self._online:
            try:
                return self._server.log_event(mode, **event_fields(event))
            except ServerUnreachableError as exc:
                self._went_offline(exc)
        with self._state:
            if not self._online:
                return self._queue(event)
        return self._server.log_event(mode, **event_fields(event))  # it came back meanwhile

    def _queue(self, event: AccessEvent) -> AccessEvent:
        if event.accepted and not self.offline_door_open:
            self._outbox.put(self.url, _door_kept_shut(event))
            raise ServerUnreachableError(DOOR_SHUT)
        self._outbox.put(self.url, event)
        return event

    def _gallery_read(self, online_read: Callable, offline_read: Callable[[tuple], Any]) -> Any:
        if self._online:
            try:
                return online_read()
            except ServerUnreachableError as exc:
                self._went_offline(exc)
        snapshot = self._snapshot.load(self._model) if self._model else self._snapshot.latest
        return offline_read(snapshot.people if snapshot is not None else ())

    def _snapshot_templates(self, model_id: str, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        snapshot = self._snapshot.load(model_id)
        if snapshot is None or (len(snapshot.embeddings) and snapshot.embeddings.shape[1] != dim):
            return np.zeros((0, dim), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64)
        return snapshot.arrays

    # --- settings: the local copy while offline ----------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        """As `Store.get_setting`; from the server, kept in the copy; offline, from the copy."""
        if self._online:
            try:
                value = self._server.get_setting(key)
            except ServerUnreachableError as exc:
                self._went_offline(exc)
            else:
                self._settings.update({key: value})
                return default if value is None else value
        return self._settings.get(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        self.set_settings({key: value})

    def set_settings(self, values: dict[str, Any]) -> None:
        """As `Store.set_settings`, kept in the copy too; offline, only the PIN's lockout
        counters may be written, to the copy alone (they are not sent later)."""
        if not self._online and set(values) <= OFFLINE_WRITABLE_SETTINGS:
            self._settings.update(values)
            return
        self._on_server(ADMIN, self._server.set_settings, values)
        self._settings.update(values)

    # --- everything else needs the server -----------------------------------------------
    add_person = _needs_server("add_person", ADMIN)
    update_person = _needs_server("update_person", ADMIN)
    remove = _needs_server("remove", ADMIN)
    enrol = _needs_server("enrol", ADMIN)
    remove_template = _needs_server("remove_template", ADMIN)
    purge_events = _needs_server("purge_events", ADMIN)
    template_digests = _needs_server("template_digests", LOOK)
    person_templates = _needs_server("person_templates", LOOK)
    foreign_template_count = _needs_server("foreign_template_count", LOOK)
    events = _needs_server("events", LOOK)
    backup = _needs_server("backup", LOOK)

    def _on_server(self, what: str, method: Callable, *args: Any, **kwargs: Any) -> Any:
        if not self._online:
            self._wake.set()  # try again now: it may be back already
            raise ServerUnreachableError(self._unreachable(what))
        try:
            return method(*args, **kwargs)
        except ServerUnreachableError as exc:
            self._went_offline(exc)
            raise ServerUnreachableError(self._unreachable(what)) from exc

    def _unreachable(self, what: str) -> str:
        return f"the server {self.url} is unreachable ({self._reason}): {what}; try again when it is back"

    # --- going offline and coming back --------------------------------------------------
    def flush(self) -> int:
        """Send the rows queued for this server, oldest first, each once; how many."""
        sent = 0
        with self._flush_lock:
            while batch := self._outbox.peek(self.url, FLUSH_BATCH):
                self._server.append_events([event for _, event in batch])
                self._outbox.delete([seq for seq, _ in batch])
                sent += len(batch)
        if sent:
            log.info("sent %d queued access-log rows to %s", sent, self.url)
        return sent

    def _went_offline(self, exc: Exception) -> None:
        with self._state:
            if self._online:
                self._online, self._since = False, now()
                self._bumps += 1  # reload the gallery: from the snapshot now
                log.warning("the store server is unreachable, deciding from the snapshot: %s", exc)
            self._reason = _short(exc)
        self._start_recovery()

    def _connection_changed(self, connected: bool, reason: str) -> None:
        """The listener's news. Back: try the server now. Lost: the next call finds out
        whether the server is gone (meanwhile `revision` reads the revision row)."""
        if connected:
            self._wake.set()
        else:
            log.info("not hearing the server's change notifications: %s", reason)

    def _start_recovery(self) -> None:
        with self._state:
            if self._closing.is_set() or (self._recovery is not None and self._recovery.is_alive()):
                return
            self._recovery = threading.Thread(target=self._recover, name="kiosk-store-recovery",
                                              daemon=True)
            self._recovery.start()

    def _recover(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(self._retry_s)
            self._wake.clear()
            if self._closing.is_set() or self._back():
                return

    def _back(self) -> bool:
        """Online again if the server answers and every queued row is sent."""
        try:
            self._server.ping()
            for _ in range(10):  # rows may be queued while sending: send them too
                self.flush()
                with self._state:
                    if self._outbox.count(self.url) == 0:
                        self._online, self._since, self._reason = True, None, ""
                        self._bumps += 1  # reload the gallery: from the server now
                        log.info("the store server %s is back", self.url)
                        return True
        except StoreError as exc:
            with self._state:
                self._reason = _short(exc)
        return False


def open_shared_store(settings, *, read_only: bool = False, offline_ok: bool = True,
                      retry_s: float = RETRY_S) -> ResilientStore:
    """The store on the server ``settings.store`` names, with this kiosk's snapshot and
    outbox in its data folder; what is queued is sent first. ``offline_ok``: a server that
    cannot be reached now is no error (see `open_store`)."""
    url = check_store_url(settings.store)
    data = Path(settings.data_path)
    snapshot, outbox, copy = GallerySnapshot(data, url), Outbox(data / OUTBOX_FILE), SettingsCopy(data, url)
    try:
        server = PostgresStore.open(url, read_only=read_only, retry_s=retry_s)
    except ServerUnreachableError as exc:
        outbox.close()
        if not offline_ok:
            raise
        log.warning("the store server cannot be reached: starting from the snapshot (%s)", exc)
        return ResilientStore(PostgresStore.later(url, read_only=read_only, retry_s=retry_s),
                              snapshot, Outbox(data / OUTBOX_FILE), copy, retry_s=retry_s,
                              offline_door_open=settings.offline_door_open, reason=_short(exc))
    store = ResilientStore(server, snapshot, outbox, copy, retry_s=retry_s,
                           offline_door_open=settings.offline_door_open)
    try:
        store.flush()
    except ServerUnreachableError as exc:
        if not offline_ok:
            store.close()
            raise
        store._went_offline(exc)
    return store


def _find(people: tuple[Person, ...], name_or_id: str) -> Person:
    """`Store.find_person` over the snapshot: a name (any case) first, then an employee id."""
    key, text = name_key(str(name_or_id)), str(name_or_id).strip().lower()
    for match in (lambda p: name_key(p.name) == key, lambda p: (p.employee_id or "").lower() == text):
        found = [p for p in people if match(p)]
        if found and text:
            return found[0]
    raise UnknownPersonError(f"no enrolled person called {name_or_id!r} (name or employee id)")


def _door_kept_shut(event: AccessEvent) -> AccessEvent:
    """An acceptance that could not open the door (offline, offline_door_open off), as logged."""
    return replace(event, accepted=False, kind=str(DecisionKind.NOT_LOGGED), identity=None,
                   person_id=None, template_id=None, employee_id=None,
                   detail=f"offline, door kept shut (offline_door_open is off); was: {event.kind}"
                          f" {event.detail}".strip())


def _short(exc: Exception) -> str:
    """The cause in a few words, for the status line and messages."""
    reason = getattr(exc, "reason", "") or str(exc)
    return (reason.strip().splitlines() or [type(exc).__name__])[0]

