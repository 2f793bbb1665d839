"""The house rules that keep the program responsive and testable."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

HEAVY = ("tensorflow", "keras", "mtcnn", "ai_edge_litert", "PySide6", "cv2", "matplotlib")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((REPO / "kiosk" / "core").glob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_qt(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] == "PySide6" or m.startswith("kiosk.ui")}


@pytest.mark.parametrize("path", sorted((REPO / "kiosk" / "ui").glob("*.py")), ids=lambda p: p.name)
def test_ui_never_imports_tensorflow_or_mtcnn(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] in ("tensorflow", "keras", "mtcnn")}


@pytest.mark.parametrize("path", sorted((REPO / "kiosk").glob("*.py")), ids=lambda p: p.name)
def test_only_the_ui_package_imports_qt(path):
    """The CLI, the self-test and the course functions reach Qt only through kiosk.ui."""
    assert not {m for m in imported_modules(path) if m.split(".")[0] == "PySide6"}


def test_import_kiosk_is_instant_and_light():
    code = ("import sys, time; t = time.perf_counter(); import kiosk, kiosk.cli, kiosk.core.pipeline, "
            "kiosk.core.store, kiosk.core.matching; print(time.perf_counter() - t); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    seconds, heavy = out.stdout.splitlines()
    assert heavy == "[]", f"imported at import time: {heavy}"
    assert float(seconds) < 2.0


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout[-2000:]
