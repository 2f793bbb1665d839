"""The door outputs on real parts: an HTTP controller on 127.0.0.1, a pseudo-terminal standing
in for the USB relay's serial port, and programs run as argument lists.

Timings only have generous upper bounds, or lower bounds that follow from the order of
events (a close can never come before its hold has passed), so a loaded machine cannot
make them flaky.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import select
import shlex
import socket
import subprocess
import sys
import threading
import time
from contextlib import suppress
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from kiosk.core.base.errors import SettingsError
from kiosk.core.door import (
    PRESETS,
    SETTING_DEFAULTS,
    DoorConfig,
    DoorDriver,
    DoorError,
    DoorEvent,
    DoorHealthState,
    DoorOutputKind,
    read_secret,
)
from kiosk.core.door.signing import verify
from tests.conftest import REPO

SECRET = "correct horse battery staple"
LCUS_OPEN, LCUS_CLOSE = bytes.fromhex("A0 01 01 A2"), bytes.fromhex("A0 01 00 A1")
OK, FAILING = DoorHealthState.OK, DoorHealthState.FAILING
HOSTILE_NAME = "Zoë O'Brien\"; rm -rf ~ #$(touch pwned) `touch pwned2`"


def door_event(event_id: int = 7, duration_s: float = 1.0, name: str = "Ada Lovelace",
               employee_id: str | None = "E-042") -> DoorEvent:
    return DoorEvent(event_id, datetime(2024, 5, 1, 8, 59, 58, 123000, tzinfo=timezone.utc), "front-1",
                     "recognize", "welcome", name, employee_id, duration_s)


def settings(**changes) -> SimpleNamespace:
    return SimpleNamespace(**{**SETTING_DEFAULTS, **changes})


class Watch:
    """The driver's health listener: every DoorHealth it reports, and a way to wait for one."""

    def __init__(self):
        self._cond = threading.Condition()
        self.seen = []

    def __call__(self, health):
        with self._cond:
            self.seen.append(health)
            self._cond.notify_all()

    def wait(self, predicate, timeout_s: float = 15.0):
        with self._cond:
            assert self._cond.wait_for(lambda: any(map(predicate, self.seen)), timeout_s), self.seen[-1:]
            return next(h for h in reversed(self.seen) if predicate(h))


@pytest.fixture
def start_driver():
    """Start a driver on a config; every one is closed (and must stop) after the test."""
    started = []

    def start(config: DoorConfig):
        watch = Watch()
        driver = DoorDriver.from_config(config, watch)
        driver.start()
        started.append(driver)
        return driver, watch

    yield start
    assert all(driver.close(timeout_s=10) for driver in started)
    assert not [t for t in threading.enumerate() if t.name.startswith("door-")]


# --- an HTTP door controller ----------------------------------------------------------------
class Controller:
    """Records each POST (headers, body); answers from ``answers`` (a code, or "hang"), then 200."""

    def __init__(self):
        self.requests: queue.Queue = queue.Queue()
        self.seen: list[bytes] = []
        self.answers: list = []
        self.unhang = threading.Event()
        self.url = ""

    def event_ids(self) -> list[int]:
        return [json.loads(body)["event_id"] for body in self.seen]


def _handler(controller: Controller):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            controller.seen.append(body)
            controller.requests.put((self.headers, body))
            answer = controller.answers.pop(0) if controller.answers else 200
            if answer == "hang":
                controller.unhang.wait(5)
                return
            with suppress(OSError):
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def controller():
    ctl = Controller()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ctl))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="test-controller", daemon=True)
    thread.start()
    ctl.url = f"http://127.0.0.1:{server.server_address[1]}/door/open"
    yield ctl
    ctl.unhang.set()
    server.shutdown()
    server.server_close()


def http_config(url: str, **changes) -> DoorConfig:
    return DoorConfig(**{"output": "http", "url": url, "timeout_s": 5.0, "retries": 0, **changes})


