"""The automatic lock (reliability promise 12, HIPAA's automatic logoff): after the clinic's idle minutes
the session locks, no window shows a patient any more, and only a sign-in brings it back, exactly as it
was. Time is a fake clock moved by the test; the idle check is called directly, never waited for.

The helpers here (``clinic``, ``session``, ``leaks``, ...) are shared with ``test_switch_user``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from refdesk.domain.formats import referral_number
from refdesk.domain.models import AuditEvent
from refdesk.errors import AccessDenied, ValidationError
from refdesk.services import accounts, security_settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.dialogs.new_referral import NewReferralDialog
from ui.main_window import MainWindow
from ui.session.controller import SessionController
from ui.session.lock import LOCKED_TITLE, ScreenLock
from ui.session.signin import SignInDialog

PASSWORD = "river-stone-42"
CLINIC = "Riverside Community Clinic"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def admin(db: Database, actor: Actor) -> Actor:
    """Maria (the ``actor`` fixture's account) sets up the clinic: an administrator with a password."""
    return accounts.set_up_clinic(
        db, clinic_name=CLINIC, username=actor.username, full_name="Maria Lopez", password=PASSWORD
    )


@pytest.fixture
def session(qtbot: QtBot, db: Database, prefs: QSettings, clock: FakeClock) -> Iterator[SessionController]:
    controller = SessionController(db, demo=False, preferences=prefs, clock=clock)
    yield controller
    tear_down(controller)


def tear_down(controller: SessionController) -> None:
    """Close what the session opened while the database is still open (closing signs out)."""
    controller.idle.stop()
    if controller.screen_lock.locked:
        controller.screen_lock.release()
    screen = controller.lock_screen
    if screen is not None:
        screen.locked = False
        screen.close()
        screen.deleteLater()
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and isinstance(widget, QMessageBox | NewReferralDialog):
            widget.close()
    window = controller.window
    if window is not None:
        window.close()
        window.runner.wait()
        window.deleteLater()


def opened(qtbot: QtBot, session: SessionController, actor: Actor) -> MainWindow:
    """The session's window for ``actor``, shown and active, as after a sign-in."""
    window = session.open_window(actor)
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def show_referral(qtbot: QtBot, window: MainWindow, referral_id: int) -> None:
    window.open_referral(referral_id)
    qtbot.waitUntil(lambda: window.detail.referral_id == referral_id)
    qtbot.waitUntil(lambda: window.queue.current_referral_id() == referral_id)


def sign_in_on(qtbot: QtBot, screen: SignInDialog, username: str | None, password: str) -> None:
    """Type at the lock screen (the name only when given) and press Enter."""
    if username is not None:
        screen.user.setFocus()
        screen.user.selectAll()
        qtbot.keyClicks(screen.user, username)
    screen.password.setFocus()
    qtbot.keyClicks(screen.password, password)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not screen.busy)  # checked on a worker


def secrets(referral_id: int) -> tuple[str, ...]:
    """What must not be on screen while locked: the ``new_referral`` patient's names, phone and R-number."""
    return ("Zoë", "Nguyễn", "201-4477", referral_number(referral_id))


def texts_of(widget: QWidget) -> list[str]:
    """What a person can read in ``widget`` itself (item views: every cell of their model)."""
    found = [widget.windowTitle(), widget.toolTip()]
    if isinstance(widget, QLabel | QAbstractButton):
        found.append(widget.text())
    elif isinstance(widget, QLineEdit):
        found += [widget.text(), widget.placeholderText()]
    elif isinstance(widget, QPlainTextEdit | QTextEdit):
        found.append(widget.toPlainText())
    elif isinstance(widget, QComboBox):
        found.append(widget.currentText())
    elif isinstance(widget, QTabBar):
        found += [widget.tabText(i) for i in range(widget.count())]
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        for row in range(min(model.rowCount(), 200)):
            for column in range(model.columnCount()):
                value = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
                found.append("" if value is None else str(value))
    return found


def covers(window: QWidget, curtain: QWidget) -> bool:
    """The curtain is shown over the whole window and above every other child of it."""
    on_top = [c for c in window.children() if isinstance(c, QWidget) and not c.isWindow() and c.isVisible()]
    return curtain.isVisible() and curtain.geometry() == window.rect() and on_top[-1] is curtain


