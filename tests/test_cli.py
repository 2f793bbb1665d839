"""The command-line contract: outputs, exit codes, and bad input that changes nothing."""
import csv
import io
import json
import sqlite3
import sys

import numpy as np
import pytest
from PIL import Image

from kiosk import cli
from tests.conftest import REPO, SEED, seed_photo


@pytest.fixture
def kiosk_cli(engine, tmp_path, monkeypatch, capsys):
    """Run ``kiosk ...`` in-process on a fresh data dir, reusing the session's engine."""
    data_dir = tmp_path / "data"

    def run(*argv):
        code = cli.main(["--data-dir", str(data_dir), *map(str, argv)],
                        engine_factory=lambda settings: engine)
        out, err = capsys.readouterr()
        return code, out, err
    run.db = data_dir / "kiosk.sqlite3"
    return run


def snapshot(db) -> tuple:
    """Everything the store holds, to prove a failed command changed nothing."""
    if not db.exists():
        return ()
    with sqlite3.connect(db) as con:
        return tuple(con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
                     for t in ("people", "templates", "events"))


def two_faces(tmp_path):
    canvas = Image.new("RGB", (400, 220), (128, 128, 128))
    for x, name in ((10, "younes"), (210, "kian")):
        canvas.paste(Image.open(seed_photo(name)).convert("RGB").resize((180, 180)), (x, 20))
    path = tmp_path / "two.jpg"
    canvas.save(path)
    return path


def tiny_face(tmp_path):
    canvas = Image.new("RGB", (320, 240), (128, 128, 128))
    canvas.paste(Image.open(seed_photo("younes")).convert("RGB").resize((24, 24)), (150, 110))
    path = tmp_path / "tiny.jpg"
    canvas.save(path)
    return path


def no_face(tmp_path):
    path = tmp_path / "wall.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)).save(path)
    return path


def test_enroll_list_verify_identify_events(kiosk_cli):
    assert kiosk_cli("enroll", "younes", seed_photo("younes"), "--employee-id", "E7")[0] == 0
    assert kiosk_cli("enroll", "kian", seed_photo("kian"))[0] == 0
    code, out, _ = kiosk_cli("people", "list", "--json")
    assert {p["name"]: p["templates"] for p in json.loads(out)} == {"kian": 1, "younes": 1}
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "E7", "--json")
    result = json.loads(out)
    assert code == 0 and result["accepted"] and result["identity"] == "younes"
    assert {"identity", "distance", "accepted", "threshold"} <= result.keys()
    assert result["live_score"] >= 0.01  # passed the photo check: how far above its threshold
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "E7")
    assert code == 0 and out.startswith("accepted: the face is younes (distance ")
    assert "; live score " in out and " >= 0.01)" in out
    code, out, _ = kiosk_cli("verify", SEED / "camera_2.jpg", "--as", "kian")
    assert code == 1 and out.startswith("refused: the face is not kian (distance")
    code, out, _ = kiosk_cli("identify", SEED / "camera_0.jpg", "--json")
    face, = json.loads(out)["faces"]
    assert face["identity"] == "younes" and len(face["box"]) == 4 and face["distance"] < 1
    assert json.loads(kiosk_cli("events", "--json")[1]) == []  # checking photos is not a visit
    kiosk_cli("verify", SEED / "camera_2.jpg", "--as", "kian", "--log")
    kiosk_cli("identify", SEED / "camera_0.jpg", "--log")
    events = json.loads(kiosk_cli("events", "--json")[1])
    assert [(e["mode"], e["source"]) for e in events] == [("recognize", "cli"), ("verify", "cli")]
    assert {"time", "kiosk", "decision", "name", "employee_id", "claimed", "accepted",
            "distance", "reason"} <= events[0].keys()
    assert events[0]["name"] == "younes" and events[0]["employee_id"] == "E7"


def test_identify_reports_every_face(kiosk_cli, tmp_path):
    kiosk_cli("enroll", "younes", seed_photo("younes"))
    code, out, _ = kiosk_cli("identify", two_faces(tmp_path), "--json")
    faces = json.loads(out)["faces"]
    assert code == 0 and len(faces) == 2
    assert sorted(str(f["identity"]) for f in faces) == ["None", "younes"]