def test_http_posts_the_event_json_with_a_signature_a_receiver_can_check(controller, start_driver):
    driver, watch = start_driver(http_config(controller.url, secret=SECRET))
    driver.pulse(door_event(name=HOSTILE_NAME))
    headers, body = controller.requests.get(timeout=10)
    watch.wait(lambda h: h.state is OK)

    assert headers["Content-Type"] == "application/json"
    assert headers["X-Kiosk-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert payload == {"schema": 1, "event_id": 7, "time": "2024-05-01T08:59:58.123+00:00",
                       "kiosk_name": "front-1", "mode": "recognize", "decision": "welcome",
                       "name": HOSTILE_NAME, "employee_id": "E-042", "duration_s": 1.0, "test": False,
                       "sent_at": int(headers["X-Kiosk-Timestamp"])}
    assert abs(payload["sent_at"] - time.time()) < 60
    assert verify(body, headers, SECRET) == payload  # the reference receiver agrees
    with pytest.raises(DoorError, match="signature"):
        verify(body.replace(b"E-042", b"E-043"), headers, SECRET)
    with pytest.raises(DoorError, match="stale"):
        verify(body, headers, SECRET, now=time.time() + 3600)


def test_http_without_a_secret_sends_no_signature(controller, start_driver):
    driver, _ = start_driver(http_config(controller.url))
    assert driver.test(door_event()).ok
    headers, _ = controller.requests.get(timeout=1)
    assert headers["X-Kiosk-Signature"] is None and headers["X-Kiosk-Timestamp"]


def test_a_hung_controller_never_blocks_the_caller_and_times_out(controller, start_driver):
    controller.answers = ["hang", "hang"]
    driver, watch = start_driver(http_config(controller.url, timeout_s=0.5, retries=1))
    began = time.monotonic()
    driver.pulse(door_event(duration_s=5.0))
    assert time.monotonic() - began < 0.2  # while the controller hangs for 5 s
    health = watch.wait(lambda h: h.state is FAILING)
    assert "no answer within 0.5 s (2 tries)" in health.last_error
    assert (health.attempts, health.failures) == (1, 1) and health.last_attempt_at is not None
    assert "failing" in health.summary()
    assert controller.requests.qsize() == 2


def test_http_retries_5xx_then_succeeds(controller, start_driver):
    controller.answers = [503, 503]
    driver, _ = start_driver(http_config(controller.url, retries=2))
    result = driver.test(door_event())
    assert result.ok and "HTTP 200 after 3 tries" in result.detail, result
    assert controller.event_ids() == [7, 7, 7]  # one opening, one id
    assert driver.health().state is OK


def test_http_retries_are_bounded(controller, start_driver):
    controller.answers = [503, 503, 503]
    driver, _ = start_driver(http_config(controller.url, retries=1))
    result = driver.test(door_event())
    assert not result.ok and "HTTP 503 (2 tries)" in result.detail
    assert controller.requests.qsize() == 2


def test_a_refusal_is_not_retried(controller, start_driver):
    controller.answers = [401]
    driver, _ = start_driver(http_config(controller.url, retries=3))
    result = driver.test(door_event())
    assert not result.ok and "HTTP 401 (check the door secret)" in result.detail
    assert controller.requests.qsize() == 1


def test_no_controller_listening_is_reported(start_driver):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    driver, _ = start_driver(http_config(f"http://127.0.0.1:{port}/", retries=1))
    result = driver.test(door_event())
    assert not result.ok and "connection refused (2 tries)" in result.detail
    assert result.summary().startswith("FAILED http http://127.0.0.1:")


def test_a_busy_output_keeps_only_the_newest_opening(controller, start_driver):
    controller.answers = ["hang"]
    driver, watch = start_driver(http_config(controller.url, timeout_s=1.0))
    driver.pulse(door_event(1, duration_s=10.0))
    controller.requests.get(timeout=10)  # the first one is with the (hung) controller
    driver.pulse(door_event(2, duration_s=10.0))
    driver.pulse(door_event(3, duration_s=10.0))
    health = watch.wait(lambda h: h.state is OK)
    assert controller.event_ids() == [1, 3]
    assert health.dropped == 1