def leaks(lock: ScreenLock | None, keep: QWidget | None, words: tuple[str, ...]) -> list[str]:
    """Where any of ``words`` can be read on screen: window titles, and every visible widget of windows
    not under a curtain (a curtain that does not cover its window counts as a leak)."""
    found: list[str] = []
    for window in QApplication.topLevelWidgets():
        if not window.isVisible() or window is keep:
            continue
        name = f"{type(window).__name__} {window.objectName()}"
        if any(word in window.windowTitle() for word in words):
            found.append(f"title of {name}")
        curtain = lock.curtain(window) if lock is not None else None
        if curtain is not None:
            if not covers(window, curtain):
                found.append(f"curtain of {name}")
            continue
        for widget in [window, *window.findChildren(QWidget)]:
            if widget.window() is not window:
                continue  # a dialog's own widgets: checked as that window
            if widget.isVisibleTo(window) and any(w in text for text in texts_of(widget) for w in words):
                found.append(f"{type(widget).__name__} {widget.objectName()} in {name}")
    return found


def inside_exec(qtbot: QtBot, dialog: QMessageBox, steps: Callable[[], None]) -> list[BaseException]:
    """Run ``steps`` while ``dialog.exec()`` runs its own event loop (as a message box of the app does),
    then the dialog is closed whatever happened; returns what ``steps`` raised, to re-raise after exec."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            qtbot.waitUntil(dialog.isVisible)
            steps()
        except BaseException as error:  # noqa: BLE001 - handed back to the test after exec() returns
            failures.append(error)
        finally:
            if dialog.isVisible():
                dialog.done(QMessageBox.StandardButton.Cancel)

    QTimer.singleShot(0, run)
    return failures


def sign_out_reasons(db: Database, staff_id: int) -> list[str]:
    with db.session() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "auth.sign_out", AuditEvent.staff_id == staff_id)
            .order_by(AuditEvent.id)
        )
        return [str((event.detail or {}).get("reason")) for event in events]


# -- the tests -------------------------------------------------------------------------------------------


def test_the_session_locks_after_the_idle_minutes_and_input_starts_them_again(
    qtbot: QtBot, db: Database, admin: Actor, session: SessionController, clock: FakeClock
) -> None:
    security_settings.set_idle_minutes(db, admin, 3)
    window = opened(qtbot, session, admin)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # File → Lock screen
    assert session.locked
    screen = session.lock_screen
    assert screen is not None
    sign_in_on(qtbot, screen, None, PASSWORD)
    assert not session.locked

    clock.advance(179)
    session.idle.check()
    assert not session.locked
    qtbot.keyClick(window, Qt.Key.Key_Shift)  # someone is there
    clock.advance(120)
    session.idle.check()
    assert not session.locked  # two minutes since the key, not five since the start
    clock.advance(61)
    session.idle.check()
    assert session.locked and window.locked
    screen = session.lock_screen
    assert screen is not None and screen.isVisible()
    assert QApplication.activeModalWidget() is screen
    assert window.windowTitle() == LOCKED_TITLE
    assert screen.user.text() == admin.username
    qtbot.waitUntil(screen.password.hasFocus)  # the name is there: the cursor waits in the password
    assert sign_out_reasons(db, admin.staff_id) == ["idle lock", "idle lock"]


def test_a_locked_screen_shows_no_patient_even_with_a_modal_dialog_open(
    qtbot: QtBot, db: Database, admin: Actor, session: SessionController, referral_id: int
) -> None:
    words = secrets(referral_id)
    window = opened(qtbot, session, admin)
    show_referral(qtbot, window, referral_id)
    window.new_referral()  # a window-modal dialog with a patient half typed
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NewReferralDialog))
    qtbot.waitExposed(form)
    form.setWindowTitle("New referral — Zoë Nguyễn")  # even a title naming the patient is hidden
    form.form.field("patient_last_name").setFocus()
    qtbot.keyClicks(form.form.field("patient_last_name"), "Nguyen")
    # ...and an application-modal message box running its own loop, naming the patient.
    box = QMessageBox(QMessageBox.Icon.Question, "Zoë Nguyễn", "Call Zoë Nguyễn back?", parent=window)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)

    def while_the_box_runs() -> None:
        assert leaks(None, None, words), "the check must see the patient before the lock"
        window.menuBar().actions()[0].menu().popup(window.mapToGlobal(window.rect().center()))
        qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
        session.lock()
        screen = session.lock_screen
        assert screen is not None
        assert QApplication.activePopupWidget() is None  # menus and completer lists are closed
        assert leaks(session.screen_lock, screen, words) == []
        assert set(session.screen_lock.covered()) == {form, box}
        assert box.isVisible() and form.isVisible()  # covered, not closed
        assert {box.windowTitle(), form.windowTitle()} == {LOCKED_TITLE}
        assert QApplication.activeModalWidget() is screen  # above the running message box
        box.setWindowTitle("Call Zoë Nguyễn back")  # a covered window retitling itself stays "Locked"
        assert box.windowTitle() == LOCKED_TITLE
        # A window that opens while locked (a background task's message) is covered as it shows.
        late = QMessageBox(QMessageBox.Icon.Warning, "Zoë Nguyễn", "Nguyễn: saved", parent=window)
        late.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        late.show()
        qtbot.waitExposed(late)
        assert leaks(session.screen_lock, screen, words) == []
        late.close()
        sign_in_on(qtbot, screen, None, PASSWORD)
        qtbot.waitUntil(lambda: not session.locked)
        assert box.isVisible() and box.windowTitle() == "Call Zoë Nguyễn back"  # its latest title
        assert form.windowTitle() == "New referral — Zoë Nguyễn"

    failures = inside_exec(qtbot, box, while_the_box_runs)
    box.exec()
    if failures:
        raise failures[0]
    assert form.isVisible() and form.form.field("patient_last_name").text() == "Nguyen"


def test_the_same_person_signing_in_again_finds_everything_where_it_was(
    qtbot: QtBot, db: Database, admin: Actor, session: SessionController, referral_id: int
) -> None:
    window = opened(qtbot, session, admin)
    show_referral(qtbot, window, referral_id)
    window.new_referral()
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NewReferralDialog))
    qtbot.waitExposed(form)
    title = form.windowTitle()
    field = form.form.field("patient_first_name")
    assert isinstance(field, QLineEdit)
    field.setFocus()
    qtbot.keyClicks(field, "Ana")

    session.idle.check()  # not idle yet
    assert not session.locked
    session.lock()  # as the idle check does (the dialog blocks the window's own Ctrl+L)
    assert session.locked
    screen = session.lock_screen
    assert screen is not None and screen.isVisible()

    # A wrong password keeps it locked, says so under the fields and clears the password.
    sign_in_on(qtbot, screen, None, "not-the-password")
    error = screen.findChild(QLabel, "signInError")
    assert error is not None and error.isVisible() and "not right" in error.text()
    assert session.locked and screen.isVisible() and screen.password.text() == ""
    assert leaks(session.screen_lock, screen, secrets(referral_id)) == []
    # Escape does not get past it either.
    qtbot.keyClick(screen.password, Qt.Key.Key_Escape)
    assert session.locked and screen.isVisible()

    sign_in_on(qtbot, screen, None, PASSWORD)
    assert not session.locked and not screen.isVisible()
    assert session.window is window and not window.locked
    assert window.tabs.currentIndex() == window.TABS.index("Queue")
    assert window.detail.referral_id == referral_id and window.queue.current_referral_id() == referral_id
    assert form.isVisible() and form.windowTitle() == title and field.text() == "Ana"
    assert session.screen_lock.curtain(form) is None and not form.findChildren(QWidget, "lockCurtain")
    assert window.windowTitle() == f"RefDesk — {CLINIC} — Maria Lopez"
    assert session.idle.running
    with db.session() as s:
        sign_ins = list(
            s.scalars(
                select(AuditEvent.success).where(AuditEvent.action == "auth.sign_in").order_by(AuditEvent.id)
            )
        )
    assert sign_ins[-2:] == [False, True]  # the wrong try and the right one, after the setup's own


def test_the_idle_minutes_are_the_clinics_and_only_an_administrator_changes_them(
    db: Database, admin: Actor
) -> None:
    assert security_settings.idle_minutes(db) == security_settings.DEFAULT_IDLE_MINUTES == 5
    front_desk = accounts.add_staff(db, admin, "sam", "Sam Carter", admin.role.FRONT_DESK, "first-pass-77")
    sam = Actor(front_desk, "sam", admin.role.FRONT_DESK, "Sam Carter")
    with pytest.raises(AccessDenied):
        security_settings.set_idle_minutes(db, sam, 30)
    for wrong in (0, 61):
        with pytest.raises(ValidationError) as refused:
            security_settings.set_idle_minutes(db, admin, wrong)
        assert "minutes" in refused.value.errors
    assert security_settings.set_idle_minutes(db, admin, 15) == 15
    assert security_settings.idle_minutes(db) == 15
    with db.session() as s:
        rows = list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == "setting.update").order_by(AuditEvent.id))
        )
    assert [(row.staff_id, row.success) for row in rows] == [
        (sam.staff_id, False),
        (admin.staff_id, False),
        (admin.staff_id, False),
        (admin.staff_id, True),
    ]
    assert rows[-1].detail == {"key": security_settings.IDLE_LOCK_MINUTES, "old": None, "new": 15}
