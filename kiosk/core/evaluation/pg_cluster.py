"""A throw-away PostgreSQL server on 127.0.0.1 for the store benchmark and the tests.

It runs the server binaries of the machine (Debian's ``postgresql-15``: `find_bin_dir`) in a
fresh temporary folder: ``initdb``, then ``pg_ctl start`` on a free port with the unix socket
in that folder, durability off (it is thrown away), and ``pg_ctl stop`` + removal at the end.
``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user (which
the Debian package creates; ``nobody`` otherwise) through ``runuser``.

Authentication: trust for everyone on the socket and 127.0.0.1, except the roles given in
``password_roles``, which must log in over TCP with their password (scram-sha-256).
"""
from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.core.base.errors import KioskError

log = logging.getLogger(__name__)

SUPERUSER = "kiosk"
PREFIX = "kiosk-pg-"
TOOLS = ("initdb", "pg_ctl", "postgres")


def find_bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres: ``KIOSK_PG_BIN``, Debian's
    ``/usr/lib/postgresql/<version>/bin`` (15 first, then the newest), or the PATH."""
    candidates = [os.environ.get("KIOSK_PG_BIN"), "/usr/lib/postgresql/15/bin",
                  *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    candidates += [str(Path(found).resolve().parent) for found in [shutil.which("initdb")] if found]
    for folder in filter(None, candidates):
        if all((Path(folder) / tool).is_file() for tool in TOOLS):
            return Path(folder)
    raise KioskError("the PostgreSQL server programs (initdb, pg_ctl, postgres) are missing:"
                     " install them (apt-get install postgresql-15) or set KIOSK_PG_BIN")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TempCluster:
    """One throw-away server; `start` makes it, `stop` removes it (see the module's doc)."""

    root: Path
    port: int
    bin_dir: Path
    owner: str | None  # the user it runs as when we are root; None: ourselves
    server_options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, *, max_connections: int = 200,
              password_roles: dict[str, str] | None = None) -> "TempCluster":
        """initdb + start; ``password_roles`` {role: password} are created too."""
        owner = _owner()
        _remove_orphans()
        root = Path(tempfile.mkdtemp(prefix=PREFIX))
        (root / "creator.pid").write_text(str(os.getpid()))
        cluster = cls(root, free_port(), find_bin_dir(), owner,
                      {"max_connections": str(max_connections)})
        try:
            if owner is not None:
                shutil.chown(root, owner, owner)
            cluster._initdb(password_roles or {})
            cluster.start_server()
            cluster._create_roles(password_roles or {})
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, owner: str = SUPERUSER) -> str:
        """A new empty database owned by ``owner``; its URL (as ``owner``)."""
        self.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        return self.url(name, owner)

    def execute(self, sql: str, dbname: str = "postgres") -> list[tuple]:
        """Run one statement as the superuser, autocommit; its rows (if any)."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    # --- the server process ----------------------------------------------------------------
    def start_server(self) -> None:
        options = {"listen_addresses": "127.0.0.1", "unix_socket_directories": str(self.root),
                   "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                   "shared_buffers": "64MB", **self.server_options}
        flags = f"-p {self.port} " + " ".join(f"-c {key}={value}" for key, value in options.items())
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-t", "60", "-o", flags, "start")

    def stop_server(self) -> None:
        """Stop the server (fast: connections are cut), keeping its data for `start_server`."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def stop(self) -> None:
        """Stop the server if it runs and remove everything."""
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop_server()
            except KioskError as exc:
                log.warning("%s", exc)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- set-up ----------------------------------------------------------------------------
    def _initdb(self, password_roles: dict[str, str]) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        lines = ["local all all trust"]
        lines += [f"host all {role} 127.0.0.1/32 scram-sha-256" for role in password_roles]
        lines += ["host all all 127.0.0.1/32 trust", "host all all ::1/128 trust"]
        (self.data / "pg_hba.conf").write_text("\n".join(lines) + "\n")

    def _create_roles(self, password_roles: dict[str, str]) -> None:
        for role, password in password_roles.items():
            self.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            tail = (self.root / "server.log").read_text()[-800:] if (self.root / "server.log").exists() else ""
            raise KioskError(f"{tool} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
                             f"{' | ' + tail.strip() if tail else ''}")


def _owner() -> str | None:
    """Who runs the server: ourselves, unless we are root (initdb refuses root)."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise KioskError("running as root and there is no postgres (or nobody) user to run the"
                     " test server as")


def _remove_orphans() -> None:
    """Stop and remove the throw-away servers whose creator is gone (a killed test run)."""
    if os.name != "posix":
        return
    for root in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            creator = int((root / "creator.pid").read_text())
        except (OSError, ValueError):
            continue
        if _alive(creator):
            continue
        orphan = TempCluster(root, 0, find_bin_dir(), _owner())
        if (orphan.data / "postmaster.pid").exists():
            with contextlib.suppress(KioskError, subprocess.SubprocessError):
                orphan._run("pg_ctl", "-D", str(orphan.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
