"""The store on a PostgreSQL server, shared by several kiosks (psycopg 3).

The same operations, checks and messages as the SQLite store (both are a `SqlStore`); what
differs is the plumbing. Autocommit connections, each behind a lock and made again when
lost: one for deciding (reads and log rows), one for admin writes (opened on the first), so a
door never waits behind an admin. Every admin write is one transaction that first takes an
advisory lock, so admin writes from many kiosks run one after the other as they do on SQLite
(and never deadlock); a log row is one INSERT … ON CONFLICT (uid) DO NOTHING, so a row sent
twice is stored once.
`revision` is a local count of the server's notifications (`GalleryListener`), started on
first use. Connection failures are `ServerUnreachableError`; `ResilientStore` (offline.py)
turns them into the kiosk's outage behaviour.

Erasure: a removal deletes and pseudonymises in one transaction, then VACUUMs people and
templates so the dead rows' space is reclaimed (the log's old row versions go at the next
autovacuum); the server's WAL archive and backups are its administrator's to age out
(README, Several entrances).
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Callable

from kiosk.core.base.errors import StoreError
from kiosk.core.base.types import AccessEvent
from kiosk.core.base.vocabulary import StoreKind
from kiosk.core.storage.postgres_listen import GalleryListener
from kiosk.core.storage.postgres_schema import ADMIN_LOCK, PgSql, connect, prepare, server_errors
from kiosk.core.storage.queries import INSERT_EVENT_SQL, event_values
from kiosk.core.storage.sql_store import SqlStore
from kiosk.core.storage.store import StoreStatus

log = logging.getLogger("kiosk.core.storage")


class PostgresStore(SqlStore):
    """The `Store` on the server at ``url``. Build it with :meth:`open` (or :meth:`later`,
    which connects on first use); safe to share between threads."""

    def __init__(self, url: str, conn=None, *, read_only: bool = False, retry_s: float = 2.0):
        super().__init__()
        self.url = self.path = url
        self._read_only = read_only
        self._retry_s = retry_s
        self._closed = False
        # Deciding (reads, log rows) and admin writes on connections of their own: a door's
        # log write never waits behind an admin transaction queued for the advisory lock.
        self._main = _Link(self, conn)
        self._admin = _Link(self)  # made on the first admin write at this kiosk
        self._listener: GalleryListener | None = None
        self._listener_lock = threading.Lock()
        self.on_connection_change: Callable[[bool, str], None] | None = None
        self._polled, self._polled_moves = None, 0  # the revision row, read while not listening

    # --- opening and closing -----------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, read_only: bool = False, retry_s: float = 2.0) -> "PostgresStore":
        """Connect, check the schema version and migrate (not ``read_only``)."""
        conn = connect(url)
        try:
            prepare(conn, url, read_only=read_only)
        except BaseException:
            conn.close()
            raise
        return cls(url, conn, read_only=read_only, retry_s=retry_s)

    @classmethod
    def later(cls, url: str, *, read_only: bool = False, retry_s: float = 2.0) -> "PostgresStore":
        """A store whose server cannot be reached now: it connects (and checks and migrates
        the schema) on first use."""
        return cls(url, None, read_only=read_only, retry_s=retry_s)

    def close(self) -> None:
        with self._listener_lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._closed = True
        for link in (self._main, self._admin):
            with link.lock:
                link.drop()

    def __enter__(self) -> "PostgresStore":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def status(self) -> StoreStatus:
        listener = self._listener
        online = listener.connected if listener is not None else self._main.conn is not None
        return StoreStatus(StoreKind.POSTGRESQL, self.url, online=online)

    def revision(self, *, poll: bool = True) -> int:
        """The count of gallery changes heard from the server: no query (see the module).
        While the listener is not connected (the server refused it a connection, say), the
        revision row is read instead, when ``poll``; a ServerUnreachableError then says the
        server is gone."""
        with self._listener_lock:
            if self._listener is None and not self._closed:
                self._listener = GalleryListener(lambda: connect(self.url), retry_s=self._retry_s,
                                                 on_state=self._connection_changed)
                self._listener.start()
            listener = self._listener
        if listener is None:
            return 0
        if poll and not listener.connected:
            with self._read() as conn:
                revision = conn.execute("SELECT n FROM gallery_revision").fetchone()[0]
            if revision != self._polled:
                self._polled, self._polled_moves = revision, self._polled_moves + 1
        return listener.count + self._polled_moves

    def ping(self) -> None:
        """Raise ServerUnreachableError unless the server answers now (reconnecting if need be)."""
        with self._read() as conn:
            conn.execute("SELECT 1")

    def backup(self, target) -> None:
        raise StoreError("a server store is backed up on the server: pg_dump -Fc (see README,"
                         " Several entrances)")

    # --- rows decided while this kiosk was offline ----------------------------------------
    def append_events(self, events: Sequence[AccessEvent]) -> int:
        """Store ``events`` in one transaction, each exactly once (by uid); how many were new.
        A row naming someone removed meanwhile is pseudonymised first (see `scrub_removed`)."""
        ids = sorted({e.person_id for e in events if e.person_id is not None})
        with self._append_tx() as conn:
            present = {row[0] for row in conn.execute(
                "SELECT id FROM people WHERE id = ANY(?)", (ids,)).fetchall()} if ids else set()
            stored = 0
            for event in scrub_removed(events, present):
                stored += conn.execute(INSERT_EVENT_SQL, event_values(event)).rowcount
        return stored

    # --- plumbing -----------------------------------------------------------------------
    def _connect(self):
        """A new connection, the schema checked (and migrated unless read-only)."""
        if self._closed:
            raise StoreError(f"the store {self.url} is closed")
        conn = connect(self.url)
        try:
            prepare(conn, self.url, read_only=self._read_only)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[PgSql]:
        with self._main.guarded() as conn:
            yield PgSql(conn)

    @contextlib.contextmanager
    def _tx(self) -> Iterator[PgSql]:
        """One admin write transaction, after every other kiosk's (an advisory lock)."""
        with self._admin.guarded() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADMIN_LOCK,))
            yield PgSql(conn)

    @contextlib.contextmanager
    def _append_tx(self) -> Iterator[PgSql]:
        """Log rows need no lock: they only add rows, and many kiosks add them at once."""
        with self._main.guarded() as conn, conn.transaction():
            yield PgSql(conn)

    def _after_erase(self) -> None:
        """Reclaim the dead rows of the removed faces at once, on the admin connection (VACUUM
        runs outside a transaction; this kiosk's log writes need not wait). The log's old row
        versions are left to autovacuum: vacuuming a large log takes its time."""
        try:
            with self._admin.guarded() as conn:
                conn.execute("SET statement_timeout = 0")
                try:
                    conn.execute("VACUUM people, templates")
                finally:
                    conn.execute("RESET statement_timeout")
        except StoreError as exc:
            log.warning("the removed rows could not be vacuumed now (%s); autovacuum will", exc)

    def _connection_changed(self, connected: bool, reason: str) -> None:
        if self.on_connection_change is not None:
            self.on_connection_change(connected, reason)


