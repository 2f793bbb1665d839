"""A throw-away PostgreSQL server for the tests: one per test session, on a free port of
127.0.0.1 with its unix socket in a temporary folder, stopped and removed at the end.

It runs the machine's server programs (Debian's postgresql-15, which `make test` installs
when missing) through `kiosk.core.evaluation.pg_cluster.TempCluster`. Without them the tests
that need a server fail, saying what to install: they never skip.

Authentication: trust for ``kiosk`` (the superuser) and everyone else on 127.0.0.1, except
``PASSWORD_ROLE``, who must give ``PASSWORD`` (scram-sha-256): the wrong-password tests.

Use it with ``from tests.pg_server import pg_server, pg_url  # noqa: F401`` in a test module:
``pg_url`` is a fresh empty database per test.
"""
from __future__ import annotations

import atexit
import itertools
import re
import threading
import time

import pytest

from kiosk.core.evaluation.pg_cluster import TempCluster

PASSWORD_ROLE, PASSWORD = "kiosk_pw", "right-password"
_cluster: TempCluster | None = None
_lock = threading.Lock()
_numbers = itertools.count(1)


def cluster() -> TempCluster:
    """The session's server, started on first use."""
    global _cluster
    with _lock:
        if _cluster is None:
            _cluster = TempCluster.start(max_connections=300,
                                         password_roles={PASSWORD_ROLE: PASSWORD})
            atexit.register(stop_cluster)
        return _cluster


def stop_cluster() -> None:
    global _cluster
    with _lock:
        if _cluster is not None:
            _cluster.stop()
            _cluster = None


def fresh_database(server: TempCluster, label: str = "t") -> str:
    """A new empty database on ``server``; its URL."""
    name = re.sub(r"[^a-z0-9]+", "_", label.lower())[:40] + f"_{next(_numbers)}"
    return server.create_database(name)


@pytest.fixture(scope="session")
def pg_server():
    yield cluster()
    stop_cluster()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    return fresh_database(pg_server, request.node.name)


class TcpProxy:
    """A cuttable cable: 127.0.0.1:``port`` forwards to the server at ``target_port``; `cut`
    drops every connection and refuses new ones (a network outage for the kiosks behind it,
    while the server itself runs on), `restore` plugs it back in."""

    def __init__(self, target_port: int):
        from kiosk.core.evaluation.pg_cluster import free_port

        self.port, self.target_port = free_port(), target_port
        self._sockets: list = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self.restore()

    def url(self, server_url: str) -> str:
        return server_url.replace(f":{self.target_port}/", f":{self.port}/")

    def restore(self) -> None:
        import socket

        for _ in range(50):  # the old listener closes within its 0.1 s time-out
            try:
                listener = socket.create_server(("127.0.0.1", self.port))
                break
            except OSError:
                time.sleep(0.05)
        listener.settimeout(0.1)
        self._listening.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        import socket

        self._listening.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener) -> None:
        import socket

        with listener:
            while self._listening.is_set():
                try:
                    client, _ = listener.accept()
                except (TimeoutError, socket.timeout):
                    continue
                if not self._listening.is_set():
                    client.close()
                    break
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
                client.settimeout(None)
                with self._lock:
                    self._sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source, sink) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for sock in (source, sink):
        try:
            sock.close()
        except OSError:
            pass
