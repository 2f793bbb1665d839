"""`kiosk store copy --to URL`: move a site's SQLite store onto a server, for several kiosks.

Everything in the file goes: people, templates, the access log and the stored settings (the
admin PIN among them), with their ids, so log rows still point at their people. The server
database must be empty (a fresh ``createdb``); the schema is made there first. The copy is
one transaction that counts every table on both sides before it commits: a difference rolls
it all back. The file is only read, and stays as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.core.base.errors import StoreError
from kiosk.core.storage.postgres_schema import ADMIN_LOCK, connect, prepare, server_errors
from kiosk.core.storage.schema import open_read_only, sqlite_errors
from kiosk.core.storage.server_url import check_store_url

COLUMNS = {  # parents before children
    "people": "id, name, name_key, employee_id, created_at, enabled, valid_from, valid_until",
    "templates": "id, person_id, embedding, dim, model_id, created_at, source, content_sha256",
    "events": "id, time, mode, claimed, identity, person_id, template_id, accepted, distance,"
              " detail, kind, source, kiosk, employee_id, uid",
    "settings": "key, value",
}
IDENTITIES = ("people", "templates", "events")


@dataclass(frozen=True)
class CopyReport:
    source: Path
    target: str
    counts: dict[str, int]  # table -> rows, the same in the file and on the server

    def summary(self) -> str:
        rows = ", ".join(f"{n} {table}" for table, n in self.counts.items())
        return (f"copied {self.source} to {self.target}: {rows} (counts checked on both sides)\n"
                f"point every kiosk at it: --store {self.target} (or KIOSK_STORE)")


def copy_to_server(source: Path, url: str) -> CopyReport:
    """Copy the SQLite store at ``source`` into the empty server database at ``url``."""
    url, source = check_store_url(url), Path(source)
    if not source.is_file():
        raise StoreError(f"there is no store at {source} to copy")
    file = open_read_only(source, timeout_s=2.0)  # refuses a damaged, older or newer file
    try:
        conn = connect(url, statement_timeout_ms=0)
        try:
            prepare(conn, url)
            with server_errors(url, conn):
                counts = _copy(file, conn, source, url)
        finally:
            conn.close()
    finally:
        file.close()
    return CopyReport(source, url, counts)


def _copy(file, conn, source: Path, url: str) -> dict[str, int]:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADMIN_LOCK,))
        _check_empty(conn, url)
        for table, columns in COLUMNS.items():
            _copy_table(file, conn, table, columns, source)
        for table in IDENTITIES:  # new rows continue after the copied ids
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                         f" COALESCE(max(id), 1), max(id) IS NOT NULL) FROM {table}")
        return _checked_counts(file, conn, source)


def _check_empty(conn, url: str) -> None:
    found = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COLUMNS}
    if any(found.values()):
        rows = ", ".join(f"{n} {table}" for table, n in found.items() if n)
        raise StoreError(f"the server database {url} is not empty ({rows}): copy only into a new"
                         " database (createdb …)")


def _copy_table(file, conn, table: str, columns: str, source: Path) -> None:
    """COPY the file's rows of ``table`` (SQLite's 0/1 are valid booleans in COPY's text)."""
    with sqlite_errors(source):
        rows = file.execute(f"SELECT {columns} FROM {table} ORDER BY rowid")
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _checked_counts(file, conn, source: Path) -> dict[str, int]:
    counts = {}
    for table in COLUMNS:
        with sqlite_errors(source):
            here = file.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        there = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if here != there:
            raise StoreError(f"copying {table} went wrong ({here} rows in {source}, {there} on the"
                             " server): nothing was copied")
        counts[table] = here
    return counts
