"""Admin side of the screen with the colour-card fakes: PIN gate, enrolment, people, log,
settings, full-screen kiosk mode."""
import csv
import gc
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import PySide6  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QDate,
    QObject,
    Qt,  # noqa: E402
    Signal,
)
from PySide6.QtWidgets import QDialog, QDialogButtonBox  # noqa: E402

from kiosk.core.base.errors import SettingsError, StoreError  # noqa: E402
from kiosk.core.base.settings import load  # noqa: E402
from kiosk.core.base.vocabulary import DecisionKind, Mode  # noqa: E402
from kiosk.core.frontdesk import decisions as d  # noqa: E402
from kiosk.core.frontdesk.enrolment import ALL_POSES_TAKEN  # noqa: E402
from kiosk.core.frontdesk.pin import PinGate  # noqa: E402
from kiosk.ui import enrol_dialog  # noqa: E402
from kiosk.ui.admin import ENTER, SET, AdminGate, PinDialog  # noqa: E402
from kiosk.ui.enrol_dialog import EnrolDialog  # noqa: E402
from kiosk.ui.log_dialog import LogDialog  # noqa: E402
from kiosk.ui.people_dialog import PeopleDialog, PersonEditDialog  # noqa: E402
from kiosk.ui.settings_dialog import SettingsDialog  # noqa: E402
from tests.ui_helpers import (  # noqa: E402
    BLUE,
    CARD_PEOPLE,
    EMPTY,
    GREEN,
    GREEN_LEFT,
    GREEN_RIGHT,
    RED,
    ScriptedPrompter,
    card_frame,
    kiosks,
    open_enrol,
)


@pytest.fixture
def kiosk(qtbot, tmp_path):
    yield from kiosks(qtbot, tmp_path, people=CARD_PEOPLE)


# --- the PIN gate -------------------------------------------------------------------------
def test_a_first_run_sets_the_pin_then_every_action_asks_it(kiosk):
    k = kiosk(pin=ScriptedPrompter("246802", "246802", None), people={})
    opened = k.pin.opened
    k.window.actions_by_name["log"].trigger()
    assert k.pin.asked[0][0] == SET and isinstance(opened[0], LogDialog)
    assert PinGate(k.store).is_set()
    k.window.actions_by_name["people"].trigger()
    assert k.pin.asked[1][0] == ENTER and isinstance(opened[1], PeopleDialog)
    k.window.actions_by_name["settings"].trigger()  # cancelled at the PIN: nothing opens
    assert len(opened) == 2


def test_once_people_are_enrolled_the_pin_cannot_be_chosen_on_screen(kiosk):
    """Whoever walks up first must not choose the PIN of a kiosk already in use."""
    k = kiosk(pin=ScriptedPrompter("246802", "246802"))
    k.window.actions_by_name["log"].trigger()
    assert k.pin.opened == [] and k.pin.asked == [] and not PinGate(k.store).is_set()
    assert "kiosk admin set-pin" in k.pin.told[0]


def test_quit_asks_the_pin_in_a_window_too(kiosk):
    k = kiosk()
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    k.pin.answers = [None]
    k.window.actions_by_name["quit"].trigger()
    assert k.window.isVisible() and k.controller.threads_running()
    k.pin.answers = [None]
    k.window.close()  # the window manager's close button
    assert k.window.isVisible()
    k.pin.answers = ["135790"]
    k.window.actions_by_name["quit"].trigger()
    assert not k.window.isVisible() and not k.controller.threads_running()


def test_the_pin_can_be_changed_from_the_window(kiosk):
    k = kiosk()
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    k.pin.answers = ["135790", "864200"]
    k.window.actions_by_name["pin"].trigger()
    assert k.pin.told[-1] == "The admin PIN was changed."
    PinGate(k.store).check("864200")


def test_wrong_pins_are_refused_then_rate_limited(kiosk):
    k = kiosk()
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    opened = k.pin.opened
    k.pin.answers = ["000000", "111111", "222222"]
    k.window.actions_by_name["enrol"].trigger()
    assert opened == [] and "Wrong PIN" in k.pin.asked[1][1]
    assert any("try again in" in text for text in k.pin.told)
    k.pin.answers = ["135790"]  # right PIN, but still locked
    k.window.actions_by_name["enrol"].trigger()
    assert opened == []


