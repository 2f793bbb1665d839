"""The ``store`` setting as a server address: ``postgresql://user@host:port/db[?sslmode=…]``.

Checked before anything connects, each mistake with one line that says how to fix it. A
password never goes in the URL (it would sit in shell histories, process lists and service
files): libpq finds it in ``PGPASSWORD`` or the pgpass file (``~/.pgpass``, or
``PGPASSFILE``), which is where the kiosk leaves it.
"""
from __future__ import annotations

from kiosk.core.base.errors import SettingsError

SCHEMES = ("postgresql://", "postgres://")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
EXAMPLE = "postgresql://user@host:port/database"


def check_store_url(url: str) -> str:
    """``url`` stripped, or SettingsError saying what is wrong with it."""
    text = str(url).strip()
    if not text.lower().startswith(SCHEMES):
        raise SettingsError(f"store {text!r} is neither empty (the SQLite file in the data folder)"
                            f" nor a server URL like {EXAMPLE}")
    params = url_params(text)
    if "password" in params:
        raise SettingsError("the store URL holds a password: remove it from the URL and put it in"
                            " PGPASSWORD or ~/.pgpass (see README, Several entrances)")
    if not params.get("dbname"):
        raise SettingsError(f"the store URL {text} names no database: use {EXAMPLE}")
    if params.get("sslmode", "prefer") not in SSL_MODES:
        raise SettingsError(f"the store URL's sslmode {params['sslmode']!r} is not one of"
                            f" {', '.join(SSL_MODES)}")
    return text


def url_params(url: str) -> dict[str, str]:
    """The connection parameters in ``url`` (libpq's own parser)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {key: str(value) for key, value in conninfo_to_dict(url).items()}
    except ProgrammingError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SettingsError(f"the store URL is not valid ({reason}): use {EXAMPLE}") from None


def is_loopback(url: str) -> bool:
    """True when ``url`` reaches a server on this machine (127.0.0.1, ::1 or a unix socket)."""
    params = url_params(url)
    hosts = [h.strip() for key in ("hostaddr", "host") for h in params.get(key, "").split(",")]
    return all(host in LOOPBACK or host.startswith("/") for host in hosts if host)