def test_enroll_is_all_or_nothing(kiosk_cli, tmp_path):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    before = snapshot(kiosk_cli.db)
    code, _, err = kiosk_cli("enroll", "younes", seed_photo("younes"), two_faces(tmp_path))
    assert code == 2 and "two.jpg" in err and "2 faces" in err and "nothing enrolled" in err
    assert snapshot(kiosk_cli.db) == before


def colleague_behind(tmp_path):
    """A portrait with a colleague's small face far behind (the issue's "2 faces found")."""
    canvas = Image.new("RGB", (480, 480), (128, 128, 128))
    canvas.paste(Image.open(seed_photo("younes")).convert("RGB").resize((330, 330)), (120, 130))
    canvas.paste(Image.open(seed_photo("kian")).convert("RGB").resize((60, 60)), (20, 20))
    path = tmp_path / "portrait.jpg"
    canvas.save(path)
    return path


def test_enroll_takes_the_dominant_face_and_says_which(kiosk_cli, tmp_path):
    code, out, _ = kiosk_cli("enroll", "younes", colleague_behind(tmp_path))
    took, enrolled = out.strip().splitlines()
    assert code == 0 and enrolled.startswith("enrolled younes: 1 new template")
    assert took.startswith("portrait.jpg: took the face at ") and "ignored 1 far smaller" in took
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "younes", "--json")
    assert json.loads(out)["accepted"]  # the portrait's face was taken, not the colleague's


BAD_IMAGES = {
    "missing": (lambda d: d / "nope.jpg", "no such file"),
    "text": (lambda d: (d / "notes.jpg").write_text("hi") and d / "notes.jpg", "not an image"),
    "truncated": (lambda d: (d / "cut.jpg").write_bytes((SEED / "kian.jpg").read_bytes()[:1500]) and d / "cut.jpg",
                  "truncated"),
    "no face": (no_face, "no face"),
    "several faces": (two_faces, "2 faces"),
    "tiny face": (tiny_face, "smaller than"),
    "9000x9000": (lambda d: Image.new("L", (9000, 9000)).save(d / "huge.png") or d / "huge.png",
                  "9000x9000"),
}


@pytest.mark.parametrize("kind", BAD_IMAGES)
def test_enroll_bad_image_changes_nothing(kiosk_cli, tmp_path, kind):
    make, message = BAD_IMAGES[kind]
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    before = snapshot(kiosk_cli.db)
    code, _, err = kiosk_cli("enroll", "younes", make(tmp_path))
    assert code == 2 and message in err
    assert snapshot(kiosk_cli.db) == before


@pytest.mark.parametrize("kind", ["missing", "text", "truncated", "9000x9000"])
def test_verify_and_identify_bad_input_exit_2(kiosk_cli, tmp_path, kind):
    make, message = BAD_IMAGES[kind]
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    before = snapshot(kiosk_cli.db)
    for argv in (("verify", make(tmp_path), "--as", "kian"), ("identify", make(tmp_path))):
        code, _, err = kiosk_cli(*argv)
        assert code == 2 and message in err
    assert snapshot(kiosk_cli.db) == before


def as_grey(tmp_path, name):
    path = tmp_path / f"{name}-grey.jpg"
    Image.open(seed_photo(name)).convert("L").save(path)
    return path


def as_rgba(tmp_path, name):
    path = tmp_path / f"{name}-rgba.png"
    Image.open(seed_photo(name)).convert("RGBA").save(path)
    return path


def as_16_bit(tmp_path, name):
    path = tmp_path / f"{name}-16bit.png"
    grey = np.asarray(Image.open(seed_photo(name)).convert("L"), dtype=np.uint16) * 257
    Image.fromarray(grey).save(path)
    return path