def test_switching_mode_needs_the_pin(kiosk):
    k = kiosk()
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    k.pin.answers = ["999999", None]
    k.window.actions_by_name["mode"].trigger()
    assert k.controller.mode == "recognize"
    k.pin.answers = ["135790"]
    k.window.actions_by_name["mode"].trigger()
    assert k.controller.mode == "verify" and k.window.claim_entry.isVisible()


def test_kiosk_mode_cannot_be_left_or_closed_without_the_pin(kiosk, qtbot):
    k = kiosk(kiosk_mode=True)
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    assert k.window.isFullScreen()
    k.pin.answers = [None]
    k.window.toggle_fullscreen()
    assert k.window.isFullScreen()
    k.pin.answers = [None]
    k.window.close()
    assert k.window.isVisible() and k.controller.threads_running()
    k.pin.answers = ["135790"]
    k.window.toggle_fullscreen()
    assert not k.window.kiosk_mode


def test_pin_dialog_checks_length_and_repeat(qtbot):
    dialog = PinDialog(SET)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.pin_edit.setText("12")
    ok.click()
    assert "6 to 12" in dialog.message.text() and not dialog.result()
    dialog.pin_edit.setText("123456")
    dialog.confirm_edit.setText("654321")
    ok.click()
    assert "differ" in dialog.message.text()
    dialog.confirm_edit.setText("123456")
    ok.click()
    assert dialog.result() == PinDialog.DialogCode.Accepted and dialog.pin() == "123456"
    assert dialog.pin_edit.validator() is not None


def test_admin_gate_reports_a_bad_new_pin(tmp_path):
    from kiosk.core.storage.sqlite import SqliteStore

    with SqliteStore.open(tmp_path / "k.sqlite3") as store:
        pin = ScriptedPrompter("12ab")
        assert not AdminGate(PinGate(store), pin).unlock("x")
        assert "digits" in pin.told[0]


# --- enrolment ----------------------------------------------------------------------------
def start_capture(dialog, name: str, employee_id: str = "") -> None:
    dialog.name_edit.setText(name)
    dialog.employee_edit.setText(employee_id)
    dialog.start_button.click()
    assert dialog.capturing


def test_guided_enrolment_waits_for_start_then_asks_for_each_pose(kiosk, qtbot):
    k = kiosk(EMPTY)
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    qtbot.waitUntil(lambda: k.controller.desk.task.kind == "enrol", timeout=5000)
    k.show(card_frame(GREEN))  # Gina steps in once the admin has opened the dialog
    qtbot.waitUntil(lambda: dialog.candidate is not None and dialog.candidate.quality.ok, timeout=5000)
    qtbot.wait(300)  # Gina is in view, but nobody pressed Start: nothing is taken
    assert dialog.shots == [] and not dialog.start_button.isEnabled()
    assert dialog.quality_label.text() == enrol_dialog.BEFORE_START
    start_capture(dialog, "Gina", "E-7")
    qtbot.waitUntil(lambda: len(dialog.shots) == 2, timeout=5000)
    qtbot.waitUntil(lambda: dialog.quality_label.text() == "Turn your head a little to your left", timeout=5000)
    assert dialog.pose_bar.value() == 2 and dialog.pose_steps.text() == "Next pose: a little left"
    k.show(card_frame(GREEN_LEFT))
    qtbot.waitUntil(lambda: len(dialog.shots) == 3, timeout=5000)
    k.show(card_frame(GREEN_RIGHT))
    qtbot.waitUntil(lambda: len(dialog.shots) == 4, timeout=5000)
    qtbot.waitUntil(lambda: dialog.quality_label.text() == ALL_POSES_TAKEN, timeout=5000)
    assert dialog.pose_bar.value() == 4 and len(dialog.shots) == 4  # no more auto shots
    assert k.decisions == []  # nobody is announced during an enrolment
    dialog.save()
    assert dialog.result() == EnrolDialog.DialogCode.Accepted and k.pin.questions == []
    gina = k.store.find_person("E-7")
    assert gina.name == "Gina" and gina.template_count == 4
    assert k.wait_decision(DecisionKind.WELCOME).name == "Gina"


