"""What every command handler needs: the settings, the store, the front desk, JSON output."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager

from kiosk.core.base import settings as settings_mod
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
