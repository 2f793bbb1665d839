"""Where the program reads and writes outside the repository.

Only two places, both overridable (a flag, then a ``KIOSK_*`` variable, then the default):

* data (the SQLite store, settings.toml): ``KIOSK_DATA_DIR`` or platformdirs' user data dir;
  an installed (frozen) build on Windows uses the per-machine ``%ProgramData%\\facenet-kiosk``
  instead, which the installer creates writable for every user: a front-desk PC has one store
  whoever is logged in;
* weights (FaceNet and its LiteRT export): ``KIOSK_WEIGHTS_DIR``, else in a frozen build the
  ``weights`` folder inside the bundle (read-only, shipped by the installer, no network
  needed), else platformdirs' user cache dir + ``/weights``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "facenet-kiosk"


def bundle_dir() -> Path | None:
    """The folder of a frozen (PyInstaller) build's files, None when running from source."""
    if not getattr(sys, "frozen", False):
        return None
    return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))


def data_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    if os.environ.get("KIOSK_DATA_DIR"):
        return Path(os.environ["KIOSK_DATA_DIR"]).expanduser()
    import platformdirs

    if sys.platform == "win32" and bundle_dir() is not None:
        return Path(platformdirs.site_data_dir(APP_NAME, appauthor=False))
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def weights_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    if os.environ.get("KIOSK_WEIGHTS_DIR"):
        return Path(os.environ["KIOSK_WEIGHTS_DIR"]).expanduser()
    bundle = bundle_dir()
    if bundle is not None and (bundle / "weights").is_dir():
        return bundle / "weights"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "weights"


def committed_weights_dir() -> Path:
    """The small model files that ship with the program (the anti-spoofing models): the
    bundle's ``weights`` folder when frozen, else the repository's ``weights/``."""
    bundle = bundle_dir()
    if bundle is not None:
        return bundle / "weights"
    return Path(__file__).resolve().parents[3] / "weights"


def database_path(data: Path) -> Path:
    return data / "kiosk.sqlite3"


def no_access_message(folder: Path) -> str:
    """What to do when this account may not use the data folder (faces are kept from others)."""
    group = ' (on Windows: add it to the local group "FaceNet Kiosk")' if os.name == "nt" else ""
    return (f"this account may not read and write the data folder {folder}: ask an administrator"
            f" to give it access{group}")
