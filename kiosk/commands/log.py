"""`kiosk events`: the access log, read, exported as CSV, and purged."""
from __future__ import annotations

import sys
from datetime import datetime

from kiosk.commands.common import emit_json, load_settings, open_store
from kiosk.core.base.errors import KioskError


def parse_when(text: str | None, flag: str) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO time; without a UTC offset it means local time."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)  # naive = local time, as in the store and the log dialog
    except ValueError:
        raise KioskError(f"{flag} {text!r}: use YYYY-MM-DD or an ISO time like 2026-11-23T08:00") from None


def event_dict(e) -> dict:
    return {"time": e.time.isoformat(), "kiosk": e.kiosk, "source": e.source, "mode": e.mode,
            "decision": e.kind, "accepted": e.accepted, "name": e.identity,
            "employee_id": e.employee_id, "claimed": e.claimed, "distance": e.distance,
            "reason": e.detail}


def cmd_events(args) -> int:
    if args.purge_before:
        return _purge(args)
    with open_store(load_settings(args), read_only=True) as store:
        events = store.events(since=parse_when(args.since, "--since"), kiosk=args.kiosk,
                              limit=args.limit)
    if args.json:
        emit_json([event_dict(e) for e in events])
    elif args.csv:
        from kiosk.core.frontdesk.log_export import write_csv

        write_csv(events, sys.stdout)
    else:
        for e in events:
            dist = f"{e.distance:.3f}" if e.distance is not None else "-"
            print(f"{e.time.astimezone().isoformat(timespec='seconds')}  {e.mode:9} "
                  f"{'let in ' if e.accepted else 'refused'}  {e.identity or e.claimed or '-':20.20}"
                  f" {dist:>6}  {e.kind}: {e.detail}")
    return 0


def _purge(args) -> int:
    before = parse_when(args.purge_before, "--purge-before")
    with open_store(load_settings(args)) as store:
        gone = store.purge_events(before)
    print(f"purged {gone} access-log row(s) from before {before.isoformat()}")
    return 0
