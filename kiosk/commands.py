"""Handlers of the ``kiosk`` sub-commands (parsing lives in ``kiosk.cli``)."""
from __future__ import annotations

import csv
import json
import logging
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from kiosk.core.base import settings as settings_mod
from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import IMAGE_SUFFIXES

log = logging.getLogger(__name__)



def load_settings(args) -> settings_mod.Settings:
    flags = {k: getattr(args, k, None) for k in ("data_dir", "weights_dir", "runtime")}
    return settings_mod.load(flags)


@contextmanager
def open_store(settings):
    from kiosk.core.storage.sqlite import Store

    store = Store.open(settings.database_path)
    try:
        yield store
    finally:
        store.close()


def build_engine(settings):
    from kiosk.core.recognition.engine import Engine

    return Engine.load(settings)


@contextmanager
def open_service(args):
    from kiosk.core.frontdesk.service import KioskService

    settings = load_settings(args)
    with open_store(settings) as store:
        yield KioskService(store, build_engine(settings), settings)


def _emit_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


# --- weights ----------------------------------------------------------------------------
def cmd_weights(args) -> int:
    from kiosk.core.models import weights

    target = load_settings(args).weights_path
    if args.action == "path":
        print(weights.weights_file(target))
    elif args.action == "verify":
        print(f"ok: {weights.verify(target)} (sha256 matches)")
    else:
        print(f"ok: {weights.fetch(target, force=args.force)}")
    return 0


# --- people -------------------------------------------------------------------------------
def _person_dict(p) -> dict:
    return {"name": p.name, "employee_id": p.employee_id, "templates": p.template_count,
            "created_at": p.created_at.isoformat() if p.created_at else None}


def cmd_people(args) -> int:
    with open_store(load_settings(args)) as store:
        if args.action == "list":
            people = store.people()
            if args.json:
                _emit_json([_person_dict(p) for p in people])
            else:
                _print_people(people)
        elif args.action == "remove":
            removed = store.remove(args.who)
            print(f"removed {removed.name} and {removed.template_count} template(s)")
        else:
            renamed = store.rename(args.old, args.new)
            print(f"renamed {args.old} -> {renamed.name}")
    return 0


def _print_people(people) -> None:
    if not people:
        print("nobody is enrolled yet (kiosk enroll NAME IMAGE...)")
        return
    print(f"{'name':24} {'employee id':14} {'templates':>9}")
    for p in people:
        print(f"{p.name:24} {p.employee_id or '-':14} {p.template_count:>9}")


# --- enrolment ----------------------------------------------------------------------------
def cmd_enroll(args) -> int:
    with open_service(args) as service:
        try:
            person = service.enroll_files(args.name, args.images, args.employee_id)
        except KioskError as exc:
            print(f"error: nothing enrolled — {exc}", file=sys.stderr)
            return 2
    print(f"enrolled {person.name}" + (f" ({person.employee_id})" if person.employee_id else "")
          + f": {len(args.images)} new template(s), {person.template_count} in all")
    return 0


def _person_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        raise KioskError(f"{root}: not a folder")
    return sorted(d for d in root.iterdir() if d.is_dir())


def _enroll_person_dir(service, folder: Path, skipped: list[str]):
    encoded = []
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(f"{path}: not a photo (takes {', '.join(IMAGE_SUFFIXES)})")
            continue
        try:
            encoded.append(service.encode_file(path))
        except KioskError as exc:
            skipped.append(str(exc))
    if not encoded:
        skipped.append(f"{folder}: no usable photo, person not enrolled")
        return None
    return service.enroll_encoded(folder.name, encoded)


def cmd_enroll_dir(args) -> int:
    from tqdm import tqdm

    folders = _person_dirs(Path(args.directory))
    skipped: list[str] = []
    enrolled = 0
    with open_service(args) as service:
        for folder in tqdm(folders, desc="enrolling", unit="person", file=sys.stderr):
            enrolled += _enroll_person_dir(service, folder, skipped) is not None
    print(f"enrolled {enrolled} of {len(folders)} people; skipped {len(skipped)} item(s)")
    for reason in skipped:
        print(f"  skipped: {reason}")
    return 0 if enrolled else 2


