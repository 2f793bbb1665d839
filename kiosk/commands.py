"""Handlers of the ``kiosk`` sub-commands (parsing lives in ``kiosk.cli``)."""
from __future__ import annotations

import csv
import json
import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
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
def open_store(settings, read_only: bool = False):
    from kiosk.core.storage.store import open_store as open_backend

    store = open_backend(settings, read_only=read_only)
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
        yield FrontDesk(store, settings, engine=args.engine_factory(settings))


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
    with open_store(load_settings(args), read_only=args.action == "list") as store:
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
    with open_desk(args) as desk:
        files = desk.encode_files(args.images)
        if files.errors:
            print(f"error: nothing enrolled — {files.errors[0]}", file=sys.stderr)
            return 2
        person = desk.enrol(args.name, files.shots, args.employee_id)
    print(f"enrolled {person.name}" + (f" ({person.employee_id})" if person.employee_id else "")
          + f": {len(files.shots)} new template(s), {person.template_count} in all")
    return 0


def _person_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        raise KioskError(f"{root}: not a folder")
    return sorted(d for d in root.iterdir() if d.is_dir())


def _photos_of(folder: Path, skipped: list[str]) -> list[Path]:
    photos = []
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            photos.append(path)
        else:
            skipped.append(f"{path}: not a photo (takes {', '.join(IMAGE_SUFFIXES)})")
    return photos


def _enrol_person_dir(desk, folder: Path, skipped: list[str]) -> tuple[str, int]:
    """Enrol one person's folder: ("enrolled" | "up to date" | "skipped", photos already in)."""
    files = desk.encode_files(_photos_of(folder, skipped), skip_enrolled_of=folder.name)
    skipped.extend(files.errors)
    already = len(files.already_enrolled)
    if files.shots:
        desk.enrol(folder.name, files.shots)
        return "enrolled", already
    if already:
        return "up to date", already
    skipped.append(f"{folder}: no usable photo, person not enrolled")
    return "skipped", 0


def cmd_enroll_dir(args) -> int:
    from tqdm import tqdm

    folders = _person_dirs(Path(args.directory))
    run = EnrolDirRun(folders)
    with open_desk(args) as desk:
        try:
            for folder in tqdm(folders, desc="enrolling", unit="person", file=sys.stderr):
                run.done[folder.name], already = _enrol_person_dir(desk, folder, run.skipped)
                run.already += already
        except KioskError as exc:
            print(run.summary())
            print(f"error: stopped at {folder.name}: {exc}", file=sys.stderr)
            return 2
    print(run.summary())
    return 0 if {"enrolled", "up to date"} & set(run.done.values()) else 2


@dataclass
class EnrolDirRun:
    """What `enroll-dir` did so far, for its summary (also when it stops on an error)."""

    folders: list[Path]
    done: dict[str, str] = field(default_factory=dict)  # folder name -> outcome
    skipped: list[str] = field(default_factory=list)
    already: int = 0  # photos skipped because they are enrolled already

    def names(self, outcome: str) -> list[str]:
        return [name for name, state in self.done.items() if state == outcome]

    def summary(self) -> str:
        enrolled, left = self.names("enrolled"), [f.name for f in self.folders if f.name not in self.done]
        lines = [f"enrolled {len(enrolled)} of {len(self.folders)} people; skipped {len(self.skipped)} item(s)"]
        if self.already:
            lines.append(f"  already enrolled (same image content), left as they are: {self.already} photo(s)"
                         f"; up to date: {', '.join(self.names('up to date')) or '-'}")
        lines += [f"  skipped: {reason}" for reason in self.skipped]
        if left:
            lines.append(f"  not done (stopped before them): {', '.join(left)}")
            lines.append(f"  enrolled before the stop: {', '.join(enrolled) or 'nobody'}")
        return "\n".join(lines)


# --- decisions ----------------------------------------------------------------------------
def cmd_verify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_desk(args) as desk:
        verdict = desk.verify_photo(image_rgb, args.claim)
        threshold = desk.settings.verify_threshold
    match, name = verdict.match, verdict.person.name
    accepted = verdict.decision.accepted
    if args.json:
        _emit_json({"claimed": args.claim, "identity": name, "employee_id": verdict.person.employee_id,
                    "distance": match.distance if match else None, "accepted": accepted, "threshold": threshold,
                    "faces_in_image": verdict.faces_in_image,
                    "box": list(verdict.face.box_xywh) if verdict.face else None,
                    "reason": None if match else "no face found"})
    elif match is None:
        print(f"no face found in {args.image}: cannot verify {name}")
    elif accepted:
        print(f"It's {name}, welcome in! (distance {match.distance:.3f} <= {threshold:.2f})")
    else:
        print(f"It's not {name}, please go away (distance {match.distance:.3f} > {threshold:.2f})")
    return 0 if accepted else 1


def cmd_identify(args) -> int:
    from kiosk.core.base.imageio import read_image_rgb

    image_rgb = read_image_rgb(args.image)
    with open_desk(args) as desk:
        results = desk.identify_photo(image_rgb)
        threshold = desk.settings.identify_threshold
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
    with open_store(load_settings(args), read_only=True) as store:
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


def _progress(args):
    """A progress bar on stderr for long loops (not with --json, whose output is read by programs)."""
    from tqdm import tqdm

    if getattr(args, "json", False):
        return iter
    return lambda items: tqdm(items, desc="detecting", unit="img", file=sys.stderr)


def cmd_evaluate(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation.lfw import evaluate_pairs

    settings = load_settings(args)
    run = evaluate_pairs(args.engine_factory(settings), Path(args.pairs), Path(args.images),
                         settings.verify_threshold, runtime=settings.runtime, limit=args.limit,
                         margin=args.margin, align=args.align,
                         baseline_pixel=args.baseline == "pixel",
                         plot=Path(args.plot) if args.plot else None, progress=_progress(args))
    print(json.dumps(run.to_json_dict(), indent=2, default=str) if args.json
          else formatting.evaluation_run(run))
    return 0


def cmd_calibrate(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation.lfw import calibrate_pairs

    settings = load_settings(args)
    run = calibrate_pairs(args.engine_factory(settings), Path(args.pairs), Path(args.images),
                          args.far, runtime=settings.runtime, progress=_progress(args))
    print(json.dumps(run.to_json_dict(), indent=2) if args.json else formatting.calibration_run(run))
    return 0


def cmd_benchmark(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation import benchmark

    summary = benchmark.run(load_settings(args), Path(args.image) if args.image else None,
                            args.repeats, Path(args.lfw) if args.lfw else None)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(formatting.benchmark(summary))
    if "lfw_devtest" in summary:
        print(formatting.runtime_accuracy(summary["lfw_devtest"]))
    return 0


def cmd_self_test(args) -> int:
    from kiosk.selftest import run_self_test

    return run_self_test(load_settings(args), args.images)
