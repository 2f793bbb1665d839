"""`DoorDriver`: one door output on a thread of its own, so the screen never waits for a door.

* ``pulse(event)`` only records the request and returns. The newest request wins: one that
  is still waiting when a newer one arrives is dropped (the access log keeps both), so a busy
  entrance never builds a backlog of openings to replay later.
* A request that could not start within ``max(duration_s, MIN_FRESH_S)`` of its pulse is
  dropped, and the HTTP output starts no retry after that: a late opening lets in whoever
  happens to stand at the door then.
* A holding output (the relay) is energised, held for ``duration_s`` and de-energised; a
  pulse while it is held energises again and extends the hold to the later end. It is
  de-energised when the driver starts (a crash may have left it on), when it stops
  (``close()``, also registered with ``atexit``) and, if that fails, retried a few times.
* ``health()`` is an immutable `DoorHealth` for the status line; ``listener`` (if given) is
  called with each new one, on the driver thread.

Fail closed is the caller's half: pulse only for a committed access-log row (``DoorEvent``
insists on a row id).
"""
from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from kiosk.core.base.errors import DoorError
from kiosk.core.base.vocabulary import DoorHealthState, DoorOutputKind
from kiosk.core.door.config import DoorConfig
from kiosk.core.door.event import DoorEvent
from kiosk.core.door.outputs import DoorOutput, make_output

log = logging.getLogger(__name__)

MIN_FRESH_S = 3.0
CLOSE_RETRY_S = 1.0
CLOSE_TRIES = 5
TEST_MARGIN_S = 5.0


@dataclass(frozen=True)
class DoorHealth:
    """The door output's state for the status line. ``failures`` counts failed openings,
    closings and start-up checks; ``dropped`` the openings superseded or too late to send."""

    kind: DoorOutputKind
    state: DoorHealthState
    target: str = ""
    relay_open: bool = False
    attempts: int = 0
    failures: int = 0
    dropped: int = 0
    last_attempt_at: datetime | None = None
    last_error: str = ""

    def summary(self) -> str:
        """A few words: ``door http ok``, ``door serial failing: <why>``."""
        if self.state is DoorHealthState.DISABLED:
            return "door: screen only"
        text = f"door {self.kind.value} {'ready' if self.state is DoorHealthState.IDLE else self.state.value}"
        return f"{text}: {self.last_error}" if self.state is DoorHealthState.FAILING else text


@dataclass(frozen=True)
class DoorTestResult:
    """What ``kiosk door test`` prints."""

    ok: bool
    kind: DoorOutputKind
    target: str
    detail: str
    elapsed_s: float

    def summary(self) -> str:
        return f"{'OK' if self.ok else 'FAILED'} {self.target}: {self.detail} ({self.elapsed_s:.2f} s)"


@dataclass(eq=False)
class _Request:
    """One pulse on its way; ``done`` is set for ``test()``, which waits for the outcome."""

    event: DoorEvent
    requested_at: float  # time.monotonic()
    done: threading.Event | None = None
    outcome: tuple[bool, str] = (False, "not fired")

    def finish(self, ok: bool, detail: str) -> None:
        self.outcome = (ok, detail)
        if self.done is not None:
            self.done.set()


_STOP, _RELEASE = object(), object()
Listener = Callable[[DoorHealth], None]


