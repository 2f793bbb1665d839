"""Build ``facenet-kiosk_<version>_<arch>.deb`` from the PyInstaller bundle with dpkg-deb.

Layout of the package:

* ``/opt/facenet-kiosk/``: the one-folder bundle as built (``kiosk`` + ``_internal/``);
* ``/usr/bin/kiosk``: a symlink to ``/opt/facenet-kiosk/kiosk`` (the bootloader finds its
  ``_internal`` through /proc/self/exe, so the link works from anywhere);
* ``/usr/share/applications/facenet-kiosk.desktop`` (runs ``kiosk gui``), the icon in
  ``/usr/share/icons/hicolor/{256x256,scalable}/apps/``, ``/usr/share/doc/facenet-kiosk/copyright``.

``Depends`` lists the Debian packages owning every system library the bundle's binaries link
to (found with ldd and ``dpkg -S`` on the build machine, so it is exact for that release);
libraries ldd cannot find here are reported and not listed. ``Recommends`` names what Qt's
xcb platform plugin needs to show a window on an X11 desktop (a desktop PC has them; a
headless box running only ``kiosk self-test`` offscreen does not need them).

    python packaging/linux/make_deb.py --bundle dist/kiosk --out dist
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "facenet-kiosk"
PREFIX = Path("opt") / PACKAGE
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Qt 6's xcb platform plugin: https://doc.qt.io/qt-6/linux-requirements.html
RECOMMENDS = ["libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
              "libxcb-render-util0", "libxcb-shape0", "libxcb-xfixes0", "libxcb-xkb1",
              "libxkbcommon-x11-0", "libx11-xcb1", "libegl1", "libfontconfig1", "libdbus-1-3",
              # the chimes (setting `sound`): played with paplay or aplay, else only the desktop's beep
              "pulseaudio-utils | alsa-utils"]
ELF_MAGIC = b"\x7fELF"
# xz: the smallest .deb (395 MiB -> 123 MiB) and readable by every dpkg, but ~4.5 min on 2 cores;
# zstd -9: ~10% larger in ~15 s, needs dpkg >= 1.21.18 (Debian 12, Ubuntu 21.10) on the target.
COMPRESSION = {"xz": ["-Zxz", "-z6"], "zstd": ["-Zzstd", "-z9"]}


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from kiosk import __version__

    return __version__


def elf_files(bundle: Path) -> list[Path]:
    found = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == ELF_MAGIC:
                    found.append(path)
    return found


def system_libraries(bundle: Path) -> tuple[set[str], set[str]]:
    """(resolved paths of the libraries outside the bundle, sonames ldd could not find)."""
    outside, missing = set(), set()
    bundled = {p.name for p in bundle.rglob("*.so*")}
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    for elf in elf_files(bundle):
        done = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env)
        for line in done.stdout.splitlines():
            if m := re.match(r"\s*(\S+) => not found", line):
                if m.group(1) not in bundled:
                    missing.add(m.group(1))
            elif (m := re.match(r"\s*\S+ => (/\S+)", line)) and not m.group(1).startswith(str(bundle.resolve())):
                outside.add(m.group(1))
    return outside, missing


def owning_packages(libraries: set[str]) -> list[str]:
    """Debian packages owning these files (``dpkg -S``; /usr-merged paths tried both ways)."""
    packages = set()
    for lib in sorted(libraries):
        real = os.path.realpath(lib)
        candidates = {lib, real, real.replace("/usr/lib/", "/lib/", 1), lib.replace("/lib/", "/usr/lib/", 1)}
        for candidate in candidates:
            done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if done.returncode == 0:
                packages.add(done.stdout.split(":")[0].strip())
                break
        else:
            print(f"warning: no Debian package owns {lib}", file=sys.stderr)
    return sorted(p.split(",")[0].strip() for p in packages)


def glibc_version() -> str:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libc6"], capture_output=True, text=True, check=True)
    return done.stdout.split("-")[0]


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def control(installed_kib: int, depends: list[str]) -> str:
    """control.in filled in; libc6 gets this machine's glibc as its minimum version."""
    depends = [f"libc6 (>= {glibc_version()})"] + [d for d in depends if d != "libc6"]
    text = (HERE / "control.in").read_text()
    for key, value in (("VERSION", version()), ("ARCH", architecture()), ("INSTALLED_SIZE", str(installed_kib)),
                       ("DEPENDS", ", ".join(depends)),
                       ("RECOMMENDS", ", ".join(r for r in RECOMMENDS if r not in depends))):
        text = text.replace(f"@{key}@", value)
    return text


def stage(bundle: Path, root: Path) -> None:
    shutil.copytree(bundle, root / PREFIX, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    os.symlink(f"/{PREFIX}/kiosk", root / "usr/bin/kiosk")
    doc = root / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True)
    shutil.copy2(HERE / "copyright", doc / "copyright")
    apps = root / "usr/share/applications"
    apps.mkdir(parents=True)
    shutil.copy2(HERE / f"{PACKAGE}.desktop", apps / f"{PACKAGE}.desktop")
    for size, source in (("256x256", "kiosk.png"), ("scalable", "kiosk.svg")):
        icons = root / "usr/share/icons/hicolor" / size / "apps"
        icons.mkdir(parents=True)
        shutil.copy2(ROOT / "resources" / source, icons / (PACKAGE + Path(source).suffix))


def installed_kib(root: Path) -> int:
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() or p.is_symlink()) // 1024 + 1


def write_debian_dir(root: Path, depends: list[str]) -> None:
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control(installed_kib(root), depends))
    for script in ("postinst", "prerm", "postrm"):
        shutil.copy2(HERE / script, debian / script)
        (debian / script).chmod(0o755)


def is_program(path: Path) -> bool:
    """An executable ELF file or script that had an x bit; not a library (*.so*), not data."""
    if ".so" in path.name or not path.stat().st_mode & 0o111:
        return False
    with path.open("rb") as fh:
        head = fh.read(4)
    return head == ELF_MAGIC or head.startswith(b"#!")


def normalise_modes(root: Path) -> None:
    """Folders and programs 755, everything else 644 (pip and tar leave x bits on libraries
    and even on the .h5 weights)."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or is_program(path) else 0o644)


def build(bundle: Path, out: Path, compression: str = "xz") -> Path:
    if not (bundle / "kiosk").is_file():
        raise SystemExit(f"{bundle}/kiosk not found: build the bundle first (packaging/build_linux.sh)")
    outside, missing = system_libraries(bundle)
    for soname in sorted(missing):
        print(f"note: {soname} is not installed here (needed by a Qt plugin or optional part)", file=sys.stderr)
    depends = owning_packages(outside)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".deb-") as tmp:
        root = Path(tmp) / "root"
        stage(bundle, root)
        normalise_modes(root)
        write_debian_dir(root, depends)
        target = out / f"{PACKAGE}_{version()}_{architecture()}.deb"
        subprocess.run(["dpkg-deb", "--root-owner-group", *COMPRESSION[compression], "--build",
                        str(root), str(target)], check=True)
    print(f"built {target}: Depends: {', '.join(depends)}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "kiosk")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--compression", choices=sorted(COMPRESSION),
                        default=os.environ.get("KIOSK_DEB_COMPRESSION", "xz"))
    args = parser.parse_args(argv)
    build(args.bundle.resolve(), args.out.resolve(), args.compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
