"""`kiosk events`: the access log, read, exported as CSV, and purged."""
from __future__ import annotations

import sys
from datetime import datetime

from kiosk.commands.common import emit_json, load_settings, open_store, plot_path
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
            print(f"{e.time.astimezone().isoformat(timespec='seconds')}  {e.kiosk or '-':14.14} {e.mode:9} "
                  f"{'let in ' if e.accepted else 'refused'}  {e.identity or e.claimed or '-':20.20}"
                  f" {dist:>6}  {e.kind}: {e.detail}")
    return 0


def _purge(args) -> int:
    before = parse_when(args.purge_before, "--purge-before")
    with open_store(load_settings(args)) as store:
        gone = store.purge_events(before)
    print(f"purged {gone} access-log row(s) from before {before.isoformat()}")
    return 0


def cmd_report(args) -> int:
    """`kiosk report attendance`: first and last accepted entry per person per day."""
    from kiosk.core.frontdesk import attendance as att

    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    plot = plot_path(args.plot, "use --csv or the admin's Attendance view")
    with open_store(load_settings(args), read_only=True) as store:
        report = att.attendance(store, start, end, args.kiosk)
    if plot:
        att.plot_arrivals(report, plot)
    if args.json:
        emit_json(report.to_json_dict())
    elif args.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(att.CSV_FIELDS)
        writer.writerows(att.csv_rows(report))
    else:
        _print_attendance(report, args.plot)
    return 0


def _day(text: str, flag: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise KioskError(f"{flag} {text!r}: use YYYY-MM-DD") from None


def _print_attendance(report, plot: str | None) -> None:
    where = f" at {report.kiosk}" if report.kiosk else " at every kiosk"
    print(f"attendance {report.start} to {report.end}{where}: {len(report.rows)} person-day(s)")
    for r in report.rows:
        print(f"  {r.day}  {r.name:24.24} first {r.first:%H:%M}  last {r.last:%H:%M}"
              f"  ({r.entries} entr{'y' if r.entries == 1 else 'ies'})")
    for name, days in report.days_present().items():
        print(f"  {name:24.24} {days} day(s) present")
    if plot:
        print(f"chart of arrivals per day written to {plot}")
