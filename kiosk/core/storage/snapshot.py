"""The gallery snapshot a kiosk decides from while its server is unreachable.

After every gallery load from the server, `GallerySnapshot.save` writes the model's templates
and everyone's person record to one file in the data folder: ``gallery-<key>.npz`` (numpy's
zip, CRC-checked on reading), 0600, written under a temporary name and renamed into place so
that a crash leaves the old snapshot or the new one, never a part. ``<key>`` hashes the
server URL and the model id, so a kiosk pointed at another server never uses the old one's
faces. A damaged or missing snapshot means an empty gallery: nobody is let in offline.

`SettingsCopy` does the same for the store's settings (the admin PIN's hash and lockout):
``settings-<key>.json`` keeps every value the kiosk last read from or wrote to the server, so
that a kiosk restarted during an outage still knows its PIN. A damaged or missing copy knows
no PIN: a full-screen kiosk then does not start until the server is back.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import zipfile
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from kiosk.core.base.types import Person
from kiosk.core.storage.codec import now

log = logging.getLogger("kiosk.core.storage")


@dataclass(frozen=True)
class Snapshot:
    """``embeddings`` (N, dim) float32, ``template_ids`` and ``person_ids`` (N,) int64."""

    model_id: str
    embeddings: np.ndarray
    template_ids: np.ndarray
    person_ids: np.ndarray
    people: tuple[Person, ...]
    saved_at: datetime

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.embeddings, self.template_ids, self.person_ids


class GallerySnapshot:
    """The snapshots of one server in ``folder``, one per model; the latest kept in memory."""

    def __init__(self, folder: Path, url: str):
        self.folder = Path(folder)
        self.url = url
        self._lock = threading.Lock()
        self._cache: dict[str, Snapshot | None] = {}
        self.latest: Snapshot | None = None  # the last one saved or loaded, any model

    def file(self, model_id: str) -> Path:
        key = hashlib.sha256(f"{self.url}\n{model_id}".encode()).hexdigest()[:16]
        return self.folder / f"gallery-{key}.npz"

    def save(self, model_id: str, arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
             people: list[Person]) -> None:
        """Replace the snapshot of ``model_id`` (errors are logged: the kiosk goes on)."""
        snapshot = Snapshot(model_id, *arrays, tuple(people), now())
        with self._lock:
            try:
                _write_private(self.file(model_id), _encode(snapshot, self.url))
            except OSError as exc:
                log.warning("the offline snapshot %s cannot be written: %s", self.file(model_id), exc)
            self._cache[model_id] = self.latest = snapshot

    def load(self, model_id: str) -> Snapshot | None:
        """The snapshot of ``model_id``, or None (missing, damaged or of another server)."""
        with self._lock:
            if model_id not in self._cache:
                self._cache[model_id] = self._read(model_id)
            if self._cache[model_id] is not None:
                self.latest = self._cache[model_id]
            return self._cache[model_id]

    def _read(self, model_id: str) -> Snapshot | None:
        path = self.file(model_id)
        if not path.exists():
            log.warning("no offline snapshot for %s yet: nobody can be let in offline", model_id)
            return None
        try:
            return _decode(path.read_bytes(), self.url, model_id)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.error("the offline snapshot %s is damaged (%s): nobody can be let in offline",
                      path, exc)
            return None


class SettingsCopy:
    """The server's settings as this kiosk last saw them, in ``folder`` (0600, atomic)."""

    def __init__(self, folder: Path, url: str):
        key = hashlib.sha256(f"{url}\nsettings".encode()).hexdigest()[:16]
        self.file = Path(folder) / f"settings-{key}.json"
        self.url = url
        self._lock = threading.Lock()
        self._values: dict | None = None  # read on first use

    def get(self, key: str, default: object = None) -> object:
        with self._lock:
            return self._loaded().get(key, default)

    def update(self, values: dict) -> None:
        """Merge ``values`` (None: forget the key); the file is rewritten only on a change."""
        with self._lock:
            merged = {k: v for k, v in (self._loaded() | dict(values)).items() if v is not None}
            if merged == self._values:
                return
            try:
                _write_private(self.file, json.dumps({"url": self.url, "settings": merged}).encode())
            except OSError as exc:
                log.warning("the offline settings copy %s cannot be written: %s", self.file, exc)
            self._values = merged

    def _loaded(self) -> dict:
        if self._values is None:
            self._values = self._read()
        return self._values

    def _read(self) -> dict:
        if not self.file.exists():
            return {}
        try:
            data = json.loads(self.file.read_text())
            if data["url"] != self.url or not isinstance(data["settings"], dict):
                raise ValueError("made for another server")
            return data["settings"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("the offline settings copy %s is damaged (%s): no admin PIN offline", self.file, exc)
            return {}


def _encode(snapshot: Snapshot, url: str) -> bytes:
    header = {"url": url, "model_id": snapshot.model_id, "saved_at": snapshot.saved_at.isoformat(),
              "people": [_person_dict(p) for p in snapshot.people]}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.frombuffer(json.dumps(header).encode(), np.uint8),
             embeddings=snapshot.embeddings.astype(np.float32),
             template_ids=snapshot.template_ids.astype(np.int64),
             person_ids=snapshot.person_ids.astype(np.int64))
    return buffer.getvalue()


def _decode(data: bytes, url: str, model_id: str) -> Snapshot:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        header = json.loads(npz["header"].tobytes())
        if header["url"] != url or header["model_id"] != model_id:
            raise ValueError("made for another server or model")
        people = tuple(_person(p) for p in header["people"])
        return Snapshot(model_id, npz["embeddings"].astype(np.float32),
                        npz["template_ids"].astype(np.int64), npz["person_ids"].astype(np.int64),
                        people, datetime.fromisoformat(header["saved_at"]))


def _person_dict(person: Person) -> dict:
    values = asdict(person)
    for key in ("created_at", "valid_from", "valid_until"):
        values[key] = values[key].isoformat() if values[key] is not None else None
    return values


def _person(values: dict) -> Person:
    values = dict(values)
    values["created_at"] = values["created_at"] and datetime.fromisoformat(values["created_at"])
    for key in ("valid_from", "valid_until"):
        values[key] = values[key] and date.fromisoformat(values[key])
    return Person(**values)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only (0600 from birth)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
