"""The door outputs: none, a program, an HTTP controller (the USB relay is in ``serial_relay``).

Every output has the same small surface (`DoorOutput`) and is called only from its driver's
thread (``driver.DoorDriver``), so none of them needs a lock. ``open`` raises DoorError with a
sentence an admin can act on; nothing here logs a secret or a person's name.

* A *holding* output (the relay) is energised by ``open`` and de-energised by ``close``; the
  driver times the hold.
* A *notifying* output (program, HTTP) hands the event, ``duration_s`` included, to something
  that times the door itself; its ``close`` does nothing.
"""
from __future__ import annotations

import http.client
import logging
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, Protocol, Sequence
from urllib.parse import urlsplit

from kiosk.core.base.errors import DoorError
from kiosk.core.base.vocabulary import DoorOutputKind
from kiosk.core.door.config import DoorConfig
from kiosk.core.door.event import DoorEvent, encode_json
from kiosk.core.door.signing import signed_headers

log = logging.getLogger(__name__)

KILL_GRACE_S = 2.0
MAX_REPLY_BYTES = 64 * 1024
USER_AGENT = "facenet-kiosk-door/1"


class DoorOutput(Protocol):
    kind: DoorOutputKind
    holds_relay: bool

    def describe(self) -> str:
        """Where it goes, for logs and the status line (no secret, no URL path or query)."""

    def budget_s(self, duration_s: float) -> float:
        """The longest one opening (with its retries and, if holding, the hold) should take."""

    def prepare(self) -> None:
        """Start-up check; a holding output also de-energises (a crash may have left it on)."""

    def open(self, event: DoorEvent, give_up_at: float) -> str:
        """Fire once; no new try starts after ``give_up_at`` (``time.monotonic()``). -> detail."""

    def close(self) -> None:
        """De-energise (holding outputs only)."""

    def release(self) -> None:
        """Free what ``open`` acquired (ports); called once, when the driver stops."""


class _Notifying:
    """What the program and HTTP outputs share: nothing to hold, open or free."""

    holds_relay = False

    def prepare(self) -> None:
        pass

    def close(self) -> None:
        pass

    def release(self) -> None:
        pass


class NoneOutput(_Notifying):
    """``door_output = none``: the screen only."""

    kind = DoorOutputKind.NONE

    def describe(self) -> str:
        return "screen only"

    def budget_s(self, duration_s: float) -> float:
        return 0.0

    def open(self, event: DoorEvent, give_up_at: float) -> str:
        return "no door output"


class CommandOutput(_Notifying):
    """Runs ``argv`` (no shell): the event as JSON on stdin and as ``KIOSK_*`` variables.

    Exit code 0 is success. On timeout the program and everything it started (its process
    group, on POSIX) is killed. The kiosk's own ``KIOSK_*`` variables, the door secret among
    them, are not passed on.
    """

    kind = DoorOutputKind.COMMAND

    def __init__(self, argv: Sequence[str], timeout_s: float, environ: Mapping[str, str] | None = None):
        self._argv = tuple(argv)
        self._timeout_s = timeout_s
        base = os.environ if environ is None else environ
        self._base_env = {k: v for k, v in base.items() if not k.upper().startswith("KIOSK_")}

    def describe(self) -> str:
        return f"command {Path(self._argv[0]).name}"

    def budget_s(self, duration_s: float) -> float:
        return self._timeout_s + KILL_GRACE_S

    def prepare(self) -> None:
        if shutil.which(self._argv[0]) is None:
            raise DoorError(f"door program not found or not executable: {self._argv[0]}")

    def open(self, event: DoorEvent, give_up_at: float) -> str:
        started = time.monotonic()
        proc = self._spawn({**self._base_env, **event.environment()})
        try:
            _, err = proc.communicate(encode_json(event.to_json()) + b"\n", timeout=self._timeout_s)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise DoorError(f"door program timed out after {self._timeout_s:g} s and was killed") from None
        if proc.returncode != 0:
            raise DoorError(f"door program exited with code {proc.returncode}: {_tail(err)}")
        return f"program exited 0 in {time.monotonic() - started:.2f} s"

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen:
        group = ({"start_new_session": True} if os.name == "posix"
                 else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)})
        try:
            return subprocess.Popen(self._argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, env=env, **group)
        except OSError as exc:
            raise DoorError(f"cannot run the door program {self._argv[0]}: {exc.strerror or exc}") from None