def test_manual_shot_and_quality_feedback(kiosk, qtbot):
    k = kiosk(card_frame(("green", (300, 220, 50, 60))))  # too small
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    dialog.auto_box.setChecked(False)
    start_capture(dialog, "Gina")
    qtbot.waitUntil(lambda: dialog.quality_label.text() == "Come closer", timeout=5000)
    assert not dialog.shot_button.isEnabled()
    k.show(card_frame(GREEN))
    qtbot.waitUntil(lambda: dialog.shot_button.isEnabled(), timeout=5000)
    dialog.shot_button.click()
    assert len(dialog.shots) == 1 and dialog.save_button.isEnabled()
    assert "3 or more recommended" in dialog.count_label.text()
    k.pin.answer = False
    dialog.save()  # one photo: the admin is asked, says no, nothing is saved
    assert "Only 1 photo(s)" in k.pin.questions[0] and k.store.find_person("Alice")
    assert [p.name for p in k.store.people()] == ["Alice", "Bob"]
    dialog.thumbs.selectAll()
    dialog.remove_button.click()
    assert dialog.shots == [] and not dialog.save_button.isEnabled()
    dialog.reject()


def test_pause_stops_the_automatic_shots(kiosk, qtbot):
    k = kiosk(EMPTY)
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    start_capture(dialog, "Gina")
    dialog.start_button.click()  # pause
    assert not dialog.capturing and dialog.start_button.text() == "Start"
    k.show(card_frame(GREEN))
    qtbot.waitUntil(lambda: dialog.candidate is not None and dialog.candidate.quality.ok, timeout=5000)
    qtbot.wait(300)
    assert dialog.shots == []
    dialog.reject()


def test_a_duplicate_employee_id_is_reported_before_anything_is_taken(kiosk, qtbot):
    k = kiosk(card_frame(GREEN))
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    dialog.name_edit.setText("Gina")
    dialog.employee_edit.setText("E-Alice")  # Alice's employee id
    dialog.start_button.click()
    assert not dialog.capturing and "already Alice's" in k.pin.told[0] and k.pin.questions == []
    dialog.reject()


def test_a_duplicate_id_is_reported_before_the_look_alike_question(kiosk, qtbot):
    k = kiosk(card_frame(RED))  # Alice's face
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    start_capture(dialog, "Mallory")
    qtbot.waitUntil(lambda: "already matches Alice" in dialog.warning_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: len(dialog.shots) == 2, timeout=5000)
    dialog.employee_edit.setText("E-Bob")  # changed after Start: checked again on Save
    dialog.save()
    assert "already Bob's" in k.pin.told[0] and k.pin.questions == []
    dialog.employee_edit.setText("")
    k.pin.replies = [True, False]  # yes to two photos, no to the look-alike
    dialog.save()
    assert "Only 2 photo(s)" in k.pin.questions[0] and "look like Alice" in k.pin.questions[1]
    assert [p.name for p in k.store.people()] == ["Alice", "Bob"]  # nothing saved
    dialog.reject()


def test_adding_to_someone_enrolled_is_asked_once_at_start(kiosk, qtbot):
    k = kiosk(card_frame(BLUE))
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    start_capture(dialog, "bob")
    assert k.pin.questions == ["Bob is already enrolled. Add these photos to Bob?"]
    qtbot.waitUntil(lambda: len(dialog.shots) == 2, timeout=5000)
    k.pin.replies = [True]  # two photos are enough here
    dialog.save()
    assert len(k.pin.questions) == 2 and k.store.find_person("Bob").template_count == 3


def test_files_are_added_next_to_live_shots_and_several_removed_at_once(kiosk, qtbot, tmp_path):
    k = kiosk(card_frame(GREEN))
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    start_capture(dialog, "Gina")
    qtbot.waitUntil(lambda: len(dialog.shots) == 2, timeout=5000)
    left, right = tmp_path / "left.png", tmp_path / "right.png"
    cv2.imwrite(str(left), card_frame(GREEN_LEFT))
    cv2.imwrite(str(right), card_frame(GREEN_RIGHT))
    dialog.add_files([str(left), str(right)])
    qtbot.waitUntil(lambda: len(dialog.shots) == 4, timeout=5000)
    assert [s.source for s in dialog.shots] == ["camera", "camera", "left.png", "right.png"]
    assert dialog.pose_bar.value() == 4 and dialog.files_note.isVisible()
    dialog.thumbs.item(0).setSelected(True)
    dialog.thumbs.item(2).setSelected(True)
    dialog.remove_button.click()
    assert [s.source for s in dialog.shots] == ["camera", "right.png"]
    assert dialog.guide.wanted(dialog.shots) == "straight"  # the removed poses are wanted again
    dialog.reject()


