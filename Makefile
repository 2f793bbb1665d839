# `make run` and `make test` do all their own set-up: a .venv in this folder, the project
# installed into it, and the FaceNet weights fetched into the per-user cache (checked by sha256).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test postgresql weights venv clean-venv benchmark evaluate package package-test lint package-windows package-windows-test wine

run: $(STAMP) weights
	$(PY) main.py

test: $(STAMP) weights postgresql
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The tests start their own throw-away PostgreSQL server (tests/pg_server.py) from the
# machine's server programs: Debian's postgresql-15, installed here when missing (as root).
PG_BIN := /usr/lib/postgresql/15/bin
postgresql:
	@test -x $(PG_BIN)/initdb || test -n "$$KIOSK_PG_BIN" || { \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -q --no-install-recommends postgresql-15 ; \
	    else echo "the tests need the PostgreSQL 15 server programs: sudo apt-get install postgresql-15" \
	        "(or set KIOSK_PG_BIN to a folder holding initdb, pg_ctl and postgres)" >&2; exit 1; fi ; }

venv: $(STAMP)

# Re-install only when the project's dependencies change (idempotent, fast when up to date).
$(STAMP): pyproject.toml
	@test -x $(PY) || { command -v $(PYTHON) >/dev/null && $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

weights: $(STAMP)
	@$(PY) -m kiosk weights verify >/dev/null 2>&1 || $(PY) -m kiosk weights fetch

lint: $(STAMP)
	$(VENV)/bin/lint-imports

benchmark: $(STAMP) weights
	$(PY) -m kiosk benchmark --lfw ../shared/testdata/lfw-view1
	$(PY) -m kiosk benchmark-screen --fullscreen

evaluate: $(STAMP) weights
	$(PY) -m kiosk evaluate --pairs ../shared/testdata/lfw-view1/pairsDevTest.txt \
	    --images ../shared/testdata/lfw-view1 --baseline pixel --plot roc-devtest.png
	$(PY) -m kiosk evaluate-pad --live ../shared/testdata/pad/live --attack ../shared/testdata/pad/attack

clean-venv:
	rm -rf $(VENV)

# The Linux installer: PyInstaller one-folder bundle (dist/kiosk/) and .deb (dist/*.deb).
# Slow (minutes, ~1.2 GB), so not part of `make test`; see packaging/README.md.
package: $(STAMP) weights
	KIOSK_PYTHON=$(PY) packaging/build_linux.sh

# Builds the package, then (as root) dpkg -i, the installed program's self-test, enroll and verify
# offline (on SQLite and on a throw-away PostgreSQL server), dpkg -r.
package-test: package postgresql
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s -p no:cacheprovider -m package tests/packaging

# The Windows installer, built on this Linux machine: PyInstaller under Wine on the Windows
# embeddable Python, then Inno Setup under Wine -> dist/facenet-kiosk-<version>-setup.exe.
# Every download is sha256-pinned in packaging/windows/ and cached in build/windows-cache/.
package-windows: $(STAMP) weights wine
	KIOSK_PYTHON=$(PY) packaging/build_windows_wine.sh

# Then, in a fresh Wine prefix: silent install, the installed kiosk.exe self-test, enroll and
# verify, silent uninstall (program gone, data kept). Slow, so not part of `make test`.
package-windows-test: package-windows
	$(PY) -m pytest -q -s -p no:cacheprovider -m windows tests/packaging/test_windows.py

# Wine (64-bit, plus 32-bit for Inno Setup) and MinGW-w64 (the Wine-only stand-in DLLs), from apt.
wine:
	@. packaging/windows/wine_env.sh && wine_need 2>/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null || { \
	    dpkg --add-architecture i386 && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	        --no-install-recommends wine wine64 wine32:i386 gcc-mingw-w64-x86-64-win32 ; }
