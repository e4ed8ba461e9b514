"""The core never depends on Qt: it must run (CLI, scheduled letters, a later server) without it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import refdesk

CORE = Path(refdesk.__file__).parent
FORBIDDEN = ("PySide6", "shiboken6", "ui")


def test_no_module_of_the_core_imports_qt_or_the_ui() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_core_module_and_checking_a_database_loads_no_qt(tmp_path: Path) -> None:
    script = f"""
import importlib, pkgutil, sys
import refdesk
for info in pkgutil.walk_packages(refdesk.__path__, "refdesk."):
    # __main__ runs the CLI; the Alembic scripts run only inside Alembic
    if not info.name.endswith("__main__") and not info.name.startswith("refdesk.storage.migrations."):
        importlib.import_module(info.name)
from refdesk.cli.main import main
from refdesk.storage import Database
Database.open(__import__("pathlib").Path({str(tmp_path / "x.db")!r})).close()
code = main(["check", "--db", {str(tmp_path / "x.db")!r}])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})
print(code, loaded)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"


def test_the_main_window_starts_without_the_heavy_libraries_it_needs_only_later() -> None:
    """Start-up is mostly imports (performance.md): ReportLab waits for the first letter or report,
    QtCharts for the Reports tab, openpyxl for an import."""
    script = """
import sys
import ui.main_window
heavy = {m.split(".")[0] for m in sys.modules} & {"reportlab", "openpyxl"}
print(sorted(heavy), "PySide6.QtCharts" in sys.modules)
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[] False"
