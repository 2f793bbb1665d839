"""How long this process has been running: the origin of every "cold start" number.

Read from the operating system (Linux /proc, Windows GetProcessTimes), so it includes the
interpreter's own start-up and, in a frozen build, the PyInstaller bootloader.
"""
from __future__ import annotations

import os
import sys
import time
from ctypes import ArgumentError

_IMPORTED_AT = time.monotonic()


def process_age_s() -> tuple[float, str]:
    """Seconds since this process started, and what that is measured from."""
    try:
        if sys.platform.startswith("linux"):
            return _linux_process_age_s(), "process start"
        if sys.platform == "win32":
            return _windows_process_age_s(), "process start"
    except (OSError, ValueError, AttributeError, ArgumentError):
        pass
    return time.monotonic() - _IMPORTED_AT, "the import of kiosk.core.base.proctime"


def _linux_process_age_s() -> float:
    with open("/proc/self/stat") as fh:  # field 22 is the start time in clock ticks after boot
        start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as fh:
        uptime_s = float(fh.read().split()[0])
    return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")


def _windows_process_age_s() -> float:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.windll.kernel32
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    # a 64-bit handle must be passed as one: without argtypes ctypes would try a C int
    kernel32.GetProcessTimes.argtypes = [wintypes.HANDLE] + [ctypes.POINTER(wintypes.FILETIME)] * 4
    kernel32.GetProcessTimes.restype = wintypes.BOOL
    times = [wintypes.FILETIME() for _ in range(5)]  # created, exited, kernel, user, now
    if not kernel32.GetProcessTimes(kernel32.GetCurrentProcess(), *map(ctypes.byref, times[:4])):
        raise OSError("GetProcessTimes failed")
    kernel32.GetSystemTimeAsFileTime(ctypes.byref(times[4]))
    ticks = [(t.dwHighDateTime << 32) | t.dwLowDateTime for t in (times[0], times[4])]
    return (ticks[1] - ticks[0]) / 1e7  # FILETIME counts 100 ns
