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
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from kiosk.core.base import paths
from kiosk.core.base.errors import SettingsError
from kiosk.core.base.specs import DEFAULT_DETECTOR, DEFAULT_MODEL

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.toml"
MODES = ("recognize", "verify")
RUNTIMES = ("litert-int8", "litert-fp32", "keras")


@dataclass(frozen=True)
class Settings:
    data_dir: str = ""
    weights_dir: str = ""
    camera: str = "0"  # a camera index, a video file or a folder of images
    mode: str = "recognize"
    runtime: str = "litert-int8"
    verify_threshold: float = DEFAULT_MODEL.verify_threshold
    identify_threshold: float = DEFAULT_MODEL.identify_threshold
    min_face_px: int = DEFAULT_DETECTOR.min_face_px
    margin_fraction: float = DEFAULT_MODEL.margin_fraction
    door_open_s: float = 5.0
    consecutive_frames: int = 3
    cooldown_s: float = 10.0
    verify_timeout_s: float = 8.0
    fullscreen: bool = False

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


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "bool":
            if isinstance(raw, str):
                return raw.strip().lower() in ("1", "true", "yes", "on")
            return bool(raw)
        return {"float": float, "int": int, "str": str}[kind](raw)
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
    if s.mode not in MODES:
        raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {s.mode!r}")
    if s.runtime not in RUNTIMES:
        raise SettingsError(f"runtime must be one of {', '.join(RUNTIMES)}, not {s.runtime!r}")
    for name in ("verify_threshold", "identify_threshold"):
        if not 0.0 < getattr(s, name) < 2.0:
            raise SettingsError(f"{name} must lie between 0 and 2 (an L2 distance of unit vectors)")
    if s.consecutive_frames < 1 or s.min_face_px < 12:
        raise SettingsError("consecutive_frames must be >= 1 and min_face_px >= 12")
    return s


def from_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return _known(tomllib.load(fh), str(path))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path}: {exc.strerror or exc}") from exc


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
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(tomli_w.dumps(current).encode())
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise SettingsError(f"cannot save the settings to {path}: {exc.strerror or exc}") from exc
    return path
