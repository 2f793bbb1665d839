"""The HTTP output's signature, and the check a receiver makes (a reference for integrators).

When a door secret is set, every POST carries

    X-Kiosk-Timestamp: <Unix seconds, the body's "sent_at">
    X-Kiosk-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, key = the secret>

The timestamp is inside the signed body (``sent_at``), so it cannot be altered; the header
repeats it so a receiver can reject stale requests before parsing. A receiver:

1. computes HMAC-SHA256 over the raw body bytes as received (before any JSON parsing) with
   the shared secret (UTF-8), and compares ``"sha256=" + hexdigest`` with the header in
   constant time (``hmac.compare_digest``);
2. parses the JSON and rejects it unless ``sent_at`` equals the timestamp header and lies
   within a few minutes of its own clock (300 s here);
3. acts at most once per ``event_id`` (retries of one opening repeat the id), remembering
   the ids it has seen for at least that window, and answers 2xx for a repeat.

`verify` below does 1 and 2.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Mapping

from kiosk.core.base.errors import DoorError

SIGNATURE_HEADER = "X-Kiosk-Signature"
TIMESTAMP_HEADER = "X-Kiosk-Timestamp"
MAX_SKEW_S = 300


def signature(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` keyed with the UTF-8 ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, secret: str, sent_at: int) -> dict[str, str]:
    """The two headers of a signed request (only the timestamp when there is no secret)."""
    headers = {TIMESTAMP_HEADER: str(sent_at)}
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    return headers


def verify(body: bytes, headers: Mapping[str, str], secret: str, now: float | None = None,
           max_skew_s: float = MAX_SKEW_S) -> dict[str, Any]:
    """A receiver's check; returns the event object, or raises DoorError saying why not."""
    given = _header(headers, SIGNATURE_HEADER)
    if not hmac.compare_digest(given.encode(), signature(body, secret).encode()):
        raise DoorError("bad or missing signature")
    event = json.loads(body)
    stamp = _header(headers, TIMESTAMP_HEADER)
    if str(event.get("sent_at")) != stamp:
        raise DoorError("the timestamp header does not match the signed body")
    if abs((time.time() if now is None else now) - int(event["sent_at"])) > max_skew_s:
        raise DoorError("stale or future request (check both clocks)")
    return event


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get(name.lower(), "")
