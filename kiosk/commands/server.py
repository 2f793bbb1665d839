"""`kiosk benchmark-store`: simulated kiosks against a PostgreSQL server on this machine."""
from __future__ import annotations

import json

from kiosk.commands.common import load_settings


def cmd_benchmark_store(args) -> int:
    """``--store`` (a server on 127.0.0.1) when given, else a throw-away server."""
    from kiosk import formatting
    from kiosk.core.evaluation.store_benchmark import run

    settings = load_settings(args)
    result = run(settings.store.strip() or None, kiosks=args.kiosks, seconds=args.seconds,
                 change_every_s=args.change_every)
    print(json.dumps(result.to_json_dict(), indent=2) if args.json else formatting.store_benchmark(result))
    return 0 if result.rows_lost == 0 else 1
