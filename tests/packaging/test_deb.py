"""The Debian package, end to end: build (or reuse) it, ``dpkg -i``, run the installed program
with no network and a fresh HOME, measure it, ``dpkg -r``, and check nothing is left.

Slow (a 1.2 GB bundle) and it installs software system-wide, so it runs only when asked:
``make package-test`` (or ``pytest -m package -s tests/packaging``), as root on a
Debian-family system. It reuses ``dist/facenet-kiosk_*.deb`` when there is one (``make
package`` builds it) and runs ``packaging/build_linux.sh`` otherwise. The measured numbers are
printed and written to ``dist/package-report.txt``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "dist"
PACKAGE = "facenet-kiosk"
PREFIX = Path("/opt/facenet-kiosk")
COMMAND = Path("/usr/bin/kiosk")
DESKTOP = Path("/usr/share/applications/facenet-kiosk.desktop")
ICON = Path("/usr/share/icons/hicolor/256x256/apps/facenet-kiosk.png")
SEED = REPO.parent / "shared" / "testdata" / "seed-faces"

# Deselected by default (pyproject: -m "not package"); `make package-test` selects it.
pytestmark = pytest.mark.package


@pytest.fixture(autouse=True, scope="module")
def root_with_dpkg():
    """Fail, never skip: a package test that silently did nothing would look like a pass."""
    assert shutil.which("dpkg"), "the .deb test needs dpkg (a Debian-family system)"
    assert os.geteuid() == 0, "the .deb test needs root for dpkg -i / dpkg -r"


def run(*cmd: str | Path, env: dict | None = None, timeout_s: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=timeout_s)


def installed() -> bool:
    done = run("dpkg-query", "-W", "-f=${Status}", PACKAGE)
    return done.returncode == 0 and "installed" in done.stdout.split()[-1:]


def the_deb() -> Path:
    debs = sorted(DIST.glob(f"{PACKAGE}_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        done = run(REPO / "packaging" / "build_linux.sh", timeout_s=3600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        debs = sorted(DIST.glob(f"{PACKAGE}_*.deb"), key=lambda p: p.stat().st_mtime)
    return debs[-1]


def clean_env(home: Path) -> dict:
    """What a fresh account on a headless box has: no display, no caches, a UTF-8 locale."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "KIOSK_DATA_DIR": str(home / "data"), "QT_QPA_PLATFORM": "offscreen"}


def offline(*cmd: str | Path) -> list[str]:
    """The command in a new network namespace (no network at all) when unshare allows it."""
    probe = run("unshare", "-n", "true") if shutil.which("unshare") else None
    return ["unshare", "-n", *map(str, cmd)] if probe and probe.returncode == 0 else list(map(str, cmd))


def drop_page_cache() -> bool:
    """Forget cached file pages so the next start reads the bundle from disk (root only)."""
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def timings(stdout: str) -> dict[str, float]:
    m = re.search(r"window shown at ([\d.]+) s, model ready at ([\d.]+) s, face seen at ([\d.]+) s", stdout)
    assert m, stdout
    return dict(zip(("window", "ready", "face"), map(float, m.groups())))


def du_kib(path: Path) -> int:
    return int(run("du", "-sk", "--apparent-size", path).stdout.split()[0])


@pytest.fixture(scope="module")
def deb():
    if installed():
        pytest.skip(f"{PACKAGE} is already installed here; remove it first (dpkg -r {PACKAGE})")
    path = the_deb()
    yield path
    if installed():  # a failed test must not leave the package behind
        run("dpkg", "-P", PACKAGE)


def test_install_self_test_and_remove_cleanly(deb, tmp_path):
    report = {"deb": deb.name, "deb_mb": deb.stat().st_size / 2**20,
              "installed_size_field_mb": int(run("dpkg-deb", "-f", deb, "Installed-Size").stdout) / 1024}
    done = run("dpkg", "-i", deb)
    assert done.returncode == 0, done.stdout + done.stderr
    check_installed_files()
    report["installed_mb"] = du_kib(PREFIX) / 1024
    report.update(self_test_installed(tmp_path))
    report.update(gui_command_runs(tmp_path))
    stray = PREFIX / "_internal" / "weights" / "facenet-0000000000000000-fp32.tflite"
    stray.write_bytes(b"an export the program made at run time")  # prerm must remove it
    done = run("dpkg", "-r", PACKAGE)
    assert done.returncode == 0, done.stdout + done.stderr
    check_removed()
    run("dpkg", "-P", PACKAGE)  # forget the "config-files" record that remove leaves
    write_report(report)


def check_installed_files() -> None:
    assert (PREFIX / "kiosk").is_file() and os.access(PREFIX / "kiosk", os.X_OK)
    assert COMMAND.is_symlink() and COMMAND.resolve() == PREFIX / "kiosk"
    assert ICON.is_file()
    desktop = DESKTOP.read_text()
    assert "Exec=kiosk gui" in desktop and "Icon=facenet-kiosk" in desktop
    if shutil.which("desktop-file-validate"):
        done = run("desktop-file-validate", DESKTOP)
        assert done.returncode == 0, done.stdout + done.stderr
    weights = sorted(p.name for p in (PREFIX / "_internal" / "weights").iterdir())
    assert weights == ["facenet-6acdd8fb3a3fb2b5-int8.tflite", "facenet_keras.h5"]


def self_test_installed(tmp_path: Path) -> dict:
    """`kiosk self-test` from a fresh HOME with no network: once from a cold page cache, once warm."""
    env = clean_env(tmp_path / "home")
    cold = drop_page_cache()
    photo = SEED / "andrew.jpg"
    args = [COMMAND, "self-test", *([photo] if photo.is_file() else [])]
    started = time.perf_counter()
    first = run(*offline(*args), env=env)
    wall_s = time.perf_counter() - started
    print(first.stdout)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    assert "(frozen build" in first.stdout and f"weights in {PREFIX}/_internal/weights" in first.stdout
    assert "FAIL" not in first.stdout and "self-test passed" in first.stdout
    second = run(*offline(*args), env=env)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    label = "cold" if cold else "first"
    return {**{f"{label}_{k}_s": v for k, v in timings(first.stdout).items()},
            **{f"warm_{k}_s": v for k, v in timings(second.stdout).items()},
            "self_test_wall_s": wall_s, "offline": offline("x")[0] == "unshare"}


def gui_command_runs(tmp_path: Path) -> dict:
    """`kiosk gui` itself (the desktop entry's command) opens and closes cleanly, offscreen."""
    env = clean_env(tmp_path / "home")
    camera = SEED if SEED.is_dir() else tmp_path
    started = time.perf_counter()
    done = run(*offline(COMMAND, "--log-level", "INFO", "gui", "--camera", camera, "--quit-after-ms", "4000"),
               env=env, timeout_s=300)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return {"gui_4s_run_wall_s": time.perf_counter() - started}


def check_removed() -> None:
    assert not installed()
    assert not PREFIX.exists(), f"left behind: {list(PREFIX.rglob('*'))[:10]}"
    assert not COMMAND.exists() and not COMMAND.is_symlink()
    assert not DESKTOP.exists() and not ICON.exists()


def write_report(report: dict) -> None:
    lines = [f"{key:28} {value:.1f}" if isinstance(value, float) else f"{key:28} {value}"
             for key, value in report.items()]
    text = "\n".join(["facenet-kiosk package test (sizes in MiB, times in s after process start)", *lines])
    print("\n" + text)
    (DIST / "package-report.txt").write_text(text + "\n")