@pytest.mark.parametrize("convert", [as_grey, as_rgba, as_16_bit], ids=["grey", "rgba", "16-bit"])
def test_other_image_formats_work_like_the_original(kiosk_cli, tmp_path, convert, monkeypatch):
    """Greyscale, RGBA and 16-bit PNG are not bad input: they enrol, verify and identify."""
    # a grey picture looks flat to the photo check (live score ~0.004, refused as at the door):
    # the file formats are what is tested here
    monkeypatch.setenv("KIOSK_SECURITY_LEVEL", "off")
    assert kiosk_cli("enroll", "kian", seed_photo("kian"))[0] == 0
    assert kiosk_cli("enroll", "younes", convert(tmp_path, "younes"))[0] == 0
    code, out, _ = kiosk_cli("verify", convert(tmp_path, "younes"), "--as", "younes", "--json")
    assert code == 0 and json.loads(out)["distance"] < 0.05  # the same converted photo
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "younes", "--json")
    assert code == 0, out  # the colour camera shot still matches the converted enrolment
    code, out, _ = kiosk_cli("identify", convert(tmp_path, "kian"), "--json")
    assert [f["identity"] for f in json.loads(out)["faces"]] == ["kian"]


def test_verify_no_face_is_a_rejection(kiosk_cli, tmp_path):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    code, out, _ = kiosk_cli("verify", no_face(tmp_path), "--as", "kian", "--json")
    assert code == 1 and json.loads(out)["accepted"] is False and json.loads(out)["reason"] == "no face found"


def test_verify_unknown_person_is_bad_input(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    code, _, err = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "nobody")
    assert code == 2 and "nobody" in err


def test_people_rename_and_remove(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"), "--employee-id", "K1")
    assert kiosk_cli("people", "rename", "kian", "Kian Katanforoosh")[0] == 0
    code, out, _ = kiosk_cli("people", "remove", "K1")
    assert code == 0 and "Kian Katanforoosh" in out
    assert json.loads(kiosk_cli("people", "list", "--json")[1]) == []
    assert kiosk_cli("people", "remove", "K1")[0] == 2


def test_enroll_dir_skips_and_summarises(kiosk_cli, tmp_path):
    root = tmp_path / "staff"
    for name in ("younes", "kian"):
        (root / name).mkdir(parents=True)
        (root / name / f"{name}.jpg").write_bytes(seed_photo(name).read_bytes())
    (root / "kian" / "broken.jpg").write_text("not a photo")
    (root / "kian" / "notes.txt").write_text("badge 42")
    Image.open(seed_photo("younes")).save(root / "younes" / "second.webp")
    (root / "ghost").mkdir()
    code, out, _ = kiosk_cli("enroll-dir", root)
    assert code == 0 and "enrolled 2 of 3 people" in out
    assert "broken.jpg" in out and "notes.txt: not a photo" in out and "ghost" in out
    people = {p["name"]: p["templates"] for p in json.loads(kiosk_cli("people", "list", "--json")[1])}
    assert people == {"kian": 1, "younes": 2}  # .webp counts as a photo too


def test_enroll_dir_can_be_run_again_without_duplicates(kiosk_cli, tmp_path):
    root = tmp_path / "staff"
    for name in ("younes", "kian"):
        (root / name).mkdir(parents=True)
        Image.open(seed_photo(name)).save(root / name / f"{name}.png")
    assert kiosk_cli("enroll-dir", root)[0] == 0
    Image.open(seed_photo("younes")).save(root / "younes" / "same-pixels.bmp")  # re-saved copy
    Image.open(SEED / "camera_0.jpg").save(root / "younes" / "new.jpg")
    code, out, _ = kiosk_cli("enroll-dir", root)
    assert code == 0 and "enrolled 1 of 2 people" in out
    assert "already enrolled (same image content), left as they are: 3 photo(s)" in out
    assert "up to date: kian" in out
    people = {p["name"]: p["templates"] for p in json.loads(kiosk_cli("people", "list", "--json")[1])}
    assert people == {"kian": 1, "younes": 2}


def test_enroll_dir_stopped_by_a_full_disk_says_who_is_in_and_who_is_left(tmp_path):
    """The store's disk fills halfway (a file-size limit on the process: writes fail as on a
    full disk): the run stops, names who was enrolled and who was not, and those stay."""
    root, data = tmp_path / "staff", tmp_path / "data"
    names = ("andrew", "arnaud", "benoit", "bertrand", "dan", "felix")
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / f"{name}.jpg").write_bytes(seed_photo(name).read_bytes())
    run_kiosk("--data-dir", data, "identify", seed_photo("younes"))  # the store, the model files
    limit = (data / "kiosk.sqlite3").stat().st_size + 28_000
    done = run_kiosk("--data-dir", data, "enroll-dir", root, file_size_limit=limit)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: stopped at" in done.stderr and "disk" in done.stderr
    enrolled = done.stdout.split("enrolled before the stop: ")[1].split("\n")[0].split(", ")
    left = done.stdout.split("not done (stopped before them): ")[1].split("\n")[0].split(", ")
    assert enrolled and left and set(enrolled) | set(left) <= set(names)
    listed = json.loads(run_kiosk("--data-dir", data, "people", "list", "--json").stdout)
    assert sorted(p["name"] for p in listed) == sorted(enrolled)


