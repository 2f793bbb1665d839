"""What every command handler needs: the settings, the store, the front desk, JSON output."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from kiosk.core.base import settings as settings_mod
from kiosk.core.base.errors import KioskError
from kiosk.core.base.vocabulary import Source


def load_settings(args) -> settings_mod.Settings:
    flags = {k: getattr(args, k, None) for k in ("data_dir", "weights_dir", "runtime", "store")}
    return settings_mod.load(flags)


@contextmanager
def open_store(settings, read_only: bool = False):
    """The store; a command needs its server (no offline start: it says why it cannot reach
    it), and sends what this kiosk queued while offline first."""
    from kiosk.core.storage.store import open_store as open_backend

    store = open_backend(settings, read_only=read_only, offline_ok=False)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_desk(args):
    """The front desk with its models loaded, on the store the settings name."""
    from kiosk.core.frontdesk.desk import FrontDesk

    settings = load_settings(args)
    with open_store(settings) as store:
        yield FrontDesk(store, settings, engine=args.engine_factory(settings), source=Source.CLI)


def emit_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def plot_path(plot: str | None, instead: str = "run without --plot") -> Path | None:
    """The --plot file, refused at once (before any long run) when it could never be written:
    no such folder, or no matplotlib (the installed kiosk leaves it out; ``instead`` says what
    to do then)."""
    if not plot:
        return None
    path = Path(plot)
    if path.is_dir() or not path.parent.is_dir():
        raise KioskError(f"--plot {plot}: not a file in an existing folder")
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise KioskError(f"--plot needs matplotlib, which this installation leaves out; {instead}") from None
    return path
