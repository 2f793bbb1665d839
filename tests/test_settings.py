"""Settings: settings.toml < KIOSK_* environment < command-line flags, validated, saved atomically."""
import logging

import pytest

from kiosk import cli
from kiosk.core.base import settings as st
from kiosk.core.base.errors import SettingsError
from kiosk.core.base.specs import DEFAULT_MODEL


def write_toml(data_dir, text):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / st.SETTINGS_FILE).write_text(text, encoding="utf-8")


def test_defaults_are_the_models_calibrated_thresholds(tmp_path):
    s = st.load({"data_dir": str(tmp_path)}, environ={})
    assert (s.verify_threshold, s.identify_threshold) == (DEFAULT_MODEL.verify_threshold,
                                                         DEFAULT_MODEL.identify_threshold)
    assert (s.camera, s.mode, s.runtime) == ("0", "recognize", "litert-int8")
    assert s.database_path.parent == tmp_path


def test_file_then_environment_then_flags(tmp_path):
    write_toml(tmp_path, 'camera = "clip.mp4"\nverify_threshold = 0.9\ncooldown_s = 4\nmode = "verify"\n')
    env = {"KIOSK_VERIFY_THRESHOLD": "0.95", "KIOSK_FULLSCREEN": "yes", "KIOSK_COOLDOWN_S": "6"}
    s = st.load({"data_dir": str(tmp_path), "cooldown_s": 7, "camera": None}, environ=env)
    assert s.camera == "clip.mp4" and s.mode == "verify"  # the file (a None flag is "not given")
    assert s.verify_threshold == 0.95 and s.fullscreen is True  # the environment beats the file
    assert s.cooldown_s == 7.0  # a flag beats both


def test_the_data_dir_itself_can_come_from_the_environment(tmp_path):
    write_toml(tmp_path, "door_open_s = 2.5\n")
    s = st.load({}, environ={"KIOSK_DATA_DIR": str(tmp_path)})
    assert s.door_open_s == 2.5


@pytest.mark.parametrize("toml, message", [
    ("mode = 'open-sesame'\n", "mode must be one of recognize, verify"),
    ("identify_threshold = 2.5\n", "identify_threshold 2.5 is outside the safe range 0.5-0.95"),
    ("verify_threshold = 1.99\n", "1 in 152\\b.*only 32% of staff"),
    ("data_dir = '/elsewhere'\n", "only --data-dir or KIOSK_DATA_DIR may set"),
    ("weights_dir = '/elsewhere'\n", "only --weights-dir or KIOSK_WEIGHTS_DIR may set"),
    ("kiosk_name = 'gate\u202e1'\n", "invisible or control character U\\+202E"),
    ("consecutive_frames = 0\n", "consecutive_frames must be >= 1"),
    ("cooldown_s = 'soon'\n", "setting 'cooldown_s': cannot use 'soon'"),
    ("camera = \n", "is not valid TOML"),
])
def test_bad_values_are_refused_with_the_setting_named(tmp_path, toml, message):
    write_toml(tmp_path, toml)
    with pytest.raises(SettingsError, match=message):
        st.load({"data_dir": str(tmp_path)}, environ={})


def test_unknown_keys_are_ignored_with_a_warning(tmp_path, caplog):
    write_toml(tmp_path, "colour = 'blue'\ncamera = '2'\n")
    with caplog.at_level(logging.WARNING):
        assert st.load({"data_dir": str(tmp_path)}, environ={}).camera == "2"
    assert "ignoring unknown setting 'colour'" in caplog.text


def test_an_unreadable_settings_file_is_a_settings_error(tmp_path):
    (tmp_path / st.SETTINGS_FILE).mkdir()
    with pytest.raises(SettingsError, match="cannot read the settings file"):
        st.load({"data_dir": str(tmp_path)}, environ={})


def test_save_writes_only_the_chosen_keys_and_keeps_the_rest(tmp_path):
    write_toml(tmp_path, "door_open_s = 2.5\n")
    s = st.load({"data_dir": str(tmp_path)}, environ={})
    st.save(s.replace(cooldown_s=3.0, consecutive_frames=9), ("cooldown_s",))
    again = st.load({"data_dir": str(tmp_path)}, environ={})
    assert (again.door_open_s, again.cooldown_s, again.consecutive_frames) == (2.5, 3.0, 3)
    assert not (tmp_path / "settings.tmp").exists()


def test_replace_validates():
    with pytest.raises(SettingsError, match="runtime must be one of"):
        st.Settings().replace(runtime="cuda")


def test_a_bad_settings_file_stops_every_command_with_exit_2(tmp_path, capsys):
    write_toml(tmp_path, "mode = 'open-sesame'\n")
    assert cli.main(["--data-dir", str(tmp_path), "people", "list"]) == 2
    assert "mode must be one of recognize, verify" in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [
    ("0.0", "pad_threshold 0 is outside the safe range 0.001-0.5: 0 turns the photo check off"
            ".*security_level = \"off\""),
    ("0.0001", "pad_threshold 0.0001 is outside the safe range 0.001-0.5"),
    ("0.6", "pad_threshold 0.6 is outside the safe range 0.001-0.5: .*above 0.5 .*live people"),
    ("-1", "pad_threshold -1 is outside the safe range"),
])
def test_a_pad_threshold_that_quietly_switches_the_photo_check_off_is_refused(tmp_path, value, message):
    """0 let every photo through while the level still said passive."""
    write_toml(tmp_path, f"pad_threshold = {value}\n")
    with pytest.raises(SettingsError, match=message):
        st.load({"data_dir": str(tmp_path)}, environ={})
    with pytest.raises(SettingsError, match="pad_threshold"):
        st.Settings().replace(pad_threshold=float(value))


@pytest.mark.parametrize("value", [0.001, 0.01, 0.5])
def test_pad_thresholds_in_the_safe_range_are_taken(tmp_path, value):
    write_toml(tmp_path, f"pad_threshold = {value}\n")
    assert st.load({"data_dir": str(tmp_path)}, environ={}).pad_threshold == value
