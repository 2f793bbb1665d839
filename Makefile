# `make run` and `make test` do all their own set-up: a .venv in this folder, the project
# installed into it, and the FaceNet weights fetched into the per-user cache (checked by sha256).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test weights venv clean-venv benchmark evaluate package package-test lint

run: $(STAMP) weights
	$(PY) main.py

test: $(STAMP) weights
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

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
	$(PY) -m kiosk benchmark-screen

evaluate: $(STAMP) weights
	$(PY) -m kiosk evaluate --pairs ../shared/testdata/lfw-view1/pairsDevTest.txt \
	    --images ../shared/testdata/lfw-view1 --baseline pixel --plot roc-devtest.png

clean-venv:
	rm -rf $(VENV)

# The Linux installer: PyInstaller one-folder bundle (dist/kiosk/) and .deb (dist/*.deb).
# Slow (minutes, ~1.2 GB), so not part of `make test`; see packaging/README.md.
package: $(STAMP) weights
	KIOSK_PYTHON=$(PY) packaging/build_linux.sh

# Builds the package, then (as root) dpkg -i, the installed program's self-test offline, dpkg -r.
package-test: package
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s -p no:cacheprovider -m package tests/packaging