def test_add_photos_from_files_to_an_existing_person(kiosk, qtbot, tmp_path):
    k = kiosk(EMPTY)
    k.wait_ready()
    good, empty = tmp_path / "bob2.png", tmp_path / "empty.png"
    cv2.imwrite(str(good), card_frame(BLUE))
    cv2.imwrite(str(empty), EMPTY)
    bob = k.store.find_person("Bob")
    dialog = open_enrol(k, qtbot, person=bob)
    assert dialog.name_edit.isReadOnly() and dialog.start_button.isEnabled()
    dialog.add_files([str(good), str(empty)])
    qtbot.waitUntil(lambda: bool(k.pin.told), timeout=5000)
    assert len(dialog.shots) == 1 and "no face" in k.pin.told[0]
    assert dialog.shots[0].duplicate is None  # Bob's own face is no warning
    dialog.save()
    assert k.pin.questions == ["Only 1 photo(s). 3 or more, in several poses, recognise a person more"
                               " reliably. Save anyway?"]
    assert k.store.find_person("Bob").template_count == 2


def test_enrolment_all_or_nothing_on_error(kiosk, qtbot, monkeypatch):
    k = kiosk(card_frame(GREEN))
    k.wait_ready()
    dialog = open_enrol(k, qtbot)
    start_capture(dialog, "Gina")
    qtbot.waitUntil(lambda: len(dialog.shots) == 2, timeout=5000)

    def store_fails(*_args, **_kwargs):
        raise StoreError("the disk is full")
    monkeypatch.setattr(k.controller.desk.store, "enrol", store_fails)
    dialog.save()
    assert "Nothing was saved: the disk is full" in k.pin.told[0]
    monkeypatch.undo()
    assert [p.name for p in k.store.people()] == ["Alice", "Bob"]
    dialog.reject()
    qtbot.waitUntil(lambda: k.controller.desk.task.kind == "recognize", timeout=5000)


# --- people, log, settings ----------------------------------------------------------------
def people_rows(dialog) -> list[tuple[str, ...]]:
    return [tuple(dialog.table.item(r, c).text() for c in (0, 1, 2, 3)) for r in range(dialog.table.rowCount())]


def test_people_dialog_lists_edits_and_removes(kiosk, qtbot):
    k = kiosk()
    k.wait_ready()
    enrolled = []
    dialog = PeopleDialog(k.controller, k.pin, enrolled.append)
    qtbot.addWidget(dialog)
    assert people_rows(dialog) == [("Alice", "E-Alice", "1", "allowed in"), ("Bob", "E-Bob", "1", "allowed in")]
    assert not dialog.buttons["edit"].isEnabled()  # nobody selected
    dialog.select("Bob")
    edit = PersonEditDialog(k.store, dialog.selected(), k.pin)
    qtbot.addWidget(edit)
    edit.name_edit.setText("Robert")
    edit.employee_edit.setText("E-77")
    edit.save()
    assert edit.result() == QDialog.DialogCode.Accepted
    dialog.refresh()
    assert people_rows(dialog)[1] == ("Robert", "E-77", "1", "allowed in")
    dialog.select("Robert")
    dialog.add_photos()
    assert enrolled[0].name == "Robert"
    k.store.enrol("Robert", [np.eye(1, 512, 3, dtype=np.float32)[0]], model_id="another-model")
    dialog.remove()
    assert k.pin.questions == ["Remove Robert and their 2 photo(s)? Their access-log lines are kept."]
    assert [p.name for p in k.store.people()] == ["Alice"]  # every model's templates went too