# --- the USB relay on a pseudo-terminal -----------------------------------------------------
class Relay:
    """The board's side of a pty pair: the kiosk opens ``name``; the test reads the bytes."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.name = os.ttyname(self.slave)

    def read(self, count: int = 4, timeout_s: float = 10.0) -> bytes:
        data, deadline = b"", time.monotonic() + timeout_s
        while len(data) < count and select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))[0]:
            data += os.read(self.master, count - len(data))
        return data

    def quiet(self, timeout_s: float = 0.3) -> bool:
        return not select.select([self.master], [], [], timeout_s)[0]


@pytest.fixture
def relay():
    board = Relay()
    yield board
    os.close(board.master)
    os.close(board.slave)


def serial_config(port: str, **changes) -> DoorConfig:
    return DoorConfig.from_settings(settings(door_output="serial", door_serial_port=port, **changes))


def test_lcus_presets_are_the_documented_bytes():
    assert (PRESETS["lcus-1"].open_bytes, PRESETS["lcus-1"].close_bytes) == (LCUS_OPEN, LCUS_CLOSE)
    two = PRESETS["lcus-2-ch2"]
    assert (two.open_bytes.hex(" "), two.close_bytes.hex(" ")) == ("a0 02 01 a3", "a0 02 00 a2")
    config = serial_config("/dev/ttyUSB0")
    assert (config.serial_open, config.serial_close, config.serial_baud) == (LCUS_OPEN, LCUS_CLOSE, 9600)
    custom = serial_config("COM3", door_serial_open_hex="0xFF,0x01", door_serial_close_hex="ff 00")
    assert (custom.serial_open, custom.serial_close) == (b"\xff\x01", b"\xff\x00")


def test_relay_gets_the_open_bytes_then_the_close_bytes_after_the_hold(relay, start_driver):
    driver, watch = start_driver(serial_config(relay.name))
    assert relay.read() == LCUS_CLOSE  # de-energised at start: a crash may have left it on
    pulsed = time.monotonic()
    driver.pulse(door_event(duration_s=1.0))
    assert time.monotonic() - pulsed < 0.2
    assert relay.read() == LCUS_OPEN
    assert watch.wait(lambda h: h.relay_open).state is OK
    assert relay.read() == LCUS_CLOSE
    assert 1.0 <= time.monotonic() - pulsed < 6.0
    assert watch.wait(lambda h: not h.relay_open and h.attempts == 1).failures == 0
    assert driver.close()
    assert relay.read() == LCUS_CLOSE  # and again on stop


def test_a_pulse_while_open_extends_the_hold(relay, start_driver):
    driver, _ = start_driver(serial_config(relay.name))
    assert relay.read() == LCUS_CLOSE
    driver.pulse(door_event(1, duration_s=2.0))
    assert relay.read() == LCUS_OPEN
    second = time.monotonic()
    driver.pulse(door_event(2, duration_s=2.0))
    assert relay.read() == LCUS_OPEN  # energised again, not queued behind a close
    assert relay.read() == LCUS_CLOSE  # one close, at the later end
    assert time.monotonic() - second >= 2.0
    assert relay.quiet()


def test_closing_the_driver_de_energises_a_held_relay(relay, start_driver):
    driver, _ = start_driver(serial_config(relay.name))
    assert relay.read() == LCUS_CLOSE
    driver.pulse(door_event(duration_s=60.0))
    assert relay.read() == LCUS_OPEN
    began = time.monotonic()
    assert driver.close(timeout_s=10)
    assert relay.read(timeout_s=0.0) == LCUS_CLOSE  # written before close() returned
    assert time.monotonic() - began < 5.0 and not driver.health().relay_open


EXITS_WHILE_OPEN = """
import sys, time
from kiosk.core.door import DoorConfig, DoorDriver, DoorEvent
driver = DoorDriver.from_config(DoorConfig(output="serial", serial_port=sys.argv[1],
                                           serial_open=bytes.fromhex("A0 01 01 A2"),
                                           serial_close=bytes.fromhex("A0 01 00 A1")))
driver.start()
driver.pulse(DoorEvent.for_test("front-1", duration_s=60.0))
while not driver.health().relay_open:
    time.sleep(0.01)
