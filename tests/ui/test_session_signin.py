"""Starting RefDesk as a person at the desk does (the first run, which sets up the clinic and its
administrator, is in ``test_first_run``): each start asks for a user name and password, says a refusal
in plain words under the fields, and asks a person whose password an administrator set to choose their
own before they work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.vocab import StaffRole
from refdesk.errors import SignInError
from refdesk.services import accounts
from refdesk.services.actor import Actor
from refdesk.storage import Database
from tests.ui.test_idle_lock import CLINIC, PASSWORD, FakeClock, tear_down
from ui.session.controller import LAST_USER, SessionController
from ui.session.password import PasswordDialog
from ui.session.signin import DEMO_HINT, SignInDialog

FIRST_PASSWORD = "given-by-admin-1"
OWN_PASSWORD = "sam-chooses-this-9"


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def session(qtbot: QtBot, db: Database, prefs: QSettings) -> Iterator[SessionController]:
    controller = SessionController(db, demo=False, preferences=prefs, clock=FakeClock())
    yield controller
    tear_down(controller)


@pytest.fixture
def admin(db: Database) -> Actor:
    return accounts.set_up_clinic(
        db, clinic_name=CLINIC, username="maria", full_name="Maria Lopez", password=PASSWORD
    )


class Expect:
    """Runs ``act(dialog)`` once a ``kind`` dialog is the active modal one (its ``exec()`` running).

    It polls with a timer rather than waiting in a loop of its own: a nested wait would sit on top of
    the dialog's ``exec()`` and keep it from returning. A failure rejects the dialog, so ``exec()``
    returns, and ``check()`` raises it afterwards.
    """

    def __init__(self, kind: type[QDialog], act: Callable[[QDialog], None]) -> None:
        self.kind, self.act = kind, act
        self.failures: list[BaseException] = []
        self.done = False
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, self.kind) or not dialog.isVisible():
            return
        self.timer.stop()
        try:
            self.act(dialog)
        except BaseException as error:  # noqa: BLE001 - raised by check() after exec() returns
            self.failures.append(error)
            if dialog.isVisible():
                dialog.reject()
        self.done = True

    def check(self) -> None:
        self.timer.stop()
        if self.failures:
            raise self.failures[0]
        assert self.done, f"no {self.kind.__name__} was shown"


def type_into(qtbot: QtBot, field: QWidget, text: str) -> None:
    field.setFocus()
    qtbot.keyClicks(field, text)


def error_of(dialog: QWidget, key: str) -> str:
    for label in dialog.findChildren(QLabel, "fieldError"):
        if label.property("key") == key and not label.isHidden():
            return label.text()
    return ""


def no_message_box() -> bool:
    return not any(isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets())


def test_a_sign_in_refused_is_said_under_the_fields_and_the_password_cleared(
    qtbot: QtBot, db: Database, admin: Actor
) -> None:
    dialog = SignInDialog(db, demo=False)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.findChild(QLabel, "signInClinic").text() == CLINIC  # type: ignore[union-attr]
    assert "RefDesk" in dialog.findChild(QLabel, "signInVersion").text()  # type: ignore[union-attr]
    assert dialog.findChild(QLabel, "signInHint") is None  # the demo's accounts are never hinted here
    error = dialog.findChild(QLabel, "signInError")
    assert error is not None and error.isHidden()
    qtbot.waitUntil(dialog.user.hasFocus)  # no name known yet: the cursor starts in the name

    type_into(qtbot, dialog.user, "maria")
    type_into(qtbot, dialog.password, "wrong-password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.busy and dialog.password.isReadOnly()  # checked on a worker; the fields wait
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.isVisible() and dialog.actor is None
    assert error.isVisible() and error.text() == "The name or password is not right."
    assert dialog.password.text() == "" and dialog.password.hasFocus()
    assert no_message_box()

    qtbot.keyClicks(dialog.password, PASSWORD)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.actor is not None and dialog.actor.staff_id == admin.staff_id
    assert dialog.take_password() == PASSWORD and dialog.take_password() is None


def test_repeated_failures_lock_the_account_and_the_screen_says_for_how_long(
    qtbot: QtBot, db: Database, admin: Actor
) -> None:
    dialog = SignInDialog(db, demo=False, username="maria")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.password.hasFocus)  # the name is prefilled: the cursor waits in the password
    for _attempt in range(accounts.LOCK_AFTER):
        qtbot.keyClicks(dialog.password, "wrong-password")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not dialog.busy)
    qtbot.keyClicks(dialog.password, PASSWORD)  # even the right password waits now
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.busy)
    error = dialog.findChild(QLabel, "signInError")
    assert error is not None and "Try again in" in error.text()
    assert dialog.isVisible() and dialog.actor is None and no_message_box()
    with pytest.raises(SignInError):
        accounts.sign_in(db, "maria", PASSWORD)


def test_the_demo_hint_is_shown_on_the_demo_database_only(qtbot: QtBot, db: Database, admin: Actor) -> None:
    demo = SignInDialog(db, demo=True)
    qtbot.addWidget(demo)
    demo.show()
    hint = demo.findChild(QLabel, "signInHint")
    assert hint is not None and hint.isVisible() and hint.text() == DEMO_HINT
    assert "admin" in DEMO_HINT and "demo" in DEMO_HINT


def test_a_new_account_chooses_its_own_password_before_the_window_opens(
    qtbot: QtBot, db: Database, admin: Actor, session: SessionController, prefs: QSettings
) -> None:
    accounts.add_staff(db, admin, "sam", "Sam Carter", StaffRole.FRONT_DESK, FIRST_PASSWORD)

    def sign_in(dialog: QDialog) -> None:
        assert isinstance(dialog, SignInDialog)
        type_into(qtbot, dialog.user, "sam")
        type_into(qtbot, dialog.password, FIRST_PASSWORD)
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, PasswordDialog)
        assert dialog.old.isHidden()  # typed a moment ago at the sign-in
        type_into(qtbot, dialog.new, OWN_PASSWORD)
        type_into(qtbot, dialog.repeat, "not the same")
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
        assert dialog.isVisible() and "differ" in error_of(dialog, "repeat")
        type_into(qtbot, dialog.repeat, OWN_PASSWORD)
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)

    signing_in, choosing = Expect(SignInDialog, sign_in), Expect(PasswordDialog, choose)
    started = session.start()
    signing_in.check()
    choosing.check()
    assert started and session.window is not None
    assert session.window.windowTitle() == f"RefDesk — {CLINIC} — Sam Carter"
    assert session.actor is not None and session.actor.username == "sam"
    assert not accounts.password_change_required(db, session.actor)
    assert accounts.sign_in(db, "sam", OWN_PASSWORD).username == "sam"
    assert prefs.value(LAST_USER) == "sam"  # prefilled at the next start


def test_cancelling_the_sign_in_starts_nothing(
    qtbot: QtBot, db: Database, admin: Actor, session: SessionController
) -> None:
    cancel = Expect(SignInDialog, lambda dialog: dialog.reject())
    assert session.start() is False
    cancel.check()
    assert session.window is None and session.actor is None and not session.idle.running