def test_people_search_and_disable_at_once(kiosk, qtbot):
    k = kiosk(people={"Alice": "red", "Bob": "blue", "Carol": "green"})
    k.wait_ready()
    dialog = PeopleDialog(k.controller, k.pin, lambda _p: None)
    qtbot.addWidget(dialog)
    dialog.search_edit.setText("e-b")  # part of Bob's employee id, any case
    assert [r[0] for r in people_rows(dialog)] == ["Bob"]
    dialog.search_edit.setText("CAR")
    assert [r[0] for r in people_rows(dialog)] == ["Carol"]
    dialog.select("Carol")
    assert dialog.buttons["toggle"].text() == "Disable"
    dialog.buttons["toggle"].click()
    assert people_rows(dialog)[0][3] == "disabled" and dialog.buttons["toggle"].text() == "Enable"
    assert not k.store.find_person("Carol").enabled
    k.show(card_frame(GREEN))  # Carol at the door: recognised, refused politely, logged as such
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.NOT_ACTIVE and decision.message == d.NOT_ACTIVE_MESSAGE
    assert k.store.events()[0].kind == "not_active"


def test_person_edit_sets_dates_all_or_nothing(kiosk, qtbot):
    k = kiosk()
    edit = PersonEditDialog(k.store, k.store.find_person("Alice"), k.pin)
    qtbot.addWidget(edit)
    assert not edit.from_box.isChecked() and not edit.until_edit.isEnabled()
    edit.employee_edit.setText("E-Bob")  # Bob's: refused, and the dates below are not saved either
    edit.until_box.setChecked(True)
    edit.until_edit.setDate(QDate(2026, 12, 31))
    edit.save()
    assert "Not saved" in edit.message.text() and edit.result() != QDialog.DialogCode.Accepted
    alice = k.store.find_person("Alice")
    assert alice.employee_id == "E-Alice" and alice.valid_until is None
    edit.employee_edit.setText("E-Alice")
    edit.from_box.setChecked(True)
    edit.from_edit.setDate(QDate(2027, 1, 1))  # after the end: refused
    edit.save()
    assert "before" in edit.message.text() and k.store.find_person("Alice").valid_from is None
    edit.from_box.setChecked(False)
    edit.save()
    assert edit.result() == QDialog.DialogCode.Accepted
    assert k.store.find_person("Alice").valid_until.isoformat() == "2026-12-31"


def test_log_dialog_filters_and_exports(kiosk, qtbot, tmp_path):
    k = kiosk()
    log = [d.Decision(DecisionKind.WELCOME, Mode.RECOGNIZE, "Welcome, Alice", True, 5, "Alice", None),
           d.unknown_claim("E-999"),
           d.Decision(DecisionKind.REFUSED, Mode.VERIFY, "It's not Bob", False, claimed="Bob", name="Bob")]
    for decision in log:
        k.store.log_event(decision.mode, **decision.log_fields())
    dialog = LogDialog(k.store, k.pin)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 3
    assert dialog.table.item(0, 3).text() == "Bob"  # newest first, claimed column
    dialog.result_box.setCurrentText("Let in")
    assert [e.identity for e in dialog.events] == ["Alice"]
    dialog.result_box.setCurrentText("All results")
    dialog.person_edit.setText("Bob")
    assert len(dialog.events) == 1
    dialog.person_edit.setText("")
    dialog.since_check.setChecked(True)
    assert dialog.table.rowCount() == 3  # all from today
    k.pin.files = [str(tmp_path / "log")]  # the suffix comes by itself
    dialog.export_button.click()
    rows = list(csv.reader((tmp_path / "log.csv").open(encoding="utf-8")))
    assert rows[0][:6] == ["time", "kiosk", "source", "mode", "decision", "result"]
    assert [r[5] for r in rows[1:]] == ["refused", "refused", "let in"] and rows[3][6] == "Alice"
    assert k.pin.told[-1].startswith("3 line(s) written to")


def test_log_dialog_shows_one_entrance_or_all(kiosk, qtbot):
    k = kiosk()
    welcome = d.Decision(DecisionKind.WELCOME, Mode.RECOGNIZE, "Welcome, Alice", True, 5, "Alice", None)
    for door in ("front door", "side door", "side door"):
        k.store.log_event(welcome.mode, **welcome.log_fields(), kiosk=door)
    dialog = LogDialog(k.store, k.pin)
    qtbot.addWidget(dialog)
    assert [dialog.kiosk_box.itemText(i) for i in range(dialog.kiosk_box.count())] == \
        ["Every kiosk", "front door", "side door"]
    assert dialog.table.rowCount() == 3
    dialog.kiosk_box.setCurrentText("side door")
    assert [e.kiosk for e in dialog.events] == ["side door", "side door"] and dialog.table.rowCount() == 2


