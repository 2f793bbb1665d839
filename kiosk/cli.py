"""The ``kiosk`` command line: a thin layer over ``kiosk.core``.

Exit codes: 0 success / accepted, 1 rejected (including "no face" in verify), 2 bad input or
any other expected failure (the message says what and how to fix it), 3 unexpected error.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Callable, Sequence

from kiosk import __version__
from kiosk.core.base.errors import KioskError
from kiosk.core.base.vocabulary import Mode, Runtime, SecurityLevel

log = logging.getLogger("kiosk")

# One BLAS thread: the program's matrix products are small (a probe against the gallery), and
# on a busy 2-core kiosk a second BLAS thread waiting for a core cost 12 ms where one thread
# takes 2 ms (100,000 templates; `kiosk benchmark`). Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _add_global_flags(parser: argparse.ArgumentParser, *, on_command: bool = False) -> None:
    """The flags every command takes, before or after its name (``kiosk gui --data-dir D``).

    On a command's own parser they default to SUPPRESS, so that a flag given before the
    command name is not overwritten by the command parser's default.
    """
    def default(value):
        return argparse.SUPPRESS if on_command else value

    parser.add_argument("--data-dir", default=default(None),
                        help="where the store and settings live (default: per-user data dir)")
    parser.add_argument("--weights-dir", default=default(None),
                        help="where the weights are cached (default: per-user cache dir)")
    parser.add_argument("--store", default=default(None), metavar="URL",
                        help="postgresql://user@host:port/db for a server shared by several kiosks"
                             " (default: the SQLite file in the data folder)")
    parser.add_argument("--runtime", choices=[str(r) for r in Runtime], default=default(None), help="embedding runtime")
    parser.add_argument("--log-level", default=default("WARNING"), help="DEBUG, INFO, WARNING (default), ERROR")


def _people_parser(sub) -> None:
    people = sub.add_parser("people", help="list, rename, remove, disable or enable people; set id and dates")
    actions = people.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="everyone enrolled, with template counts").add_argument(
        "--json", action="store_true")
    remove = actions.add_parser("remove", help="remove a person and all their templates, erased from the file")
    remove.add_argument("who", metavar="NAME_OR_ID")
    remove.add_argument("--keep-name-in-log", action="store_true",
                        help="keep their name in the access log (default: a pseudonym replaces it)")
    rename = actions.add_parser("rename", help="change a person's display name")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    for action, text in (("disable", "refuse this person at the door (kept enrolled)"),
                         ("enable", "let this person in again")):
        actions.add_parser(action, help=text).add_argument("who", metavar="NAME_OR_ID")
    edit = actions.add_parser("set", help="change the employee id or the dates a person may come in")
    edit.add_argument("who", metavar="NAME_OR_ID")
    edit.add_argument("--employee-id", metavar="ID", help="the new employee id (- removes it)")
    edit.add_argument("--valid-from", metavar="DATE", help="first day they may come in (- for none)")
    edit.add_argument("--valid-until", metavar="DATE", help="last day they may come in (- for none)")


def _engine_commands(sub) -> None:
    enroll = sub.add_parser("enroll", help="enrol a person from one or more photos (all or nothing)")
    enroll.add_argument("name")
    enroll.add_argument("images", nargs="+", metavar="IMAGE")
    enroll.add_argument("--employee-id")
    enroll_dir = sub.add_parser("enroll-dir", help="enrol many people from DIR/<name>/<photos>")
    enroll_dir.add_argument("directory", metavar="DIR")
    verify = sub.add_parser("verify", help="1:1 — is the person in IMAGE who they claim to be?")
    verify.add_argument("image", metavar="IMAGE")
    verify.add_argument("--as", dest="claim", required=True, metavar="NAME_OR_ID")
    verify.add_argument("--json", action="store_true")
    identify = sub.add_parser("identify", help="1:N — who is in IMAGE (every face)?")
    identify.add_argument("image", metavar="IMAGE")
    identify.add_argument("--json", action="store_true")
    for command in (verify, identify):
        command.add_argument("--log", action="store_true",
                             help="also write the decision into the access log (source: cli)")


def _tool_commands(sub) -> None:
    _evaluation_commands(sub)
    _benchmark_commands(sub)
    weights = sub.add_parser("weights", help="download or check the FaceNet weights")
    weights.add_argument("action", choices=("fetch", "verify", "path"),
                         help="fetch: download the weights and build the exports; verify: check every model file")
    weights.add_argument("--force", action="store_true", help="download again even if present")
    _log_commands(sub)


def _evaluation_commands(sub) -> None:
    """The accuracy measurements: faces, the photo check, the head turn, the detector."""
    evaluate = sub.add_parser("evaluate", help="accuracy on LFW-format labelled pairs")
    evaluate.add_argument("--pairs", required=True, help="pairs file (LFW View 1 or View 2 layout)")
    evaluate.add_argument("--images", required=True, help="folder holding <Name>/<Name>_NNNN.jpg")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--plot", metavar="PNG", help="write the ROC curve here")
    evaluate.add_argument("--baseline", choices=("pixel",), help="also run the course's naive pixel verifier")
    evaluate.add_argument("--align", action="store_true", help="level the eyes before cropping")
    evaluate.add_argument("--margin", type=float, help="crop margin, fraction of the box (default: the model's)")
    evaluate.add_argument("--limit", type=int, help="use only the first N pairs of each kind (quick runs)")
    calibrate = sub.add_parser("calibrate", help="thresholds at given false-accept rates, from every image pair")
    calibrate.add_argument("--pairs", required=True, help="pairs file whose images are used")
    calibrate.add_argument("--images", required=True)
    calibrate.add_argument("--far", type=float, nargs="+", default=[1e-2, 1e-3, 1e-4, 1e-5])
    calibrate.add_argument("--json", action="store_true")
    pad = sub.add_parser("evaluate-pad", help="APCER/BPCER of the anti-spoofing check on photo folders")
    pad.add_argument("--live", required=True, metavar="DIR", help="photos of live people")
    pad.add_argument("--attack", required=True, metavar="DIR", help="photos of prints and screens")
    pad.add_argument("--level", choices=[str(s) for s in SecurityLevel], help="security level (default: the setting)")
    pad.add_argument("--json", action="store_true")
    pad.add_argument("--plot", metavar="PNG", help="write the DET curve here")
    challenge = sub.add_parser(
        "evaluate-challenge", help="the head-turn challenge against flat pictures and real turns")
    challenge.add_argument("--photos", required=True, nargs="+", metavar="DIR",
                           help="photos (one face each) to hold up as prints and phones")
    challenge.add_argument("--pairs", metavar="FILE",
                           help="LFW-format pairs file whose same-person pairs give the real turns")
    challenge.add_argument("--images", metavar="DIR", help="folder holding <Name>/<Name>_NNNN.jpg")
    challenge.add_argument("--attempts", type=int, metavar="N",
                           help="attempts per photo (default: enough for 200 in all)")
    challenge.add_argument("--frames", type=int, metavar="N",
                           help="frames per attempt (default: the whole timeout at 15 fps)")
    challenge.add_argument("--seed", type=int, default=0, help="seed of the simulation (default 0)")
    challenge.add_argument("--json", action="store_true")
    _evaluate_detector_parser(sub)


def _benchmark_commands(sub) -> None:
    """The speed measurements: the stages, the window, a shared server."""
    benchmark = sub.add_parser("benchmark", help="speed of detection, embedding and matching")
    benchmark.add_argument("--json", action="store_true")
    benchmark.add_argument("--repeats", type=int, default=30)
    benchmark.add_argument("--image", help="a photo with one face (default: matplotlib's sample portrait)")
    benchmark.add_argument("--lfw", metavar="DIR", help="also compare fp32 and int8 accuracy on DIR/pairsDevTest.txt")
    screen = sub.add_parser("benchmark-screen",
                            help="the front desk's speed: window, ready, preview fps, decision latency")
    screen.add_argument("--json", action="store_true")
    screen.add_argument("--cycles", type=int, default=10, help="times a face walks in (default 10)")
    screen.add_argument("--fullscreen", action="store_true", help="on the whole screen, as a kiosk shows it")
    bench_store = sub.add_parser("benchmark-store",
                                 help="simulated kiosks against a PostgreSQL server on this machine")
    bench_store.add_argument("--kiosks", type=int, default=10, help="simulated kiosks (default 10)")
    bench_store.add_argument("--seconds", type=float, default=120.0, help="how long (default 120)")
    bench_store.add_argument("--change-every", type=float, default=60.0, metavar="S",
                             help="each kiosk changes the gallery every S seconds (default 60)")
    bench_store.add_argument("--json", action="store_true")


def _log_commands(sub) -> None:
    """The access log and the reports made from it."""
    events = sub.add_parser("events", help="the access log, newest first")
    fmt = events.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    events.add_argument("--since", metavar="DATE", help="YYYY-MM-DD or an ISO time")
    events.add_argument("--kiosk", metavar="NAME", help="only the rows of this kiosk")
    events.add_argument("--limit", type=int)
    events.add_argument("--purge-before", metavar="DATE", help="delete the rows older than DATE")
    report = sub.add_parser("report", help="reports from the access log")
    kinds = report.add_subparsers(dest="kind", required=True)
    attendance = kinds.add_parser("attendance", help="first and last entry per person per day")
    attendance.add_argument("--from", dest="start", required=True, metavar="DATE")
    attendance.add_argument("--to", dest="end", required=True, metavar="DATE")
    attendance.add_argument("--kiosk", metavar="NAME", help="only this kiosk's entries")
    form = attendance.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true")
    attendance.add_argument("--plot", metavar="PNG", help="write the arrivals-per-day chart here")


def _evaluate_detector_parser(sub) -> None:
    detector = sub.add_parser(
        "evaluate-detector", help="false faces of the face detector on face-free pictures (and LFW), "
                                  "by ONet threshold and smallest face: the study behind its defaults")
    detector.add_argument("--face-free", required=True, nargs="+", metavar="DIR",
                          help="folders of pictures showing no face (searched recursively; jpg, png, webp, tif)")
    detector.add_argument("--lfw", metavar="DIR", help="also count extra detections on <Name>/<Name>_NNNN.jpg")
    detector.add_argument("--thresholds", metavar="LIST",
                          help="ONet scores, comma-separated (default 0.8,0.9,0.95)")
    detector.add_argument("--min-sizes", metavar="LIST",
                          help="smallest face sizes in px, comma-separated (default 20,40)")
    detector.add_argument("--json", action="store_true")


def _app_commands(sub) -> None:
    admin = sub.add_parser("admin", help="admin PIN")
    admin_actions = admin.add_subparsers(dest="action", required=True)
    set_pin = admin_actions.add_parser("set-pin", help="set or change the admin PIN")
    reset_pin = admin_actions.add_parser(
        "reset-pin", help="forgotten PIN: set a new one without the old (needs access to the data folder)")
    for parser in (set_pin, reset_pin):
        parser.add_argument("--pin-stdin", action="store_true", help="read the PIN lines from stdin")
    store = sub.add_parser("store", help="back up, repair, or copy the store to a server")
    store_actions = store.add_subparsers(dest="action", required=True)
    store_actions.add_parser("backup", help="a consistent copy, made while the kiosk runs").add_argument("file", metavar="FILE")
    store_actions.add_parser("repair", help="save what can be read of a damaged store into a fresh one")
    store_actions.add_parser(
        "copy", help="copy the SQLite store (people, templates, log, settings) into an empty server database"
    ).add_argument("--to", required=True, metavar="URL", help="postgresql://user@host:port/db")
    door = sub.add_parser("door", help="the door output")
    door_actions = door.add_subparsers(dest="action", required=True)
    test = door_actions.add_parser("test", help="fire the configured door output once (asks the admin PIN)")
    test.add_argument("--seconds", type=float, help="how long to hold it open (default: the door-open time)")
    test.add_argument("--pin-stdin", action="store_true", help="read the admin PIN from stdin")
    gui = sub.add_parser("gui", help="open the front-desk screen")
    gui.add_argument("--camera", metavar="SOURCE", help="camera index, video file or folder of images")
    gui.add_argument("--mode", choices=[str(m) for m in Mode])
    gui.add_argument("--fullscreen", action="store_true", default=None)
    gui.add_argument("--demo", action="store_true",
                     help="no webcam, no model: colour cards play the people (a throw-away store)")
    gui.add_argument("--quit-after-ms", type=int, help=argparse.SUPPRESS)
    selftest = sub.add_parser("self-test", help="check weights, detector, pipeline and window; exit 0 if all work")
    selftest.add_argument("images", nargs="*", metavar="IMAGE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="FaceNet front-desk kiosk")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    _add_global_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _people_parser(sub)
    _engine_commands(sub)
    _tool_commands(sub)
    _app_commands(sub)
    for command in _command_parsers(sub):
        _add_global_flags(command, on_command=True)
    return parser


def _command_parsers(sub) -> list[argparse.ArgumentParser]:
    """Every command's parser, nested ones too (``people list``, ``admin set-pin``)."""
    found = []
    for parser in sub.choices.values():
        found.append(parser)
        for action in parser._actions:  # argparse has no public way to list sub-parsers
            if isinstance(action, argparse._SubParsersAction):
                found += _command_parsers(action)
    return found


def _handler(command: str) -> Callable:
    from kiosk import commands

    return getattr(commands, "cmd_" + command.replace("-", "_"))


def _quiet_native_logs() -> None:
    """TensorFlow's C++ start-up chatter (CPU features, oneDNN) is noise to a kiosk user."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _load_engine(settings):
    from kiosk.core.recognition.engine import Engine

    return Engine.load(settings)


def main(argv: Sequence[str] | None = None, *, engine_factory: Callable | None = None) -> int:
    """Run one command; ``engine_factory(settings) -> Engine`` builds the models (tests pass
    one that reuses a loaded engine)."""
    _quiet_native_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.engine_factory = engine_factory or _load_engine
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 0
    try:
        return _handler(args.command)(args)
    except KioskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk events | head`: the reader has all it wanted
        sys.stderr.close()
        return 0
    except Exception:  # unexpected: keep the traceback for the log
        log.exception("unexpected error in `kiosk %s`", args.command)
        return 3


if __name__ == "__main__":
    sys.exit(main())
