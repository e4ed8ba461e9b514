"""Exploring the demo from the first run's welcome: "Explore with demo data first" starts another
RefDesk (``refdesk --demo``, or the bundle's own program) and a demo that cannot start is said on the
welcome page, where setting up this clinic still works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from refdesk.services import setup
from refdesk.storage import Database
from tests.ui.test_first_run import Demo
from ui.session.first_run import CLINIC as CLINIC_PAGE
from ui.session.first_run import WELCOME, DemoNotStarted, FirstRunWizard, start_demo


def test_a_demo_that_cannot_start_is_said_on_the_welcome_page(qtbot: QtBot, db: Database) -> None:
    wizard = FirstRunWizard(db, launch_demo=Demo(fails=True))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.welcome_page.demo.setChecked(True)
    wizard.next()
    assert wizard.isVisible() and wizard.currentId() == WELCOME and wizard.choice is None
    error = wizard.welcome_page.findChild(QLabel, "firstRunError")
    assert error is not None and error.isVisible() and "could not be started" in error.text()
    wizard.welcome_page.set_up.setChecked(True)  # setting up instead still works
    wizard.next()
    assert wizard.currentId() == CLINIC_PAGE


def test_start_demo_starts_the_demo_command_with_its_environment(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "started.txt"
    script = "import os, sys; open(sys.argv[1], 'w').write(os.environ['REFDESK_TEST_MARK'])"
    command = (sys.executable, ["-c", script, str(marker)], {"REFDESK_TEST_MARK": "demo"})
    monkeypatch.setattr(setup, "demo_command", lambda: command)
    start_demo()
    qtbot.waitUntil(lambda: marker.exists() and marker.read_text() == "demo", timeout=30_000)

    monkeypatch.setattr(setup, "demo_command", lambda: (str(tmp_path / "no-such-program"), ["--demo"], {}))
    with pytest.raises(DemoNotStarted, match="could not be started"):
        start_demo()


def test_the_demo_command_is_this_refdesk_on_the_demo_database(monkeypatch: pytest.MonkeyPatch) -> None:
    program, arguments, extra = setup.demo_command()
    assert program == sys.executable and arguments[-1] == "--demo"
    environment = {**os.environ, **extra}
    version = [program, *arguments[:-1], "--version"]  # the same program, asked only its version
    done = subprocess.run(version, env=environment, capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0 and done.stdout.startswith("RefDesk")

    monkeypatch.setattr(sys, "frozen", True, raising=False)  # the bundle: its executable is RefDesk itself
    assert setup.demo_command() == (sys.executable, ["--demo"], {})