class _TryAgain(Exception):
    """A failure worth another try: no connection, no answer in time, a 5xx."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Following a redirect would turn the POST into a GET without the body (urllib's rule).
    def redirect_request(self, *args, **kwargs):
        return None


class HttpOutput(_Notifying):
    """POSTs the event JSON to ``url``; retries connection errors, timeouts and 5xx.

    Proxies from the environment are ignored (a door controller is on the local network),
    redirects are not followed, TLS certificates are checked against the system store.
    """

    kind = DoorOutputKind.HTTP

    def __init__(self, url: str, secret: str, timeout_s: float, retries: int):
        self._url, self._secret = url, secret
        self._timeout_s, self._retries = timeout_s, retries
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    def describe(self) -> str:
        return f"http {self._where()}"

    def _where(self) -> str:
        parts = urlsplit(self._url)
        return f"{parts.scheme}://{parts.netloc}"  # not the path: it may be a webhook's secret

    def budget_s(self, duration_s: float) -> float:
        tries = self._retries + 1
        return tries * 2 * self._timeout_s + sum(_backoff_s(n) for n in range(1, tries))

    def open(self, event: DoorEvent, give_up_at: float) -> str:
        reasons: list[str] = []
        for attempt in range(1, self._retries + 2):
            if reasons and not self._pause_before(attempt, give_up_at, event):
                break
            log.debug("door http: event %s: try %d to %s", event.event_id, attempt, self._where())
            try:
                return f"HTTP {self._post(event)} after {_tries(attempt)}"
            except _TryAgain as exc:
                reasons.append(str(exc))
                log.warning("door http: event %s: try %d failed: %s", event.event_id, attempt, exc)
        raise DoorError(f"door controller {self._where()}: {reasons[-1]} ({_tries(len(reasons))})")

    def _pause_before(self, attempt: int, give_up_at: float, event: DoorEvent) -> bool:
        pause = _backoff_s(attempt - 1)
        if time.monotonic() + pause >= give_up_at:
            log.warning("door http: event %s: no more tries, the door-open window has passed", event.event_id)
            return False
        time.sleep(pause)
        return True

    def _post(self, event: DoorEvent) -> int:
        sent_at = int(time.time())
        body = encode_json({**event.to_json(), "sent_at": sent_at})
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **signed_headers(body, self._secret, sent_at)}
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                response.read(MAX_REPLY_BYTES)
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            raise _status_error(exc.code) from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._connection_error(exc) from None

    def _connection_error(self, exc: Exception) -> Exception:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLError):
            return DoorError(f"door controller {self._where()}: TLS failed: {reason}")
        if isinstance(reason, TimeoutError):
            return _TryAgain(f"no answer within {self._timeout_s:g} s")
        if isinstance(reason, ConnectionRefusedError):
            return _TryAgain("connection refused")
        return _TryAgain(str(reason) or type(reason).__name__)


def _status_error(code: int) -> Exception:
    if code >= 500:
        return _TryAgain(f"HTTP {code}")
    if 300 <= code < 400:
        return DoorError(f"door controller answered HTTP {code}: redirects are not followed, "
                         "set door_url to the final address")
    hint = " (check the door secret)" if code in (401, 403) else ""
    return DoorError(f"door controller refused the request: HTTP {code}{hint}")


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


def _backoff_s(retry: int) -> float:
    return min(0.2 * 2 ** (retry - 1), 1.0)


def _kill(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass
    try:
        proc.communicate(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        log.error("door program %s did not die after SIGKILL", proc.pid)


def _tail(stderr: bytes | None, limit: int = 200) -> str:
    text = (stderr or b"").decode("utf-8", "replace").strip()
    return text[-limit:] if text else "(no message on stderr)"


def make_output(config: DoorConfig) -> DoorOutput:
    """The output `config` asks for (the relay's port is opened later, on its thread)."""
    from kiosk.core.door.serial_relay import SerialOutput

    kind = config.output
    if kind is DoorOutputKind.COMMAND:
        return CommandOutput(config.command, config.timeout_s)
    if kind is DoorOutputKind.HTTP:
        return HttpOutput(config.url, config.secret, config.timeout_s, config.retries)
    if kind is DoorOutputKind.SERIAL:
        return SerialOutput(config.serial_port, config.serial_baud, config.serial_open,
                            config.serial_close, config.timeout_s)
    return NoneOutput()
