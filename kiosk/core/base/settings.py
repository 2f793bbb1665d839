"""Settings: a frozen dataclass, read from ``<data dir>/settings.toml``, then ``KIOSK_*``
environment variables, then command-line flags (each later source wins).

Thresholds default to the calibrated values of the model in use (see ``models.py``); a value
in the file or the environment overrides them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import tomllib
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Mapping

from kiosk.core.base import paths
from kiosk.core.base.errors import InvalidTextError, SettingsError
from kiosk.core.base.specs import DEFAULT_DETECTOR, DEFAULT_MODEL, DEFAULT_PAD
from kiosk.core.base.text import clean_label
from kiosk.core.base.vocabulary import GroupPolicy, Mode, Runtime, SecurityLevel

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.toml"
# Where the kiosk keeps and trusts its files: flags and environment only, never settings.toml
# (a changed settings file must not be able to point the door at another store or model).
PLACES = ("data_dir", "weights_dir", "store")
LIVE_FACE_RANGE = (20, 400)  # the live screen's smallest face, px: 20 is MTCNN's own minimum
# The live scores an admin may ask for at the passive level: 0 would let every photo through
# while the level still says passive; the default 0.01 was chosen on live photos, and above 0.5
# many live people are refused.
PAD_THRESHOLD_RANGE = (0.001, 0.5)


@dataclass(frozen=True)
class Settings:
    data_dir: str = ""
    weights_dir: str = ""
    camera: str = "0"  # a camera index, a video file or a folder of images
    mode: Mode = Mode.RECOGNIZE
    runtime: Runtime = Runtime.LITERT_INT8
    verify_threshold: float = DEFAULT_MODEL.verify_threshold
    identify_threshold: float = DEFAULT_MODEL.identify_threshold
    min_face_px: int = DEFAULT_DETECTOR.min_face_px  # photos: the smallest face used, px
    # The live screen's range: faces smaller than this (px of the camera frame) are ignored, so
    # people across the room are not tagged; 40 px is where recognition stops losing accuracy.
    live_min_face_px: int = DEFAULT_DETECTOR.live_min_face_px
    margin_fraction: float = DEFAULT_MODEL.margin_fraction
    door_open_s: float = 5.0
    consecutive_frames: int = 3
    cooldown_s: float = 10.0
    verify_timeout_s: float = 8.0
    fullscreen: bool = False
    security_level: SecurityLevel = SecurityLevel.PASSIVE  # see README "Photos and screens"
    group_policy: GroupPolicy = GroupPolicy.ONE_AT_A_TIME  # staff and a stranger together
    sound: bool = False  # a short chime on a welcome, another on a refusal
    pad_threshold: float = DEFAULT_PAD.threshold  # live score (0..1) a face needs at passive
    # The store: "" = the SQLite file in the data folder (one kiosk); a postgresql:// URL = a
    # server shared by several kiosks (flag --store or KIOSK_STORE only, no password in it).
    store: str = ""
    offline_door_open: bool = True  # server unreachable: people in the last snapshot may enter
    kiosk_name: str = ""  # this kiosk's name in the access log; "" = the computer's name
    log_retention_days: int = 90  # access-log rows older than this are purged; 0 keeps all
    # The door output (see kiosk.core.door): none, command, http or serial. The HMAC secret
    # is not a setting: KIOSK_DOOR_SECRET or the file door_secret_file names.
    door_output: str = "none"
    door_url: str = ""
    door_timeout_s: float = 3.0
    door_retries: int = 2
    door_command: str = ""
    door_serial_port: str = ""
    door_serial_baud: int = 9600
    door_serial_preset: str = "lcus-1"
    door_serial_open_hex: str = ""
    door_serial_close_hex: str = ""
    door_secret_file: str = ""

    @property
    def kiosk_label(self) -> str:
        """The name written into access-log rows."""
        return self.kiosk_name or socket.gethostname() or "kiosk"

    @property
    def data_path(self) -> Path:
        return paths.data_dir(self.data_dir or None)

    @property
    def weights_path(self) -> Path:
        return paths.weights_dir(self.weights_dir or None)

    @property
    def database_path(self) -> Path:
        return paths.database_path(self.data_path)

    def replace(self, **changes: Any) -> "Settings":
        return validated(dataclasses.replace(self, **changes))


def changed_keys(old: Settings, new: Settings) -> tuple[str, ...]:
    """The names of the settings whose values differ."""
    return tuple(f.name for f in fields(Settings) if getattr(old, f.name) != getattr(new, f.name))


_CHOICES = {"Mode": Mode, "Runtime": Runtime, "SecurityLevel": SecurityLevel,
            "GroupPolicy": GroupPolicy}


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in _CHOICES and str(raw) not in tuple(_CHOICES[kind]):
        raise SettingsError(f"{name} must be one of {', '.join(_CHOICES[kind])}, not {raw!r}")
    try:
        if kind == "bool":
            if isinstance(raw, str):
                return raw.strip().lower() in ("1", "true", "yes", "on")
            return bool(raw)
        return {"float": float, "int": int, "str": str, **_CHOICES}[kind](raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name!r}: cannot use {raw!r} ({exc})") from exc


def _known(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    names = {f.name for f in fields(Settings)}
    out = {}
    for key, value in values.items():
        if key not in names:
            log.warning("ignoring unknown setting %r from %s", key, source)
            continue
        if value is not None:
            out[key] = _coerce(key, value)
    return out


def validated(s: Settings) -> Settings:
    for name in ("mode", "runtime", "security_level", "group_policy"):  # typed, also after replace()
        object.__setattr__(s, name, _coerce(name, getattr(s, name)))
    _check_threshold("verify_threshold", s.verify_threshold, DEFAULT_MODEL.verify_range)
    _check_threshold("identify_threshold", s.identify_threshold, DEFAULT_MODEL.identify_range)
    if s.consecutive_frames < 1 or s.min_face_px < 12:
        raise SettingsError("consecutive_frames must be >= 1 and min_face_px >= 12")
    if not LIVE_FACE_RANGE[0] <= s.live_min_face_px <= LIVE_FACE_RANGE[1]:
        raise SettingsError(f"live_min_face_px must lie in {LIVE_FACE_RANGE[0]}..{LIVE_FACE_RANGE[1]}"
                            " (pixels of the camera frame)")
    _check_pad_threshold(s.pad_threshold)
    if s.log_retention_days < 0:
        raise SettingsError("log_retention_days must be 0 (keep everything) or more")
    if s.kiosk_name:
        try:
            object.__setattr__(s, "kiosk_name", clean_label(s.kiosk_name, "kiosk_name"))
        except InvalidTextError as exc:
            raise SettingsError(f"setting kiosk_name: {exc}") from None
    return s


def _check_threshold(name: str, value: float, allowed: tuple[float, float]) -> None:
    """Refuse a threshold outside the model's safe range, saying what each end means."""
    low, high = allowed
    if low <= value <= high:
        return
    rates = {round(t, 2): (far, tar) for t, far, tar in DEFAULT_MODEL.rates_at}
    far_high, tar_low = rates[round(high, 2)][0], rates[round(low, 2)][1]
    raise SettingsError(
        f"{name} {value:g} is outside the safe range {low:g}-{high:g}: at {high:g} already"
        f" {far_high:.1e} of strangers' face comparisons are accepted (1 in {1 / far_high:,.0f}),"
        f" at {low:g} only {tar_low:.0%} of staff faces are (measured on LFW)")