"""  # and the program ends, the relay held, without driver.close()


def test_a_kiosk_that_exits_without_closing_still_de_energises_the_relay(relay):
    subprocess.run([sys.executable, "-c", EXITS_WHILE_OPEN, relay.name], cwd=REPO, timeout=60, check=True)
    assert relay.read(12) == LCUS_CLOSE + LCUS_OPEN + LCUS_CLOSE


def test_door_test_on_the_relay_reports_after_closing(relay, start_driver):
    driver, _ = start_driver(serial_config(relay.name))
    result = driver.test(DoorEvent.for_test("front-1", duration_s=0.3))
    assert result.ok and result.detail == "opened, held and closed"
    assert relay.read(12) == LCUS_CLOSE + LCUS_OPEN + LCUS_CLOSE


def test_an_unplugged_relay_fails_then_works_once_plugged_in(relay, start_driver, tmp_path):
    port = tmp_path / "ttyRELAY"  # a symlink to the pty, made later: the board is unplugged
    driver, watch = start_driver(serial_config(str(port)))
    assert str(port) in watch.wait(lambda h: h.state is FAILING).last_error
    driver.pulse(door_event(1, duration_s=0.5))
    watch.wait(lambda h: h.attempts == 1 and h.state is FAILING)
    port.symlink_to(relay.name)
    driver.pulse(door_event(2, duration_s=0.5))
    assert relay.read(8) == LCUS_OPEN + LCUS_CLOSE  # the port was opened again
    assert watch.wait(lambda h: h.attempts == 2 and not h.relay_open).state is OK


# --- a program ------------------------------------------------------------------------------
RECORDER = """
import json, os, sys
event = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k.startswith("KIOSK_")}
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump({"stdin": event, "env": env, "argv": sys.argv[1:]}, fh)
"""

HANGER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
path = os.path.join(sys.argv[1], os.environ["KIOSK_EVENT_ID"] + ".pids")
with open(path, "w") as fh:
    fh.write(f"{os.getpid()} {child.pid}")
time.sleep(60)
"""


def command_config(tmp_path, source: str, *args: str, timeout_s: float = 10.0) -> DoorConfig:
    script = tmp_path / "door.py"
    script.write_text(source)
    line = shlex.join([sys.executable, str(script), *args])
    return DoorConfig.from_settings(settings(door_output="command", door_command=line, door_timeout_s=timeout_s))


def wait_for_file(path, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with suppress(OSError):  # a zombie waiting for a parent that never reaps is dead too
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def test_the_program_gets_the_event_on_stdin_and_in_its_environment(tmp_path, start_driver, monkeypatch):
    monkeypatch.setenv("KIOSK_DOOR_SECRET", SECRET)  # the kiosk's own variables stay with it
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "seen.json"
    driver, watch = start_driver(command_config(tmp_path, RECORDER, str(out)))
    driver.pulse(door_event(name=HOSTILE_NAME, employee_id=None))
    assert watch.wait(lambda h: h.state in (OK, FAILING)).state is OK
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["argv"] == [str(out)]
    assert seen["stdin"] == door_event(name=HOSTILE_NAME, employee_id=None).to_json()
    assert seen["env"] == {"KIOSK_SCHEMA": "1", "KIOSK_EVENT_ID": "7", "KIOSK_TIME": "2024-05-01T08:59:58.123+00:00",
                           "KIOSK_KIOSK_NAME": "front-1", "KIOSK_MODE": "recognize", "KIOSK_DECISION": "welcome",
                           "KIOSK_NAME": HOSTILE_NAME, "KIOSK_EMPLOYEE_ID": "", "KIOSK_DURATION_S": "1.0",
                           "KIOSK_TEST": "0"}
    assert not list(tmp_path.glob("pwned*"))  # the name was data, never a command line


def test_door_test_runs_the_program_once_and_reports(tmp_path, start_driver):
    out = tmp_path / "seen.json"
    driver, _ = start_driver(command_config(tmp_path, RECORDER, str(out)))
    result = driver.test(DoorEvent.for_test("front-1", duration_s=5.0))
    assert result.ok and result.detail.startswith("program exited 0"), result
    assert result.kind is DoorOutputKind.COMMAND and result.summary().startswith("OK command")
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert (seen["stdin"]["event_id"], seen["stdin"]["test"], seen["env"]["KIOSK_TEST"]) == (0, True, "1")


def test_a_failing_program_is_reported_with_its_stderr(tmp_path, start_driver):
    driver, _ = start_driver(command_config(tmp_path, "import sys; sys.exit('relay board busy')"))
    result = driver.test(door_event())
    assert not result.ok and "exited with code 1: relay board busy" in result.detail


def test_a_hung_program_is_killed_at_the_timeout(tmp_path, start_driver):
    driver, watch = start_driver(command_config(tmp_path, HANGER, str(tmp_path), timeout_s=3.0))
    began = time.monotonic()
    driver.pulse(door_event(duration_s=5.0))
    assert time.monotonic() - began < 0.2
    health = watch.wait(lambda h: h.state is FAILING)
    assert "timed out after 3 s and was killed" in health.last_error
    pids = [int(p) for p in (tmp_path / "7.pids").read_text().split()]
    deadline = time.monotonic() + 5
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, pids))  # the program and what it started


