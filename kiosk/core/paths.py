"""Where the program reads and writes outside the repository.

Only two places, both per user and both overridable:

* data (the SQLite store, settings.toml): ``KIOSK_DATA_DIR`` or platformdirs' user data dir;
* cache (the FaceNet weights and their LiteRT export): ``KIOSK_WEIGHTS_DIR`` or platformdirs'
  user cache dir + ``/weights``.
"""
from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "facenet-kiosk"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    if os.environ.get("KIOSK_DATA_DIR"):
        return Path(os.environ["KIOSK_DATA_DIR"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def weights_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    if os.environ.get("KIOSK_WEIGHTS_DIR"):
        return Path(os.environ["KIOSK_WEIGHTS_DIR"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "weights"


def database_path(data: Path) -> Path:
    return data / "kiosk.sqlite3"