def _check_pad_threshold(value: float) -> None:
    """Refuse a live-score threshold outside the safe range, saying what each end means."""
    low, high = PAD_THRESHOLD_RANGE
    if low <= value <= high:
        return
    raise SettingsError(
        f"pad_threshold {value:g} is outside the safe range {low:g}-{high:g}: 0 turns the photo check"
        f' off (use security_level = "off" for that, explicitly), above {high:g} many live people are'
        f" refused (the default {DEFAULT_PAD.threshold:g} was chosen on live photos)")


def from_file(path: Path) -> dict[str, Any]:
    try:
        if not path.exists():
            return {}
    except PermissionError:
        raise SettingsError(paths.no_access_message(path.parent)) from None
    try:
        with path.open("rb") as fh:
            values = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path}: {exc.strerror or exc}") from exc
    moved = [key for key in PLACES if key in values]
    if moved:
        raise SettingsError(f"{path} sets {moved[0]}, which only --{moved[0].replace('_', '-')} or"
                            f" KIOSK_{moved[0].upper()} may set; remove it from the file")
    return _known(values, str(path))


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    found = {f.name: environ[f"KIOSK_{f.name.upper()}"] for f in fields(Settings)
             if f"KIOSK_{f.name.upper()}" in environ}
    return _known(found, "the environment")


def load(flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """File < environment < flags. ``flags`` values of None mean "not given"."""
    early = {**from_env(environ), **_known(flags or {}, "the command line")}
    data = paths.data_dir(early.get("data_dir") or None)
    merged = {**from_file(data / SETTINGS_FILE), **early}
    return validated(Settings(**merged))


def save(settings: Settings, keys: tuple[str, ...]) -> Path:
    """Persist the chosen keys to ``settings.toml`` in the data dir (atomic replace).

    Raises SettingsError, with the file left as it was, when it cannot be written.
    """
    import tomli_w

    path = settings.data_path / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    try:
        current = from_file(path)
        current.update({k: getattr(settings, k) for k in keys})
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp.write_bytes(tomli_w.dumps({k: str(v) if isinstance(v, StrEnum) else v
                                       for k, v in current.items()}).encode())
        if os.name == "posix":
            tmp.chmod(0o600)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise SettingsError(f"cannot save the settings to {path}: {exc.strerror or exc}") from exc
    return path