def test_settings_dialog_applies_and_persists(kiosk, qtbot):
    k = kiosk()
    dialog = SettingsDialog(k.controller.settings, k.pin)
    qtbot.addWidget(dialog)
    dialog.identify_spin.setValue(0.9)
    dialog.frames_spin.setValue(4)
    dialog.mode_box.setCurrentText("verify")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    new = dialog.result_settings
    assert new.identify_threshold == pytest.approx(0.9) and new.consecutive_frames == 4
    k.controller.apply_settings(new)
    assert k.window.claim_entry.isVisible()
    qtbot.waitUntil(lambda: k.controller.desk.tracker.consecutive_frames == 4, timeout=5000)
    saved = load({"data_dir": k.settings.data_dir}, environ={})
    assert saved.identify_threshold == pytest.approx(0.9) and saved.mode == "verify"


def test_the_range_setting_ignores_people_across_the_room(kiosk, qtbot):
    far = card_frame(("green", (40, 60, 34, 40)), RED)  # a 34 px stranger far behind Alice
    k = kiosk(far)
    k.wait_ready()
    assert k.wait_decision(DecisionKind.WELCOME).name == "Alice" and len(k.decisions) == 1
    assert len(k.window.live_view.shown_marks().marks) == 1  # no "unknown" tag on the far face
    dialog = SettingsDialog(k.controller.settings, k.pin, frames=k.controller.frames)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.range_spin.value() == 40
    qtbot.waitUntil(lambda: dialog.range_preview.guide_rect() is not None, timeout=5000)
    side_40 = dialog.range_preview.guide_rect().width()
    dialog.range_spin.setValue(30)
    assert dialog.range_preview.guide_rect().width() == pytest.approx(side_40 * 30 / 40)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    k.controller.apply_settings(dialog.result_settings)
    qtbot.waitUntil(lambda: (m := k.window.live_view.shown_marks()) is not None and len(m.marks) == 2,
                    timeout=5000)  # now the far face counts (as a stranger)


def test_settings_that_cannot_be_saved_are_not_applied_either(kiosk, qtbot):
    k = kiosk()
    before = k.controller.settings
    blocker = Path(k.settings.data_dir) / "settings.tmp"
    blocker.mkdir()  # the atomic write's temp file cannot be created
    wanted = before.replace(consecutive_frames=7, mode="verify")
    with pytest.raises(SettingsError, match="cannot save the settings"):
        k.controller.apply_settings(wanted)
    assert k.controller.settings == before and k.controller.desk.settings == before
    assert not k.window.claim_entry.isVisible()
    assert not (Path(k.settings.data_dir) / "settings.toml").exists()  # nothing half-written


def test_settings_explain_the_threshold_trade_off():
    from kiosk.ui.settings_dialog import THRESHOLD_HELP

    assert "strangers" in THRESHOLD_HELP and "staff" in THRESHOLD_HELP


def test_changing_the_camera_switches_the_source(kiosk, qtbot, tmp_path):
    k = kiosk()
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), card_frame(RED))
    k.controller.apply_settings(k.controller.settings.replace(camera=str(folder)))
    assert k.wait_decision(DecisionKind.WELCOME).name == "Alice"
    assert "slideshow photos" in k.controller.camera_status().description


# --- PySide6 itself -------------------------------------------------------------------------
class _Emitter(QObject):
    ping = Signal(object)


def test_installed_pyside6_does_not_leak_bool_references_on_emit():
    """PySide6 6.12.0 lost a reference to True on every emit (CPython then aborts with
    "Fatal Python error: bool_dealloc"); pyproject.toml excludes it, this catches the next one.
    (On Python 3.12+ True is immortal and the count never moves: nothing to catch there.)"""
    emitter = _Emitter()
    emitter.ping.connect(lambda _value: None)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # no unrelated object holding True may be freed while we count
    try:
        before = sys.getrefcount(True), sys.getrefcount(False)
        for _ in range(1000):
            emitter.ping.emit(1)
        after = sys.getrefcount(True), sys.getrefcount(False)
    finally:
        if was_enabled:
            gc.enable()
    assert after == before, f"PySide6 {PySide6.__version__} leaks bool references on emit"