def test_read_only_commands_work_on_a_folder_this_user_cannot_write(kiosk_cli, tmp_path):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    kiosk_cli("identify", SEED / "camera_0.jpg", "--log")
    data = kiosk_cli.db.parent
    before = sorted(p.name for p in data.iterdir())
    mode = data.stat().st_mode
    data.chmod(0o555)
    try:
        listed = run_kiosk("--data-dir", data, "people", "list", "--json", without_root=True)
        events = run_kiosk("--data-dir", data, "events", "--json", without_root=True)
    finally:
        data.chmod(mode)
    assert listed.returncode == 0, listed.stderr
    assert [p["name"] for p in json.loads(listed.stdout)] == ["kian"]
    assert events.returncode == 0 and len(json.loads(events.stdout)) == 1
    assert sorted(p.name for p in data.iterdir()) == before  # nothing written, not even -shm


@pytest.mark.parametrize("command", [["people", "list"], ["events"], ["report", "attendance", "--from",
                                     "2026-01-01", "--to", "2026-01-31"]])
def test_a_read_only_command_on_a_data_folder_with_no_store_says_so_and_creates_nothing(kiosk_cli, command):
    code, out, err = kiosk_cli(*command)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert f"no store at {kiosk_cli.db}" in err and "--data-dir" in err
    assert not kiosk_cli.db.parent.exists()


