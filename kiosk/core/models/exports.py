"""Model files this program builds itself (LiteRT exports), checked by sha256 at every load.

When an export is built, its sha256 is recorded in ``exports.json`` beside it. `checked`
refuses a file whose bytes changed since (a damaged disk, a planted file): it never runs,
and the message says how to rebuild it. A file with no record (an older cache, a record
deleted) is not trusted either: `build_once` replaces it with a fresh build.
"""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Callable

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.files import sha256_of, write_atomically

log = logging.getLogger(__name__)

MANIFEST_NAME = "exports.json"
REBUILD_HINT = "delete it and run `kiosk weights fetch` to rebuild it"
_LOCK = threading.Lock()  # one manifest update at a time within this process


def recorded(folder: Path) -> dict[str, str]:
    """{file name: sha256} of the exports built in ``folder`` ({} when none)."""
    path = Path(folder) / MANIFEST_NAME
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise WeightsError(f"the export record {path} is unreadable ({exc}); delete it and the"
                           " exports beside it, then run `kiosk weights fetch`") from exc
    return {str(k): str(v) for k, v in entries.items()}


def checked(path: Path) -> Path:
    """``path`` if its sha256 is the one recorded when it was built, else WeightsError."""
    if not path.is_file():
        raise WeightsError(f"the model file {path} is missing; run `kiosk weights fetch`")
    expected = recorded(path.parent).get(path.name)
    if expected is None:
        raise WeightsError(f"{path} was not built by this program (no sha256 recorded in"
                           f" {MANIFEST_NAME}); {REBUILD_HINT}")
    actual = sha256_of(path)
    if actual != expected:
        raise WeightsError(f"{path} has changed since it was built (sha256 {actual[:12]}…,"
                           f" recorded {expected[:12]}…); {REBUILD_HINT}")
    return path


def build_once(path: Path, build: Callable[[], bytes]) -> Path:
    """The checked export at ``path``; built and recorded first when missing or unrecorded."""
    if not path.exists() or path.name not in recorded(path.parent):
        if path.exists():
            log.warning("%s has no recorded sha256: building it again", path.name)
        log.info("building %s, once", path.name)
        save(path, build())
    return checked(path)


def save(path: Path, data: bytes) -> Path:
    """Write an export atomically and record its sha256."""
    write_atomically(path, data)
    with _LOCK:
        entries = recorded(path.parent) | {path.name: sha256_of(path)}
        manifest = path.parent / MANIFEST_NAME
        write_atomically(manifest, (json.dumps(entries, indent=2, sort_keys=True) + "\n").encode())
    return path


def verify_recorded(folder: Path) -> list[Path]:
    """Every export recorded in ``folder``, each checked (WeightsError at the first bad one)."""
    return [checked(Path(folder) / name) for name in sorted(recorded(folder))]
