"""The admin PIN: a salted scrypt hash kept in the store, and a persisted rate limit.

The PIN itself is never stored, only ``scrypt$<n>$<r>$<p>$<salt base64>$<hash base64>``.
After ``FREE_ATTEMPTS`` wrong PINs in a row the gate locks for ``FIRST_LOCK_S``, doubling
with every further wrong PIN up to ``MAX_LOCK_S``. The counters live in the store's settings,
so restarting the kiosk does not reset them, and while locked ``check`` refuses without
comparing anything. Times are wall-clock seconds (they must survive a restart).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from typing import Callable

from kiosk.core.base.errors import PinError, StoreError
from kiosk.core.base.vocabulary import SettingKey
from kiosk.core.storage.store import Store

log = logging.getLogger(__name__)

# plain text, not the enum members: psycopg writes an Enum by its name
HASH_KEY, FAILURES_KEY, LOCKED_UNTIL_KEY = (str(key) for key in (
    SettingKey.PIN_HASH, SettingKey.PIN_FAILURES, SettingKey.PIN_LOCKED_UNTIL))

FREE_ATTEMPTS = 3
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 15 * 60.0

# 64 MiB and a few hundred ms per guess: with at least 6 digits, trying every PIN against a
# copied store costs days of CPU per kiosk (a 4-digit PIN at 16 MiB fell in under a minute).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**16, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
_SCRYPT_MAXMEM = 160 * 2**20  # room above the 64 MiB needed; refuses absurd stored parameters
MIN_DIGITS, MAX_DIGITS = 6, 12
_PIN_PATTERN = re.compile(rf"[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}}")  # ASCII only: isdigit() takes '²''


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    """The storable ``scrypt$n$r$p$salt$hash`` string for ``pin`` (a fresh salt unless given);
    the parameters are stored with it, so a hash made at another cost still verifies."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _scrypt(pin, salt, n, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return "$".join(["scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P),
                     _b64(salt), _b64(digest)])


def verify_pin(pin: str, encoded: str) -> bool:
    """Whether ``pin`` matches a :func:`hash_pin` string, compared in constant time."""
    n, r, p, salt, expected = _parse(encoded)
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p, len(expected)), expected)


def check_new_pin(pin: str) -> None:
    """PinError unless ``pin`` is 6 to 12 ASCII digits."""
    if not _PIN_PATTERN.fullmatch(pin):
        raise PinError(f"the PIN must be {MIN_DIGITS} to {MAX_DIGITS} digits (0-9)")


def lock_duration_s(failures: int) -> float:
    """How long the gate stays locked after ``failures`` wrong PINs in a row (0 = not locked)."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(FIRST_LOCK_S * 2.0 ** (failures - FREE_ATTEMPTS), MAX_LOCK_S)


class PinGate:
    """Checks and changes the admin PIN kept in ``store``; ``clock`` returns epoch seconds."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time,
                 scrypt_n: int = SCRYPT_N):
        self._store = store
        self._clock = clock
        self._scrypt_n = scrypt_n  # the cost of new hashes (tests pass a cheap one)

    def is_set(self) -> bool:
        return self._store.get_setting(HASH_KEY) is not None

    def set_pin(self, new_pin: str, *, old_pin: str | None = None) -> None:
        """Set the PIN (6 to 12 digits); changing an existing one needs ``old_pin``."""
        check_new_pin(new_pin)
        was_set = self.is_set()
        if was_set:
            if old_pin is None:
                raise PinError("enter the current PIN to change it")
            self.check(old_pin)
        self._store.set_settings({HASH_KEY: hash_pin(new_pin, n=self._scrypt_n), FAILURES_KEY: 0,
                                  LOCKED_UNTIL_KEY: 0.0})
        log.info("admin PIN %s", "changed" if was_set else "set")

    def check(self, pin: str) -> None:
        """Return if ``pin`` is right; else PinError (``retry_after_s`` > 0 while locked)."""
        encoded = self._store.get_setting(HASH_KEY)
        if encoded is None:
            raise PinError("no admin PIN has been set yet")
        wait_s = self.retry_after_s()
        if wait_s > 0:
            raise PinError(f"too many wrong PINs; try again in {math.ceil(wait_s)} s",
                           retry_after_s=wait_s)
        if verify_pin(pin, encoded):
            self._reset_failures()
            return
        self._record_failure()

    def retry_after_s(self) -> float:
        """Seconds until the next attempt is allowed; 0 when not locked."""
        locked_until = float(self._store.get_setting(LOCKED_UNTIL_KEY) or 0.0)
        # Clamped so a clock set backwards cannot lock the admin out for longer than the cap.
        return min(max(locked_until - self._clock(), 0.0), MAX_LOCK_S)

    def reset_pin(self, new_pin: str) -> None:
        """A forgotten PIN: set a new one without the old, for whoever can write the store's
        file (`kiosk admin reset-pin`: access to the data folder is the proof)."""
        check_new_pin(new_pin)
        self._store.set_settings({HASH_KEY: hash_pin(new_pin, n=self._scrypt_n), FAILURES_KEY: 0,
                                  LOCKED_UNTIL_KEY: 0.0})
        log.warning("admin PIN reset")

    def clear(self) -> None:
        """Forget the PIN and the counters. Only for callers with direct file access (CLI)."""
        self._store.set_settings({HASH_KEY: None, FAILURES_KEY: 0, LOCKED_UNTIL_KEY: 0.0})
        log.warning("admin PIN cleared")

    def _reset_failures(self) -> None:
        if self._store.get_setting(FAILURES_KEY, 0):
            self._store.set_settings({FAILURES_KEY: 0, LOCKED_UNTIL_KEY: 0.0})

    def _record_failure(self) -> None:
        failures = int(self._store.get_setting(FAILURES_KEY) or 0) + 1
        lock_s = lock_duration_s(failures)
        self._store.set_settings({FAILURES_KEY: failures,
                                  LOCKED_UNTIL_KEY: self._clock() + lock_s if lock_s else 0.0})
        log.warning("wrong admin PIN (%d in a row)", failures)
        if lock_s:
            raise PinError(f"wrong PIN; too many attempts, try again in {lock_s:.0f} s",
                           retry_after_s=lock_s)
        left = FREE_ATTEMPTS - failures
        raise PinError(f"wrong PIN ({left} more {'try' if left == 1 else 'tries'}"
                       f" before a {FIRST_LOCK_S:.0f} s wait)")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    try:
        return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                              maxmem=_SCRYPT_MAXMEM)
    except ValueError as exc:
        raise StoreError(f"the stored admin PIN has unusable parameters ({exc});"
                         " reset it with the admin tool") from exc


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    try:
        scheme, n, r, p, salt, digest = str(encoded).split("$")
        if scheme != "scrypt":
            raise ValueError(f"unknown scheme {scheme!r}")
        salt_bytes = base64.b64decode(salt, validate=True)
        return int(n), int(r), int(p), salt_bytes, base64.b64decode(digest, validate=True)
    except ValueError as exc:
        raise StoreError(f"the stored admin PIN is damaged ({exc}); reset it with the admin"
                         " tool") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