def test_a_data_folder_this_account_may_not_use_is_one_clear_line(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    data = kiosk_cli.db.parent
    mode = data.stat().st_mode
    data.chmod(0o000)  # as the Windows installer leaves it for accounts outside its group
    try:
        done = run_kiosk("--data-dir", data, "enroll", "younes", seed_photo("younes"), without_root=True)
    finally:
        data.chmod(mode)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"may not read and write the data folder {data}: ask an administrator" in done.stderr


def run_kiosk(*argv, file_size_limit: int | None = None, without_root: bool = False):
    """`python -m kiosk ARGV` in a child process, optionally with a limit on the size of the
    files it writes, or (when we are root) without root's power to ignore file permissions."""
    import os
    import resource
    import signal
    import subprocess
    import sys

    def limits():
        if file_size_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    prefix = []
    if without_root and os.geteuid() == 0:  # util-linux: drop the capabilities before exec
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
    return subprocess.run([*prefix, sys.executable, "-m", "kiosk", *map(str, argv)], cwd=REPO,
                          preexec_fn=limits, capture_output=True, text=True, timeout=300)


def test_events_csv_and_since(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    kiosk_cli("identify", SEED / "camera_0.jpg", "--log")
    code, out, _ = kiosk_cli("events", "--csv")
    assert out.splitlines()[0] == ("time,kiosk,source,mode,decision,result,name,employee_id,"
                                   "claimed,distance,reason")
    assert len(out.splitlines()) == 2
    assert kiosk_cli("events", "--json", "--since", "2999-01-01")[1].strip() == "[]"
    assert kiosk_cli("events", "--since", "yesterday")[0] == 2


def test_locked_database_refused_with_a_clear_message(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    before = snapshot(kiosk_cli.db)
    holder = sqlite3.connect(kiosk_cli.db)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = kiosk_cli("enroll", "younes", seed_photo("younes"))
    finally:
        holder.rollback()
        holder.close()
    assert code == 2 and "locked" in err
    assert snapshot(kiosk_cli.db) == before


def test_newer_schema_refused_and_untouched(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    with sqlite3.connect(kiosk_cli.db) as con:
        con.execute("PRAGMA user_version = 999")
    before = kiosk_cli.db.read_bytes()
    for argv in (("people", "list"), ("enroll", "younes", seed_photo("younes"))):
        code, _, err = kiosk_cli(*argv)
        assert code == 2 and "newer version" in err
    assert kiosk_cli.db.read_bytes() == before


def test_corrupt_weights_message(tmp_path, capsys):
    weights = tmp_path / "w"
    weights.mkdir()
    (weights / "facenet_keras.h5").write_bytes(b"\0" * 1000)
    code = cli.main(["--data-dir", str(tmp_path / "d"), "--weights-dir", str(weights),
                     "verify", str(SEED / "camera_0.jpg"), "--as", "x"])
    assert code == 2
    assert "corrupt" in capsys.readouterr().err
    code = cli.main(["--weights-dir", str(weights), "weights", "verify"])
    assert code == 2 and "kiosk weights fetch" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["people", "list", "--data-dir", "D"],
    ["people", "remove", "bob", "--data-dir", "D"],
    ["admin", "set-pin", "--data-dir", "D"],
    ["events", "--data-dir", "D", "--json"],
])
def test_nested_commands_take_the_global_flags_too(argv):
    assert cli.build_parser().parse_args(argv).data_dir == "D"


@pytest.mark.parametrize("argv", [
    ["--data-dir", "D", "--log-level", "info", "gui", "--demo"],
    ["gui", "--data-dir", "D", "--log-level", "info", "--demo"],  # how `python main.py --data-dir D` arrives
    ["--log-level", "debug", "gui", "--data-dir", "D", "--log-level", "info", "--demo"],  # the later one wins
])
def test_global_flags_work_before_or_after_the_command(argv):
    args = cli.build_parser().parse_args(argv)
    assert (args.command, args.data_dir, args.log_level, args.demo) == ("gui", "D", "info", True)


def test_a_command_without_global_flags_keeps_their_defaults():
    args = cli.build_parser().parse_args(["people", "list"])
    assert (args.data_dir, args.weights_dir, args.runtime, args.log_level) == (None, None, None, "WARNING")


def test_events_since_without_a_zone_is_local_time(kiosk_cli, monkeypatch):
    import time
    from datetime import datetime, timedelta

    monkeypatch.setenv("TZ", "Etc/GMT-14")  # UTC+14: a local/UTC mix-up is off by half a day
    time.tzset()
    try:
        kiosk_cli("enroll", "kian", seed_photo("kian"))
        kiosk_cli("identify", SEED / "camera_0.jpg", "--log")
        now_local = datetime.now()
        before = (now_local - timedelta(minutes=5)).isoformat(timespec="seconds")
        after = (now_local + timedelta(minutes=5)).isoformat(timespec="seconds")
        assert len(json.loads(kiosk_cli("events", "--json", "--since", before)[1])) == 1
        assert json.loads(kiosk_cli("events", "--json", "--since", after)[1]) == []
    finally:
        monkeypatch.undo()
        time.tzset()


# --- the command line checks, it does not enter; and it keeps its data as data -------------
def test_identify_on_a_photo_without_a_face_exits_1(kiosk_cli, tmp_path):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    code, out, _ = kiosk_cli("identify", no_face(tmp_path))
    assert code == 1 and "no face found" in out


def test_csv_exports_never_carry_a_formula(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"), "--employee-id", "=HYPERLINK(\"http://x\")")
    kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "=HYPERLINK(\"http://x\")", "--log")
    rows = list(csv.reader(io.StringIO(kiosk_cli("events", "--csv")[1])))
    claimed = rows[1][rows[0].index("claimed")]
    assert claimed == "'=HYPERLINK(\"http://x\")"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_names_with_invisible_or_too_many_characters_are_refused(kiosk_cli):
    for name in ("ki\u200ban", "x" * 65, "a\u202eb"):
        code, _, err = kiosk_cli("enroll", name, seed_photo("kian"))
        assert code == 2 and err.count("\n") == 1 and "nothing" not in kiosk_cli("people", "list")[1][:0]
    assert json.loads(kiosk_cli("people", "list", "--json")[1]) == []


def test_people_disable_enable_and_dates(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"), "--employee-id", "E8")
    assert kiosk_cli("people", "disable", "E8")[0] == 0
    code, out, _ = kiosk_cli("verify", SEED / "camera_2.jpg", "--as", "kian", "--json")
    assert kiosk_cli("people", "enable", "kian")[0] == 0
    code, out, _ = kiosk_cli("people", "set", "kian", "--employee-id", "E9",
                             "--valid-from", "2026-01-01", "--valid-until", "2026-01-31")
    assert code == 0 and "employee id E9" in out and "until 2026-01-31" in out
    person, = json.loads(kiosk_cli("people", "list", "--json")[1])
    assert (person["employee_id"], person["valid_until"], person["enabled"]) == ("E9", "2026-01-31", True)
    code, _, err = kiosk_cli("people", "set", "kian", "--valid-until", "31/01/2026")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = kiosk_cli("people", "set", "kian", "--valid-from", "2026-02-01")
    assert code == 2 and "before" in err
    code, _, err = kiosk_cli("people", "set", "kian", "--employee-id", "E10", "--valid-from", "2026-02-01")
    assert code == 2 and err.count("\n") == 1  # the id is not changed without the date: all or nothing
    assert json.loads(kiosk_cli("people", "list", "--json")[1])[0]["employee_id"] == "E9"
    code, _, err = kiosk_cli("people", "set", "kian")
    assert code == 2 and "nothing to set" in err


def test_a_disabled_person_is_refused_with_the_reason(kiosk_cli):
    kiosk_cli("enroll", "younes", seed_photo("younes"))
    kiosk_cli("people", "disable", "younes")
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "younes")
    assert code == 1 and out.startswith("refused: the face is younes, but disabled")


def test_identify_says_a_recognised_person_is_not_let_in_and_why(kiosk_cli):
    """The printed line agrees with the access-log row: recognised, but refused, and why."""
    kiosk_cli("enroll", "younes", seed_photo("younes"))
    kiosk_cli("people", "disable", "younes")
    code, out, _ = kiosk_cli("identify", seed_photo("younes"), "--log")
    assert code == 0 and out.rstrip().endswith("younes (distance 0.000): not let in: disabled")
    kiosk_cli("people", "enable", "younes")
    kiosk_cli("people", "set", "younes", "--valid-until", "2020-01-01")
    code, out, _ = kiosk_cli("identify", seed_photo("younes"))  # checked without --log too, as verify
    assert out.rstrip().endswith("younes (distance 0.000): not let in: valid until 2020-01-01")
    face, = json.loads(kiosk_cli("identify", seed_photo("younes"), "--json")[1])["faces"]
    assert (face["identity"], face["accepted"], face["decision"]) == ("younes", False, "not_active")
    assert face["reason"] == "younes: valid until 2020-01-01"  # the access log's reason, as verify --json
    code, out, _ = kiosk_cli("verify", seed_photo("younes"), "--as", "younes")
    assert code == 1 and out.startswith("refused: the face is younes, but valid until 2020-01-01")
    event, = json.loads(kiosk_cli("events", "--json")[1])
    assert (event["name"], event["accepted"], event["decision"]) == (None, False, "not_active")
    assert event["reason"] == "younes: disabled"


def test_purge_backup_and_repair(kiosk_cli, tmp_path):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    kiosk_cli("identify", SEED / "camera_0.jpg", "--log")
    code, out, _ = kiosk_cli("store", "backup", tmp_path / "copy.sqlite3")
    assert code == 0 and (tmp_path / "copy.sqlite3").stat().st_size > 0
    code, out, _ = kiosk_cli("events", "--purge-before", "2999-01-01")
    assert code == 0 and "purged 1 access-log row" in out
    assert json.loads(kiosk_cli("events", "--json")[1]) == []
    code, out, _ = kiosk_cli("store", "repair")
    assert code == 0 and "saved 1 people" in out and "damaged file is kept" in out
    assert [p["name"] for p in json.loads(kiosk_cli("people", "list", "--json")[1])] == ["kian"]


def test_reset_pin_needs_no_old_pin_and_a_short_pin_is_refused(kiosk_cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("135790\n135790\n"))
    assert kiosk_cli("admin", "set-pin", "--pin-stdin")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("2468\n2468\n"))
    code, _, err = kiosk_cli("admin", "reset-pin", "--pin-stdin")
    assert code == 2 and "6 to 12 digits" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("246813\n246813\n"))
    assert kiosk_cli("admin", "reset-pin", "--pin-stdin")[:2] == (0, "admin PIN reset\n")


