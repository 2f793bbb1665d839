"""The pre-flight check that turns Qt's "could not load the platform plugin" into a fix."""
import os
import subprocess
import sys

import pytest

from kiosk.core.base.errors import DisplayError
from kiosk.ui import display


def missing_icccm(path):
    raise OSError("libxcb-icccm.so.4: cannot open shared object file: No such file or directory")


def must_not_load(path):
    raise AssertionError("the plugin should not have been loaded")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb plugin exists on Linux only")
def test_the_installed_pyside6_has_its_xcb_plugin_where_we_look():
    assert display.xcb_plugin_path().is_file()


def test_a_missing_system_library_is_named_with_the_packages_to_install():
    with pytest.raises(DisplayError, match=r"needs libxcb-icccm\.so\.4.*apt install .*libxcb-icccm4"):
        display.check_display({"DISPLAY": ":0"}, "linux", load=missing_icccm)


def test_no_screen_at_all_says_how_to_run_anyway():
    with pytest.raises(DisplayError, match="no screen.*QT_QPA_PLATFORM=offscreen"):
        display.check_display({}, "linux", load=must_not_load)


@pytest.mark.parametrize("env, platform", [
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    ({}, "win32"),
])
def test_other_platforms_are_left_to_qt(env, platform):
    display.check_display(env, platform, load=must_not_load)


def test_a_loadable_plugin_passes(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    loaded = []
    display.check_display({"DISPLAY": ":0"}, "linux", plugin=lambda: plugin, load=loaded.append)
    assert loaded == [plugin]


def test_the_kiosk_command_reports_it_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["KIOSK_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "kiosk", "gui", "--demo"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: no screen to open the window on")
    assert not (tmp_path / "data").exists()  # nothing was started, nothing written