class DoorDriver:
    """Drives one `DoorOutput` from its own daemon thread (see the module docstring)."""

    def __init__(self, output: DoorOutput, listener: Listener | None = None):
        self._output = output
        self._listener = listener
        self._cond = threading.Condition()
        self._pending: _Request | None = None
        self._holders: list[_Request] = []  # fired, waiting for the relay to close
        self._relay_until: float | None = None  # monotonic end of the current hold
        self._close_failures = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        disabled = output.kind is DoorOutputKind.NONE
        self._health = DoorHealth(output.kind, DoorHealthState.DISABLED if disabled else DoorHealthState.IDLE,
                                  output.describe())

    @classmethod
    def from_config(cls, config: DoorConfig, listener: Listener | None = None) -> "DoorDriver":
        return cls(make_output(config), listener)

    # --- the caller's side (any thread; nothing here waits for the output) -----------------
    def start(self) -> None:
        """Start the thread (it checks the output and, for a relay, de-energises it)."""
        with self._cond:
            if self._output.kind is DoorOutputKind.NONE or self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=f"door-{self._output.kind}", daemon=True)
            self._thread.start()
        atexit.register(self.close)

    def pulse(self, event: DoorEvent) -> None:
        """Ask for one opening; returns at once."""
        with self._cond:
            if self._accepts(event):
                self._enqueue(_Request(event, time.monotonic()))

    def health(self) -> DoorHealth:
        with self._cond:
            return self._health

    def test(self, event: DoorEvent) -> DoorTestResult:
        """Fire ``event`` once and wait for the outcome (a relay: until it is closed again)."""
        started = time.monotonic()
        if self._output.kind is DoorOutputKind.NONE:
            return self._test_result(False, "no door output is configured (door_output = none)", started)
        self.start()
        request = _Request(event, started, threading.Event())
        with self._cond:
            if not self._accepts(event):
                return self._test_result(False, "the door driver is stopped", started)
            self._enqueue(request)
        wait_s = self._output.budget_s(event.duration_s) + TEST_MARGIN_S
        if not request.done.wait(wait_s):
            return self._test_result(False, f"no outcome within {wait_s:.0f} s", started)
        return self._test_result(*request.outcome, started)

    def close(self, timeout_s: float = 5.0) -> bool:
        """Stop: de-energise, free the port, join. False if the thread did not end in time."""
        atexit.unregister(self.close)
        with self._cond:
            thread, self._stopping = self._thread, True
            self._cond.notify_all()
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.error("door %s: the output did not stop within %.1f s; the relay state is unknown",
                      self._output.kind, timeout_s)
            return False
        return True

    def _accepts(self, event: DoorEvent) -> bool:
        if self._output.kind is DoorOutputKind.NONE:
            log.debug("door: event %s: screen only", event.event_id)
            return False
        if self._stopping or self._thread is None:
            log.warning("door %s: event %s not fired: the driver is not running", self._output.kind, event.event_id)
            return False
        return True

    def _enqueue(self, request: _Request) -> None:
        old, self._pending = self._pending, request
        if old is not None:
            log.info("door %s: event %s superseded by event %s before it was fired",
                     self._output.kind, old.event.event_id, request.event.event_id)
            old.finish(False, "superseded by a newer opening")
            self._health = dataclasses.replace(self._health, dropped=self._health.dropped + 1)
        self._cond.notify_all()

    def _test_result(self, ok: bool, detail: str, started: float) -> DoorTestResult:
        return DoorTestResult(ok, self._output.kind, self._output.describe(), detail, time.monotonic() - started)

    # --- the driver thread -------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._prepare()
            while (job := self._next_job()) is not _STOP:
                if job is _RELEASE:
                    self._release()
                else:
                    self._fire(job)
        finally:  # even after a bug above: de-energise and free the port
            self._shutdown()

    def _next_job(self) -> object:
        with self._cond:
            while True:
                if self._stopping:
                    return _STOP
                if self._pending is not None:
                    request, self._pending = self._pending, None
                    return request
                left = None if self._relay_until is None else self._relay_until - time.monotonic()
                if left is not None and left <= 0:
                    return _RELEASE
                self._cond.wait(left)

    def _prepare(self) -> None:
        try:
            self._output.prepare()
        except Exception as exc:
            if not isinstance(exc, DoorError):
                log.exception("door %s: unexpected error in the start-up check", self._output.kind)
            log.warning("door %s: start-up check failed: %s", self._output.kind, exc)
            self._update(state=DoorHealthState.FAILING, last_error=str(exc), failures=1)
        else:
            log.info("door %s: ready (%s)", self._output.kind, self._output.describe())

    def _fire(self, request: _Request) -> None:
        event = request.event
        window_s = max(event.duration_s, MIN_FRESH_S)
        age_s = time.monotonic() - request.requested_at
        if age_s > window_s:
            return self._drop(request, f"not fired: {age_s:.1f} s old, a late opening is refused")
        log.info("door %s: event %s: firing (%s, %.1f s)", self._output.kind, event.event_id,
                 self._output.describe(), event.duration_s)
        try:
            detail = self._output.open(event, request.requested_at + window_s)
        except Exception as exc:  # DoorError expected; anything else is a bug, logged in full
            if not isinstance(exc, DoorError):
                log.exception("door %s: event %s: unexpected error", self._output.kind, event.event_id)
            return self._failed(request, str(exc) or type(exc).__name__)
        self._succeeded(request, detail)

    def _succeeded(self, request: _Request, detail: str) -> None:
        log.info("door %s: event %s: done: %s", self._output.kind, request.event.event_id, detail)
        holding = self._output.holds_relay
        with self._cond:
            if holding:
                end = time.monotonic() + request.event.duration_s
                self._relay_until = max(self._relay_until or end, end)
                self._holders.append(request)
        self._update(state=DoorHealthState.OK, attempts=1, relay_open=holding, stamp=True)
        if not holding:
            request.finish(True, detail)

    def _failed(self, request: _Request, error: str) -> None:
        log.warning("door %s: event %s: failed: %s", self._output.kind, request.event.event_id, error)
        self._update(state=DoorHealthState.FAILING, attempts=1, failures=1, last_error=error, stamp=True)
        request.finish(False, error)

    def _drop(self, request: _Request, why: str) -> None:
        log.warning("door %s: event %s: %s", self._output.kind, request.event.event_id, why)
        self._update(dropped=1)
        request.finish(False, why)

    def _release(self) -> None:
        try:
            self._output.close()
        except Exception as exc:  # a relay that may still be on: keep trying for a while
            return self._close_failed(exc)
        log.info("door %s: relay de-energised", self._output.kind)
        self._end_hold(True, "opened, held and closed")

    def _close_failed(self, exc: Exception) -> None:
        self._close_failures += 1
        give_up = self._close_failures >= CLOSE_TRIES
        log.log(logging.CRITICAL if give_up else logging.ERROR, "door %s: closing failed (%d/%d): %s%s",
                self._output.kind, self._close_failures, CLOSE_TRIES, exc,
                "; THE RELAY MAY BE LEFT ENERGISED" if give_up else "")
        self._update(state=DoorHealthState.FAILING, failures=1, last_error=f"cannot close: {exc}")
        if give_up:
            return self._end_hold(False, f"opened, but closing failed: {exc}")
        with self._cond:
            self._relay_until = time.monotonic() + CLOSE_RETRY_S

    def _end_hold(self, ok: bool, detail: str) -> None:
        with self._cond:
            holders, self._holders = self._holders, []
            self._relay_until, self._close_failures = None, 0
        self._update(relay_open=False)
        for request in holders:
            request.finish(ok, detail)

    def _shutdown(self) -> None:
        was_open = self._relay_until is not None
        if self._output.holds_relay:
            try:
                self._output.close()
                log.info("door %s: de-energised on stop", self._output.kind)
            except Exception as exc:
                log.log(logging.ERROR if was_open else logging.WARNING,
                        "door %s: could not de-energise on stop: %s", self._output.kind, exc)
        self._output.release()
        with self._cond:
            pending, self._pending = self._pending, None
        for request in ([pending] if pending else []) + self._holders:
            request.finish(False, "the door driver stopped")
        self._update(relay_open=False)

    def _update(self, state: DoorHealthState | None = None, attempts: int = 0, failures: int = 0,
                dropped: int = 0, relay_open: bool | None = None, last_error: str | None = None,
                stamp: bool = False) -> None:
        """Apply one change to the health (counts are increments) and tell the listener."""
        with self._cond:
            h = self._health
            self._health = health = dataclasses.replace(
                h, state=state or h.state, attempts=h.attempts + attempts, failures=h.failures + failures,
                dropped=h.dropped + dropped, relay_open=h.relay_open if relay_open is None else relay_open,
                last_error=h.last_error if last_error is None else last_error,
                last_attempt_at=datetime.now().astimezone() if stamp else h.last_attempt_at)
        if self._listener is not None:
            try:
                self._listener(health)
            except Exception:
                log.exception("door: the health listener failed")