# --- decisions ----------------------------------------------------------------------------
def cmd_verify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_service(args) as service:
        outcome = service.verify_image(image_rgb, args.claim)
        threshold = service.settings.verify_threshold
    match = outcome.match
    accepted = bool(match and match.accepted)
    if args.json:
        _emit_json({"claimed": args.claim, "identity": outcome.person.name, "employee_id": outcome.person.employee_id,
                    "distance": match.distance if match else None, "accepted": accepted, "threshold": threshold,
                    "faces_in_image": outcome.faces_in_image,
                    "box": list(outcome.face.box_xywh) if outcome.face else None,
                    "reason": None if match else "no face found"})
    elif match is None:
        print(f"no face found in {args.image}: cannot verify {outcome.person.name}")
    elif accepted:
        print(f"It's {outcome.person.name}, welcome in! (distance {match.distance:.3f} <= {threshold:.2f})")
    else:
        print(f"It's not {outcome.person.name}, please go away (distance {match.distance:.3f} > {threshold:.2f})")
    return 0 if accepted else 1


def cmd_identify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_service(args) as service:
        results = service.identify_image(image_rgb)
        threshold = service.settings.identify_threshold
    faces = [{"box": list(r.face.box_xywh), "confidence": round(r.face.confidence, 4),
              "identity": r.match.name if r.match and r.match.accepted else None,
              "nearest": r.match.name if r.match else None,
              "distance": r.match.distance if r.match and r.match.person_id is not None else None}
             for r in results]
    if args.json:
        _emit_json({"faces": faces, "threshold": threshold})
    else:
        _print_faces(faces, args.image)
    return 0


def _print_faces(faces: list[dict], image: str) -> None:
    if not faces:
        print(f"no face found in {image}")
    for f in faces:
        who = f["identity"] or "not in the database"
        dist = f" (distance {f['distance']:.3f})" if f["distance"] is not None else ""
        print(f"face at {tuple(f['box'])}: {who}{dist}")


# --- access log ---------------------------------------------------------------------------
def _parse_since(text: str | None) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO time; without a UTC offset it means local time."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise KioskError(f"--since {text!r}: use YYYY-MM-DD or an ISO time like 2026-11-23T08:00") from None
    return moment  # without a zone it is local time, as in the store and the log dialog


EVENT_FIELDS = ["time", "mode", "claimed", "identity", "accepted", "distance", "detail"]


def _event_dict(e) -> dict:
    return {"time": e.time.isoformat(), "mode": e.mode, "claimed": e.claimed, "identity": e.identity,
            "accepted": e.accepted, "distance": e.distance, "detail": e.detail}


def cmd_events(args) -> int:
    with open_store(load_settings(args)) as store:
        rows = [_event_dict(e) for e in store.events(since=_parse_since(args.since), limit=args.limit)]
    if args.json:
        _emit_json(rows)
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=EVENT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for r in rows:
            dist = f"{r['distance']:.3f}" if r["distance"] is not None else "-"
            print(f"{r['time']}  {r['mode']:9} claimed={r['claimed'] or '-':12} "
                  f"identity={r['identity'] or '-':12} {'ACCEPTED' if r['accepted'] else 'rejected'} {dist}")
    return 0


# --- admin, gui, tools --------------------------------------------------------------------
def cmd_admin(args) -> int:
    from kiosk.admin_cli import set_pin

    with open_store(load_settings(args)) as store:
        return set_pin(store, from_stdin=args.pin_stdin)


def cmd_gui(args) -> int:
    from kiosk.ui.app import run_gui

    settings = load_settings(args)
    return run_gui(settings, camera=args.camera, mode=args.mode, fullscreen=bool(args.fullscreen),
                   quit_after_ms=args.quit_after_ms, demo=args.demo)


def cmd_benchmark_screen(args) -> int:
    """Run first thing in its process: its times count from the process start."""
    from kiosk.core.base.imageio import read_image_rgb
    from kiosk.selftest import builtin_frame_rgb, headless_defaults, portrait_path

    headless_defaults()
    from kiosk.ui.screen_benchmark import run

    return run(load_settings(args), read_image_rgb(portrait_path()), builtin_frame_rgb(),
               cycles=args.cycles, as_json=args.json)


def cmd_evaluate(args) -> int:
    from kiosk.core.evaluation.lfw import run_evaluate

    return run_evaluate(args, load_settings(args))


def cmd_calibrate(args) -> int:
    from kiosk.core.evaluation.lfw import run_calibrate

    return run_calibrate(args, load_settings(args))


def cmd_benchmark(args) -> int:
    from kiosk.core.evaluation.benchmark import run_benchmark

    return run_benchmark(args, load_settings(args))


def cmd_self_test(args) -> int:
    from kiosk.selftest import run_self_test

    return run_self_test(load_settings(args), args.images)
