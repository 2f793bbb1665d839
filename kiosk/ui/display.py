"""Before Qt opens a window on Linux: is there a screen, and can Qt's X11 plugin load?

Without this, a missing system library ends the process inside Qt with "Could not load the
Qt platform plugin xcb ... even though it was found" — which names neither the library nor
the fix. Loading the plugin ourselves first makes the loader name the missing library.
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Callable, Mapping

from kiosk.core.base.errors import DisplayError

# What Qt 6's xcb plugin links against beyond libxcb itself (Debian / Ubuntu package names).
XCB_PACKAGES = ("libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
                "libxcb-randr0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libegl1")


def xcb_plugin_path() -> Path:
    from PySide6.QtCore import QLibraryInfo

    plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
    return Path(plugins) / "platforms" / "libqxcb.so"


def _dlopen(path: Path) -> None:
    ctypes.CDLL(str(path))


def check_display(env: Mapping[str, str] = os.environ, platform: str = sys.platform,
                  plugin: Callable[[], Path] = xcb_plugin_path,
                  load: Callable[[Path], None] = _dlopen) -> None:
    """Raise DisplayError with the fix when Qt could not open a window here; else return."""
    if not platform.startswith("linux"):
        return
    requested = env.get("QT_QPA_PLATFORM", "")
    if requested and not requested.startswith("xcb"):
        return  # offscreen, wayland, eglfs...: Qt's own messages are clear enough
    if not requested and env.get("WAYLAND_DISPLAY"):
        return
    if not env.get("DISPLAY"):
        raise DisplayError("no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY "
                           "is set): start the kiosk from the desktop session, or set "
                           "QT_QPA_PLATFORM=offscreen for a window nobody sees (tests, self-test)")
    path = plugin()
    if not path.exists():
        return  # a build without the plugin: let Qt say what it has
    try:
        load(path)
    except OSError as exc:
        missing = str(exc).split(":")[0] if "cannot open shared object" in str(exc) else str(exc)
        raise DisplayError(f"cannot open a window: Qt's X11 plugin needs {missing}, which is not "
                           f"installed. On Debian or Ubuntu: sudo apt install {XCB_PACKAGES}") from exc
