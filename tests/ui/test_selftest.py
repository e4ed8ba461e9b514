"""The GUI half of ``refdesk selftest``: the application set up as ``refdesk`` sets it up, the main window
walked (every tab, the first referral) and closed; a window that gets stuck fails the step, named."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import ui.selftest
from refdesk import APP_NAME, __version__
from refdesk.cli.main import main
from refdesk.cli.selftest import administrator
from refdesk.storage import Database
from ui.selftest import GuiSelfTest

STEPS = ["application", "main window", "tabs", "referral", "close"]


@pytest.fixture(autouse=True)
def app_as_it_was(qapp: QApplication) -> Iterator[QApplication]:
    """The self-test sets the application up (name, icon, style sheet) as ``refdesk`` does; the other
    tests of this process get it back as it was."""
    saved = (
        qapp.applicationName(),
        qapp.applicationDisplayName(),
        qapp.applicationVersion(),
        qapp.organizationName(),
        qapp.windowIcon(),
        qapp.styleSheet(),
        qapp.style().name(),
    )
    yield qapp
    name, display, version, organization, icon, sheet, style = saved
    qapp.setApplicationName(name)
    qapp.setApplicationDisplayName(display)
    qapp.setApplicationVersion(version)
    qapp.setOrganizationName(organization)
    qapp.setWindowIcon(icon)
    qapp.setStyleSheet(sheet)
    QApplication.setStyle(style)


def test_a_window_whose_queue_stays_empty_fails_the_main_window_step(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.selftest, "WAIT_SECONDS", 1.0)
    with GuiSelfTest(db, administrator(db), tmp_path) as gui:  # an empty database: the queue stays empty
        steps = dict(gui.steps())
        steps["application"]()
        with pytest.raises(TimeoutError, match="the queue's first page: not there after 1 s"):
            steps["main window"]()
        assert gui.window is not None
        qtbot.addWidget(gui.window)
    assert gui.window is not None and not gui.window.isVisible()  # closed on the way out


@pytest.mark.slow
def test_refdesk_selftest_walks_the_window_and_exits_0(
    qapp: QApplication,
    tmp_path: Path,
    refdesk_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = main(["selftest"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, "\n".join(lines)
    assert all(line.startswith("ok: ") for line in lines[:-1])
    details = dict(line.removeprefix("ok: ").removesuffix(")").split(" (", 1) for line in lines[-6:-1])
    assert list(details) == STEPS
    assert details["application"].startswith(f"{APP_NAME} {__version__}, icon, style sheet")
    assert details["tabs"] == "Today, Queue, Partners, Reports"
    assert details["referral"].startswith("referral ")
    assert details["close"] == "layout saved"
    assert lines[-1].startswith(f"{APP_NAME} {__version__} selftest passed: 16 checks")
    # The application is named and dressed as refdesk dresses it; nothing was written to the data
    # folder, and the window's layout went to the temporary folder, removed since.
    assert (qapp.applicationName(), qapp.applicationVersion()) == (APP_NAME, __version__)
    assert not qapp.windowIcon().isNull() and qapp.styleSheet()
    assert not refdesk_home.exists() and list(tmp_path.iterdir()) == []
