"""Hearing of gallery changes from the server: LISTEN on a connection and thread of its own.

Every commit that changes people or templates sends ``NOTIFY kiosk_gallery`` (see
:mod:`kiosk.core.storage.postgres_schema`). `GalleryListener` counts what it hears, so
``revision()`` is a local number, never a query: the front desk may ask it every 0.5 s, and
a change reaches it as soon as the notification does. The count also moves when the
connection is lost and when it is back (a change may have been missed meanwhile), so the
gallery is reloaded then; while it is lost, it retries every ``retry_s``.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from kiosk.core.storage.postgres_schema import CHANNEL

log = logging.getLogger("kiosk.core.storage")

POLL_S = 0.25  # how often the thread looks up from waiting (to notice close())


class GalleryListener:
    """``connect()`` makes an autocommit connection (or raises a StoreError);
    ``on_state(connected, reason)`` hears when the connection is lost or back."""

    def __init__(self, connect: Callable[[], object], *, retry_s: float = 2.0,
                 on_state: Callable[[bool, str], None] | None = None):
        self._connect = connect
        self._retry_s = retry_s
        self._on_state = on_state or (lambda connected, reason: None)
        self._count = 0
        self._count_lock = threading.Lock()
        self._stop = threading.Event()
        self._conn = None
        self._thread: threading.Thread | None = None
        self.connected = False

    @property
    def count(self) -> int:
        return self._count

    def start(self) -> None:
        """Listen now (the first attempt here, so that no change after it is missed), then
        in the background."""
        self._conn = self._listen()
        self._thread = threading.Thread(target=self._run, name="kiosk-gallery-listener",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * POLL_S + 2)
        self._close_connection()

    # --- the thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            if self._conn is None:
                if self._stop.wait(self._retry_s):
                    break
                self._conn = self._listen()
                continue
            self._wait_for_notifications()
        self._close_connection()

    def _wait_for_notifications(self) -> None:
        import psycopg

        try:
            for _ in self._conn.notifies(timeout=POLL_S):
                self._bump()
        except psycopg.Error as exc:
            self._lost(_reason(exc))

    def _listen(self):
        """A connection LISTENing on the channel, or None (and the state says why)."""
        try:
            conn = self._connect()
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:  # a StoreError, or psycopg's after connecting: retried later
            self._set_state(False, _reason(exc))
            return None
        self._bump()  # changes may have happened while not listening
        self._set_state(True, "")
        return conn

    def _lost(self, reason: str) -> None:
        self._close_connection()
        self._bump()
        self._set_state(False, reason)

    def _set_state(self, connected: bool, reason: str) -> None:
        changed = connected != self.connected
        self.connected = connected
        if changed:
            try:
                self._on_state(connected, reason)
            except Exception:  # a listener's callback must not end the thread
                log.exception("gallery listener callback failed")

    def _bump(self) -> None:
        with self._count_lock:
            self._count += 1

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection may complain; it is closed
                pass


def _reason(exc: Exception) -> str:
    """The cause in a few words: a StoreError's ``reason``, or the first line of the message."""
    text = getattr(exc, "reason", "") or str(exc)
    return (text.strip().splitlines() or ["connection lost"])[0]