def test_an_opening_that_waited_too_long_is_dropped_not_sent_late(tmp_path, start_driver):
    driver, watch = start_driver(command_config(tmp_path, HANGER, str(tmp_path), timeout_s=5.0))
    driver.pulse(door_event(1, duration_s=0.5))
    wait_for_file(tmp_path / "1.pids")
    driver.pulse(door_event(2, duration_s=0.5))  # waits behind a 5 s hang: older than 3 s then
    health = watch.wait(lambda h: h.dropped == 1 and h.attempts == 1)
    assert health.state is FAILING and not (tmp_path / "2.pids").exists()


def test_a_missing_program_is_reported_at_start(tmp_path, start_driver):
    config = DoorConfig(output="command", command=(str(tmp_path / "no-such-program"),))
    driver, watch = start_driver(config)
    assert "not found" in watch.wait(lambda h: h.state is FAILING).last_error
    assert "cannot run the door program" in driver.test(door_event()).detail


# --- no output, events, settings -----------------------------------------------------------
def test_no_output_is_disabled_and_says_so():
    driver = DoorDriver.from_config(DoorConfig())
    driver.start()
    driver.pulse(door_event())
    assert driver.health().state is DoorHealthState.DISABLED
    assert driver.health().summary() == "door: screen only"
    assert not driver.test(door_event()).ok
    assert driver.close()


def test_a_door_event_needs_a_committed_row_and_an_aware_time():
    with pytest.raises(ValueError, match="committed"):
        door_event(event_id=0)
    with pytest.raises(ValueError, match="aware"):
        DoorEvent(1, datetime(2024, 5, 1), "k", "verify", "verified", "A", None, 5.0)
    with pytest.raises(ValueError, match="duration_s"):
        door_event(duration_s=0)
    assert DoorEvent.for_test("k", 1.0).to_json()["event_id"] == 0


@pytest.mark.parametrize("changes, message", [
    (dict(door_output="door"), "door_output must be one of none, command, http, serial"),
    (dict(door_output="http"), "door_output http needs door_url"),
    (dict(door_output="http", door_url="ftp://controller/"), "http:// or https://"),
    (dict(door_output="http", door_url="http://admin:pw@controller/"), "user name or password"),
    (dict(door_output="http", door_url="http://c/", door_timeout_s=0), "door_timeout_s must lie between 0.1 and 60"),
    (dict(door_output="http", door_url="http://c/", door_timeout_s=600), "door_timeout_s must lie between"),
    (dict(door_output="http", door_url="http://c/", door_retries=9), "door_retries must lie between 0 and 5"),
    (dict(door_output="command"), "door_command"),
    (dict(door_output="command", door_command='open "unfinished'), "door_command cannot be split"),
    (dict(door_output="serial"), "door_serial_port"),
    (dict(door_output="serial", door_serial_port="COM3", door_serial_baud=1234), "door_serial_baud must be one of"),
    (dict(door_output="serial", door_serial_port="COM3", door_serial_preset="lcus-9"), "door_serial_preset must be"),
    (dict(door_output="serial", door_serial_port="COM3", door_serial_open_hex="A0 01"), "give both"),
    (dict(door_output="serial", door_serial_port="COM3", door_serial_open_hex="A0 0G",
          door_serial_close_hex="A0 00"), "door_serial_open_hex must be hex bytes"),
    (dict(door_output="serial", door_serial_port="COM3", door_serial_open_hex="A0",
          door_serial_close_hex="a0"), "must differ"),
])
def test_bad_door_settings_say_what_to_fix_in_one_line(changes, message):
    with pytest.raises(SettingsError, match=message) as info:
        DoorConfig.from_settings(settings(**changes))
    assert len(str(info.value).splitlines()) == 1


def test_the_secret_comes_from_the_environment_or_its_own_file_and_is_never_shown(tmp_path):
    with pytest.raises(SettingsError, match="at least 16"):
        DoorConfig(output="http", url="https://door.local/", secret="short")
    config = DoorConfig(output="http", url="https://door.local/", secret=SECRET)
    assert SECRET not in repr(config)
    secret_file = tmp_path / "door.secret"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    assert read_secret({}, str(secret_file)) == SECRET
    assert read_secret({"KIOSK_DOOR_SECRET": "from-the-env-0123456"}, str(secret_file)) == "from-the-env-0123456"
    assert read_secret({}, "") == ""
    with pytest.raises(SettingsError, match="cannot read the door secret file"):
        read_secret({}, str(tmp_path / "missing"))
