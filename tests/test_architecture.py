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


@pytest.mark.parametrize("path", sorted((REPO / "kiosk" / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_core_never_imports_qt(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] == "PySide6" or m.startswith("kiosk.ui")}


@pytest.mark.parametrize("path", sorted((REPO / "kiosk" / "ui").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_ui_never_imports_tensorflow_or_mtcnn(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] in ("tensorflow", "keras", "mtcnn")}


@pytest.mark.parametrize("path", sorted((REPO / "kiosk").glob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_ui_package_imports_qt(path):
    """The CLI, the self-test and the course functions reach Qt only through kiosk.ui."""
    assert not {m for m in imported_modules(path) if m.split(".")[0] == "PySide6"}


def _is_slot(function: ast.FunctionDef) -> bool:
    return any(getattr(getattr(d, "func", d), "id", "") == "Slot" for d in function.decorator_list)


def _methods(tree) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _connected_targets(tree) -> list[ast.Attribute]:
    return [node.args[0] for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect" and node.args and isinstance(node.args[0], ast.Attribute)]


def test_every_method_connected_to_a_signal_is_a_slot():
    """PySide6 6.8+ cross-thread crashes were traced to undecorated callables (STYLE.md)."""
    trees = {p: ast.parse(p.read_text()) for p in sorted((REPO / "kiosk" / "ui").rglob("*.py"))}
    everywhere: dict[str, list] = {}
    for tree in trees.values():
        for name, fn in _methods(tree).items():
            everywhere.setdefault(name, []).append(fn)
    missing = []
    for path, tree in trees.items():
        own = _methods(tree)
        for target in _connected_targets(tree):
            on_self = isinstance(target.value, ast.Name) and target.value.id == "self"
            candidates = [own[target.attr]] if on_self and target.attr in own else (
                [] if on_self else everywhere.get(target.attr, []))
            missing += [f"{path.name}:{target.lineno} {target.attr}" for fn in candidates if not _is_slot(fn)]
    assert not missing
    assert any(_connected_targets(t) for t in trees.values())  # the check looked at something


def test_import_kiosk_is_instant_and_light():
    code = ("import sys, time; t = time.perf_counter(); import kiosk, kiosk.cli, kiosk.core.recognition.engine, "
            "kiosk.core.storage.sqlite, kiosk.core.recognition.matching; print(time.perf_counter() - t); "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    seconds, heavy = out.stdout.splitlines()
    assert heavy == "[]", f"imported at import time: {heavy}"
    assert float(seconds) < 2.0


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout[-2000:]