def test_door_test_fires_the_output_once_after_the_pin(kiosk_cli, tmp_path, monkeypatch):
    out = tmp_path / "fired.json"
    script = tmp_path / "open.py"
    script.write_text("import sys, pathlib\npathlib.Path(sys.argv[1]).write_text(sys.stdin.read())\n")
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "settings.toml").write_text(
        f"door_output = 'command'\ndoor_command = '\"{sys.executable}\" \"{script}\" \"{out}\"'\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("135790\n135790\n"))
    kiosk_cli("admin", "set-pin", "--pin-stdin")
    monkeypatch.setattr("sys.stdin", io.StringIO("000000\n"))
    assert kiosk_cli("door", "test", "--pin-stdin")[0] == 2 and not out.exists()
    monkeypatch.setattr("sys.stdin", io.StringIO("135790\n"))
    code, printed, _ = kiosk_cli("door", "test", "--pin-stdin", "--seconds", "2")
    assert code == 0 and "ok" in printed.lower()
    fired = json.loads(out.read_text())
    assert fired["test"] is True and fired["duration_s"] == 2.0 and fired["event_id"] == 0


def test_weights_verify_refuses_a_planted_export(tmp_path, settings):
    """A fake LiteRT file in the weights folder once made everyone "younes"."""
    import shutil

    from kiosk.core.embedding import facenet_litert
    from kiosk.core.models import exports

    folder = tmp_path / "weights"
    folder.mkdir()
    real = facenet_litert.export_path(settings.weights_path, "litert-int8")
    needed = [real, *settings.weights_path.glob("mtcnn-*.tflite")]  # the detector's exports too
    for path in needed:
        shutil.copy(path, folder / path.name)
    recorded = exports.recorded(settings.weights_path)
    (folder / exports.MANIFEST_NAME).write_text(json.dumps({p.name: recorded[p.name] for p in needed}))
    verified = run_kiosk("--weights-dir", folder, "weights", "verify")
    assert verified.returncode == 0 and verified.stdout.count("ok: ") == 6, verified.stdout + verified.stderr  # + 2 PAD
    (folder / real.name).write_bytes(b"TFL3" + b"\0" * 2600)  # the 2.6 KB fake
    done = run_kiosk("--weights-dir", folder, "weights", "verify")
    assert done.returncode == 2 and "has changed since it was built" in done.stderr
    done = run_kiosk("--weights-dir", folder, "--data-dir", tmp_path / "d", "identify", seed_photo("kian"))
    assert done.returncode == 2 and "has changed since it was built" in done.stderr


def test_weights_verify_checks_the_anti_spoofing_models_too(tmp_path, settings, monkeypatch, capsys):
    import shutil

    from kiosk.core.base.paths import committed_weights_dir
    from kiosk.core.base.specs import DEFAULT_PAD

    argv = ["--weights-dir", str(settings.weights_path), "weights", "verify"]
    bundle = tmp_path / "bundle"  # an installed program whose committed files are copies
    (bundle / "weights").mkdir(parents=True)
    for model in DEFAULT_PAD.models:
        shutil.copy(committed_weights_dir() / model.file, bundle / "weights" / model.file)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert all(f"ok: {bundle / 'weights' / m.file} (anti-spoofing model" in out for m in DEFAULT_PAD.models)
    damaged = bundle / "weights" / DEFAULT_PAD.models[1].file
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"the anti-spoofing model {damaged} is damaged" in err and len(err.strip().splitlines()) == 1


# --- a printed photo of an enrolled person (real NUAA captures from ../shared/testdata/pad) -----
PAD = SEED.parent / "pad"
NUAA_1_LIVE = PAD / "live" / "imironica_liveness_0001_00_00_01_127.jpg"  # enrolled
NUAA_1_LIVE_AGAIN = PAD / "live" / "imironica_liveness_0001_00_00_01_376.jpg"
NUAA_1_PRINT = PAD / "attack" / "imironica_liveness_0001_00_00_01_382.jpg"  # the same person, printed
PHOTO_REASON = "this looks like a photo or a screen (live score 0.0000 < 0.01)"


def test_verify_refuses_a_printed_photo_with_or_without_log_and_says_why(kiosk_cli):
    """Without --log the photo check was skipped and a print of the badge holder was "accepted"."""
    assert kiosk_cli("enroll", "nuaa1", NUAA_1_LIVE)[0] == 0
    code, out, _ = kiosk_cli("verify", NUAA_1_PRINT, "--as", "nuaa1")
    assert (code, out.strip()) == (1, f"refused: the face is nuaa1, but {PHOTO_REASON}")
    code, out, _ = kiosk_cli("verify", NUAA_1_PRINT, "--as", "nuaa1", "--json")
    result = json.loads(out)
    assert code == 1 and result["accepted"] is False and result["decision"] == "attack"
    assert result["identity"] == "nuaa1" and "live score 0.0000 < 0.01" in result["reason"]
    assert json.loads(kiosk_cli("events", "--json")[1]) == []  # still not a visit
    code, logged, _ = kiosk_cli("verify", NUAA_1_PRINT, "--as", "nuaa1", "--log")
    assert (code, logged.strip()) == (1, f"refused: the face is nuaa1, but {PHOTO_REASON}")
    event, = json.loads(kiosk_cli("events", "--json")[1])
    assert (event["accepted"], event["decision"]) == (False, "attack") and "0.0000 < 0.01" in event["reason"]
    code, out, _ = kiosk_cli("verify", NUAA_1_LIVE_AGAIN, "--as", "nuaa1")
    assert code == 0 and out.startswith("accepted: the face is nuaa1")


def test_identify_says_a_printed_photo_is_not_let_in_with_or_without_log(kiosk_cli):
    kiosk_cli("enroll", "nuaa1", NUAA_1_LIVE)
    for log in ((), ("--log",)):
        code, out, _ = kiosk_cli("identify", NUAA_1_PRINT, *log)
        assert code == 0 and "nuaa1 (distance" in out and out.rstrip().endswith(f": not let in: {PHOTO_REASON}")
    face, = json.loads(kiosk_cli("identify", NUAA_1_PRINT, "--json")[1])["faces"]
    assert (face["identity"], face["accepted"], face["decision"]) == ("nuaa1", False, "attack")
    assert "live score 0.0000 < 0.01" in face["reason"]
    event, = json.loads(kiosk_cli("events", "--json")[1])
    assert (event["accepted"], event["decision"]) == (False, "attack")
    face, = json.loads(kiosk_cli("identify", NUAA_1_LIVE_AGAIN, "--json")[1])["faces"]
    assert face["identity"] == "nuaa1" and face["accepted"] is True


def test_a_backup_into_a_folder_this_user_cannot_write_names_that_folder(tmp_path):
    from kiosk.core.storage.sqlite import SqliteStore
    data, shelf = tmp_path / "data", tmp_path / "shelf"
    SqliteStore.open(data / "kiosk.sqlite3").close()
    shelf.mkdir()
    shelf.chmod(0o555)
    try:
        done = run_kiosk("--data-dir", data, "store", "backup", shelf / "copy.sqlite3", without_root=True)
    finally:
        shelf.chmod(0o755)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"cannot write the backup {shelf / 'copy.sqlite3'} in {shelf}" in done.stderr
    assert list(shelf.iterdir()) == []


def test_a_bad_choice_lists_the_choices_in_plain_words(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["evaluate-pad", "--live", "x", "--attack", "y", "--level", "bogus"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "'off', 'passive', 'passive+challenge'" in err and "SecurityLevel" not in err


def test_at_the_head_turn_level_a_photo_accepted_says_the_turn_was_not_checked(kiosk_cli, monkeypatch):
    kiosk_cli("enroll", "younes", seed_photo("younes"))
    monkeypatch.setenv("KIOSK_SECURITY_LEVEL", "passive+challenge")
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "younes")
    assert code == 0 and out.startswith("accepted: the face is younes")
    assert out.rstrip().endswith("the head turn of passive+challenge needs the live camera: not checked")
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "younes", "--json")
    assert json.loads(out)["head_turn"] == "the head turn of passive+challenge needs the live camera: not checked"
    monkeypatch.setenv("KIOSK_SECURITY_LEVEL", "passive")
    code, out, _ = kiosk_cli("verify", SEED / "camera_0.jpg", "--as", "younes", "--json")
    assert code == 0 and json.loads(out)["head_turn"] is None