# --- a public screen nobody can tamper with ---------------------------------------------------
def test_the_no_camera_banner_asks_the_pin_before_any_file_dialog(kiosk, qtbot):
    from kiosk.core.base.errors import CameraError

    def no_camera():
        raise CameraError("No camera 0 found")

    k = kiosk(camera=no_camera)
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    qtbot.waitUntil(lambda: k.window.banner.file_button.isVisible(), timeout=5000)
    k.pin.answers, k.pin.files = [None], ["/should/not/be/asked"]
    k.window.banner.file_button.click()
    assert k.pin.asked[-1][1] == "Admin PIN for: Change the camera"
    assert k.pin.files == ["/should/not/be/asked"]  # no file dialog without the PIN


def test_kiosk_mode_shows_a_visitor_no_admin_tools_and_comes_back_when_minimised(kiosk, qtbot):
    k = kiosk(kiosk_mode=True)
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    assert not k.window.admin_actions.toolbar.isVisible() and not k.window.status_line.isVisible()
    assert k.window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    k.window.showMinimized()
    qtbot.waitUntil(lambda: k.window.isFullScreen() and not k.window.isMinimized(), timeout=5000)
    k.pin.answers = ["135790"]
    k.window.toggle_fullscreen()  # leaving kiosk mode: the admin's window has its tools back
    assert k.window.admin_actions.toolbar.isVisible() and k.window.status_line.isVisible()


def test_the_admin_menu_opens_after_the_pin_from_the_shortcut_or_a_long_press(kiosk, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMenu

    k = kiosk(kiosk_mode=True)
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    k.pin.answers = [None]
    k.window.corner.longPressed.emit()  # what 2 s of pressing the top-right corner does
    assert k.pin.asked[-1][1] == "Admin PIN for: Admin menu"
    seen = []

    def close_menu():
        menu = QApplication.activePopupWidget()
        seen.extend(a.text() for a in menu.actions()) if isinstance(menu, QMenu) else None
        menu and menu.close()

    k.pin.answers = ["135790"]
    QTimer.singleShot(300, close_menu)
    k.window.admin_actions.open_menu()
    assert "People…" in seen and "Quit" in seen


def test_typed_markup_is_shown_as_text_not_rendered(kiosk, qtbot):
    k = kiosk(mode="verify")
    k.wait_ready()
    k.window.panel.show_prompt("<b style='color:green'>It's Alice, welcome in!</b>")
    assert k.window.panel.title.textFormat() == Qt.TextFormat.PlainText
    assert k.window.panel.title.text().startswith("<b style=")


def test_admin_dialogs_and_the_pin_prompt_close_themselves_when_left_alone(kiosk, qtbot):
    from kiosk.ui.prompter import DialogPrompter

    k = kiosk()
    prompter = DialogPrompter(k.window, idle_s=0.3)
    started = time.monotonic()
    assert prompter.ask_pin("enter", "Admin PIN for: People") is None
    assert prompter.run(LogDialog(k.store, prompter, k.window)) == QDialog.DialogCode.Rejected
    assert time.monotonic() - started < 5


def test_the_attendance_view_lists_days_and_draws_the_chart(kiosk, tmp_path):
    from datetime import date, datetime

    from kiosk.ui.report_dialog import ReportDialog

    k = kiosk()
    for day, hour in ((2, 9), (2, 17), (3, 8)):
        k.store.log_event("recognize", claimed=None, identity="Alice", accepted=True, distance=0.4,
                          time=datetime(2026, 11, day, hour).astimezone(), kind="welcome",
                          kiosk="side door")
    dialog = ReportDialog(k.store, k.pin, today=date(2026, 11, 5))
    k.qtbot.addWidget(dialog)
    cells = [[dialog.table.item(r, c).text() for c in (0, 1, 3, 4)] for r in range(dialog.table.rowCount())]
    assert cells == [["2026-11-02", "Alice", "09:00", "17:00"], ["2026-11-03", "Alice", "08:00", "08:00"]]
    assert dialog.summary.text() == "Days present: Alice 2"
    assert [n for _, n in dialog.chart.bars] == [0] * 10 + [1, 1, 0, 0]  # Oct 23 to Nov 5
    assert [dialog.kiosk_box.itemText(i) for i in range(dialog.kiosk_box.count())] == ["Every kiosk", "side door"]
    k.pin.files = [str(tmp_path / "att")]
    dialog.export_button.click()
    assert (tmp_path / "att.csv").read_text().splitlines()[1].startswith("2026-11-02,Alice")
