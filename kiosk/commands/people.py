"""`kiosk people`: list, rename, remove, disable, enable, set (employee id and dates)."""
from __future__ import annotations

from datetime import date

from kiosk.commands.common import emit_json, load_settings, open_store
from kiosk.core.base.errors import KioskError


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
    renamed = store.rename(args.old, args.new)
    print(f"renamed {args.old} -> {renamed.name}")
    return 0


def _enable(store, args) -> int:
    person = store.set_enabled(args.who, args.action == "enable")
    print(f"{person.name} is {'enabled' if person.enabled else 'disabled'}")
    return 0


def _set(store, args) -> int:
    """Change what was given: the employee id, and/or the dates (`-` clears one)."""
    person = store.find_person(args.who)
    if args.employee_id is not None:
        person = store.set_employee_id(person.name, None if args.employee_id == "-" else args.employee_id)
    if args.valid_from is not None or args.valid_until is not None:
        start = _day(args.valid_from, "--valid-from", person.valid_from)
        end = _day(args.valid_until, "--valid-until", person.valid_until)
        person = store.set_validity(person.name, start, end)
    print(_describe(person))
    return 0


def _day(text: str | None, flag: str, current: date | None) -> date | None:
    if text is None:
        return current
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
