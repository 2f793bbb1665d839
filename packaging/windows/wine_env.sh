# Sourced by packaging/build_windows_wine.sh and packaging/windows/wine_test.sh: the Wine
# settings and the prefix set-up they share. Everything lives under the repository's build/.
#
#   wine_prefix_init DIR   create a 64-bit Wine prefix in DIR (if new) and make it fit to run the
#                          kiosk: Windows 10, no display, the two stand-in DLLs below.
#   wine_run ARGS...       `wine ARGS...` with its output piped (see WINE QUIRK 1), exit code kept.

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WINE_SHIMS=$REPO/build/windows/wine-shims

export WINEARCH=win64
# Quiet, and never offer to download Wine Mono or Gecko (no network; nothing here needs .NET/IE).
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY  # no X server: see the null graphics driver below

wine_need() {
    command -v wine >/dev/null && [ -x /usr/lib/wine/wine64 ] || {
        echo "Wine (64-bit) is missing: apt-get install wine wine64 wine32:i386 (make package-windows does it)" >&2
        return 2
    }
    # Inno Setup's compiler and the setup.exe it makes are 32-bit programs.
    [ -x /usr/lib/wine/wine ] || {
        echo "32-bit Wine is missing: dpkg --add-architecture i386 && apt-get update && apt-get install wine32:i386" >&2
        return 2
    }
}

# WINE QUIRK 1: a Windows console program whose stdout is a regular Linux file gets an invalid
# handle (Python dies in init_sys_streams: "[WinError 6] Invalid handle"); through a pipe it
# works. So every wine call goes through `| cat`, and pipefail keeps the program's exit code.
wine_run() {
    ( set -o pipefail; wine "$@" </dev/null 2>&1 | cat )
}

wine_builtin_dir() {  # where Debian's Wine keeps its 64-bit PE DLLs
    dirname "$(find /usr/lib -path '*x86_64-windows/ucrtbase.dll' -print -quit)"
}

# WINE QUIRK 2 (packaging/windows/wine/*.c say more): Wine 8.0's ucrtbase has stubs where
# numpy 2 and TensorFlow call C99 complex and fenv functions, and Wine has no icuuc.dll, which
# Qt 6's Qt6Core.dll imports. Stand-ins built with MinGW-w64 go into the prefix's system32
# ONLY (kiosk.spec keeps them out of the bundle); Wine's own ucrtbase stays as ucrtwine.dll
# and receives every other call through forwarders.
wine_shims_build() {
    command -v x86_64-w64-mingw32-gcc >/dev/null || {
        echo "MinGW-w64 is missing: apt-get install gcc-mingw-w64-x86-64-win32" >&2; return 2; }
    local src=$REPO/packaging/windows/wine out=$WINE_SHIMS builtin
    builtin=$(wine_builtin_dir)/ucrtbase.dll
    mkdir -p "$out"
    if [ "$out/ucrtbase.dll" -nt "$src/ucrt_complex.c" ] && [ "$out/icuuc.dll" -nt "$src/icuuc_stub.c" ] \
        && [ "$out/ucrtbase.dll" -nt "$builtin" ]; then
        return 0
    fi
    # ours: the k_* functions of ucrt_complex.c (UNARY(f) makes f, fl and ff); the rest forwards
    grep -oE 'EXPORT [^(]* k_[A-Za-z_]+' "$src/ucrt_complex.c" | sed 's/.* k_//' > "$out/ours.txt"
    grep -oE '^UNARY\([a-z]+' "$src/ucrt_complex.c" | sed 's/UNARY(//' \
        | while read -r f; do printf '%s\n%sl\n%sf\n' "$f" "$f" "$f"; done >> "$out/ours.txt"
    {
        echo "LIBRARY ucrtbase.dll"; echo "EXPORTS"
        x86_64-w64-mingw32-objdump -p "$builtin" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' \
            | sed -n 's/^\s*\[ *[0-9]*\] //p' | while read -r name; do
                if grep -qx "$name" "$out/ours.txt"; then echo "  $name = k_$name"; else echo "  $name = ucrtwine.$name"; fi
            done
    } > "$out/ucrtbase.def"
    x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -o "$out/ucrtbase.dll" "$src/ucrt_complex.c" "$out/ucrtbase.def"
    x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -o "$out/icuuc.dll" "$src/icuuc_stub.c"
}

wine_prefix_init() {
    export WINEPREFIX=$1
    wine_need || return
    wine_shims_build || return
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        mkdir -p "$WINEPREFIX"
        wine_run wineboot --init >/dev/null
        wineserver -w
    fi
    local sys32=$WINEPREFIX/drive_c/windows/system32
    cp "$(wine_builtin_dir)/ucrtbase.dll" "$sys32/ucrtwine.dll"
    cp "$WINE_SHIMS/ucrtbase.dll" "$WINE_SHIMS/icuuc.dll" "$sys32/"
    # Windows 10 (Wine 8 says Windows 7 by default; the installer requires 10); the null display
    # driver (no X server: windows exist but are never shown, e.g. setup.exe's hidden wizard);
    # and native-first loading of the two stand-ins.
    wine_run winecfg /v win10 >/dev/null
    wine_run reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null
    wine_run reg add 'HKCU\Software\Wine\DllOverrides' /v ucrtbase /d native,builtin /f >/dev/null
    wine_run reg add 'HKCU\Software\Wine\DllOverrides' /v icuuc /d native /f >/dev/null
    wineserver -w
}

winpath() {  # a Linux path as Windows sees it (Z:\...)
    printf 'Z:%s' "$(realpath -m "$1" | tr / '\\')"
}
