"""The command-line contract: outputs, exit codes, and bad input that changes nothing."""
import json
import sqlite3

import numpy as np
import pytest
from PIL import Image

from kiosk import cli, commands
from tests.conftest import SEED, seed_photo


@pytest.fixture
def kiosk_cli(engine, tmp_path, monkeypatch, capsys):
    """Run ``kiosk ...`` in-process on a fresh data dir, reusing the session's engine."""
    monkeypatch.setattr(commands, "build_engine", lambda settings: engine)
    data_dir = tmp_path / "data"

    def run(*argv):
        code = cli.main(["--data-dir", str(data_dir), *map(str, argv)])
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
    code, out, _ = kiosk_cli("verify", SEED / "camera_2.jpg", "--as", "kian")
    assert code == 1 and "It's not kian, please go away" in out
    code, out, _ = kiosk_cli("identify", SEED / "camera_0.jpg", "--json")
    face, = json.loads(out)["faces"]
    assert face["identity"] == "younes" and len(face["box"]) == 4 and face["distance"] < 1
    code, out, _ = kiosk_cli("events", "--json")
    events = json.loads(out)
    assert [e["mode"] for e in events] == ["recognize", "verify", "verify"]  # newest first
    assert {"time", "mode", "claimed", "identity", "accepted", "distance"} <= events[0].keys()


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
def test_other_image_formats_work_like_the_original(kiosk_cli, tmp_path, convert):
    """Greyscale, RGBA and 16-bit PNG are not bad input: they enrol, verify and identify."""
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


def test_events_csv_and_since(kiosk_cli):
    kiosk_cli("enroll", "kian", seed_photo("kian"))
    kiosk_cli("identify", SEED / "camera_0.jpg")
    code, out, _ = kiosk_cli("events", "--csv")
    assert out.splitlines()[0].startswith("time,mode,claimed,identity,accepted,distance")
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
        kiosk_cli("identify", SEED / "camera_0.jpg")
        now_local = datetime.now()
        before = (now_local - timedelta(minutes=5)).isoformat(timespec="seconds")
        after = (now_local + timedelta(minutes=5)).isoformat(timespec="seconds")
        assert len(json.loads(kiosk_cli("events", "--json", "--since", before)[1])) == 1
        assert json.loads(kiosk_cli("events", "--json", "--since", after)[1]) == []
    finally:
        monkeypatch.undo()
        time.tzset()
