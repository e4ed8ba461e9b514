"""The main window as the front desk first sees it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.storage import Database
from ui.main_window import MainWindow


def test_an_empty_database_says_there_is_nothing_open(qtbot: QtBot, db: Database) -> None:
    window = MainWindow(db, demo=False)
    qtbot.addWidget(window)
    assert window.windowTitle() == "RefDesk"
    assert window.findChild(type(window.centralWidget()), "summary").text() == "No open referrals."


def test_the_demo_database_is_marked_in_the_title(qtbot: QtBot, db: Database) -> None:
    window = MainWindow(db, demo=True)
    qtbot.addWidget(window)
    assert "DEMO" in window.windowTitle()


def test_open_referrals_are_counted_by_state(
    qtbot: QtBot, db: Database, actor: Actor, referral_id: int
) -> None:
    log_attempt(db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER)
    window = MainWindow(db, demo=False)
    qtbot.addWidget(window)
    text = window.centralWidget().text()
    assert "1 open referrals" in text and "Contact attempted: 1" in text and "Received: 0" in text
    assert window.statusBar().currentMessage() == "1 open"
