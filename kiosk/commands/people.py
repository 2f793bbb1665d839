"""`kiosk people`: list, rename, remove, disable, enable, set (employee id and dates)."""
from __future__ import annotations

from datetime import date

from kiosk.commands.common import emit_json, load_settings, open_store
from kiosk.core.base.errors import KioskError
from kiosk.core.base.types import KEEP, PersonChange


def _person_dict(p) -> dict:
    return {"name": p.name, "employee_id": p.employee_id, "templates": p.template_count,
            "enabled": p.enabled,
            "valid_from": p.valid_from.isoformat() if p.valid_from else None,
            "valid_until": p.valid_until.isoformat() if p.valid_until else None,
            "created_at": p.created_at.isoformat() if p.created_at else None}


def cmd_people(args) -> int:
    with open_store(load_settings(args), read_only=args.action == "list") as store:
        return ACTIONS[args.action](store, args)


def _list(store, args) -> int:
    people = store.people()
    if args.json:
        emit_json([_person_dict(p) for p in people])
    else:
        _print_people(people)
    return 0


def _remove(store, args) -> int:
    removed = store.remove(args.who, keep_name_in_log=args.keep_name_in_log)
    kept = "kept under their name" if args.keep_name_in_log else "kept under a pseudonym"
    print(f"removed {removed.name} and {removed.template_count} template(s); their access-log"
          f" lines are {kept}")
    return 0


def _rename(store, args) -> int:
    renamed = store.update_person(args.old, PersonChange(name=args.new))
    print(f"renamed {args.old} -> {renamed.name}")
    return 0


def _enable(store, args) -> int:
    person = store.update_person(args.who, PersonChange(enabled=args.action == "enable"))
    print(f"{person.name} is {'enabled' if person.enabled else 'disabled'}")
    return 0


def _set(store, args) -> int:
    """Change what was given — the employee id and/or the dates (`-` clears one) — at once."""
    change = PersonChange(employee_id=_text(args.employee_id),
                          valid_from=_day(args.valid_from, "--valid-from"),
                          valid_until=_day(args.valid_until, "--valid-until"))
    if not change.changes():
        raise KioskError("nothing to set: give --employee-id, --valid-from and/or --valid-until")
    print(_describe(store.update_person(args.who, change)))
    return 0


def _text(text: str | None):
    return KEEP if text is None else None if text == "-" else text


def _day(text: str | None, flag: str):
    if text is None:
        return KEEP
    if text == "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise KioskError(f"{flag} {text!r}: use YYYY-MM-DD, or - for no date") from None


def _describe(p) -> str:
    dates = f"from {p.valid_from or 'always'} until {p.valid_until or 'no end date'}"
    return f"{p.name}: employee id {p.employee_id or '-'}, {'enabled' if p.enabled else 'disabled'}, {dates}"


def _print_people(people) -> None:
    if not people:
        print("nobody is enrolled yet (kiosk enroll NAME IMAGE...)")
        return
    print(f"{'name':24} {'employee id':14} {'templates':>9}  status")
    for p in people:
        status = "enabled" if p.enabled else "disabled"
        if p.valid_from or p.valid_until:
            status += f", {p.valid_from or '…'} to {p.valid_until or '…'}"
        print(f"{p.name:24} {p.employee_id or '-':14} {p.template_count:>9}  {status}")


ACTIONS = {"list": _list, "remove": _remove, "rename": _rename, "disable": _enable,
           "enable": _enable, "set": _set}