def scrub_removed(events: Sequence[AccessEvent], present: set[int]) -> list[AccessEvent]:
    """Rows decided offline about someone removed before they arrived: the removal's
    pseudonymisation could not reach them, so they get a pseudonym of their own here."""
    import secrets
    from dataclasses import replace

    scrubbed, pseudonyms = [], {}
    for event in events:
        if event.person_id is None or event.person_id in present:
            scrubbed.append(event)
            continue
        pseudonym = pseudonyms.setdefault(event.person_id, f"former-{secrets.token_hex(4)}")
        labels = [label for label in (event.identity, event.employee_id) if label]
        detail = event.detail
        for label in labels:
            detail = detail.replace(label, pseudonym)
        claimed = pseudonym if (event.claimed or "").lower() in {lb.lower() for lb in labels} else event.claimed
        scrubbed.append(replace(event, identity=pseudonym if event.identity else None,
                                employee_id=None, claimed=claimed, detail=detail))
    return scrubbed


class _Link:
    """One connection of a `PostgresStore` behind a lock: made on use, made again after it
    was lost; psycopg's errors on it translated (`server_errors`)."""

    def __init__(self, store: PostgresStore, conn=None):
        self._store = store
        self.conn = conn
        self.lock = threading.RLock()  # re-entrant: a method may call another holding it

    @contextlib.contextmanager
    def guarded(self) -> Iterator:
        with self.lock:
            if self.conn is None or self.conn.closed or self.conn.broken:
                self.drop()
                self.conn = self._store._connect()
            conn = self.conn
            try:
                with server_errors(self._store.url, conn):
                    yield conn
            except StoreError:
                if conn.closed or conn.broken:
                    self.drop()
                raise

    def drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
