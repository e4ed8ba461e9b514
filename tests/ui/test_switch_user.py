"""Another person at a locked desk: "Switch user" lets them sign in, the previous person's open dialogs
are closed and their session ends, and a fresh window opens in which everything is done as the new
person. The previous person changing their mind gets their own window back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from refdesk.domain.vocab import AttemptOutcome, StaffRole
from refdesk.services import accounts
from refdesk.services.actor import Actor
from refdesk.services.timeline import referral_timeline
from refdesk.storage import Database
from tests.ui.keyboard import press
from tests.ui.test_idle_lock import (
    CLINIC,
    PASSWORD,
    FakeClock,
    leaks,
    opened,
    secrets,
    show_referral,
    sign_in_on,
    sign_out_reasons,
    tear_down,
)
from tests.ui.test_session_signin import Expect, type_into
from ui.dialogs.new_referral import NewReferralDialog
from ui.session.controller import SessionController
from ui.session.password import PasswordDialog
from ui.session.signin import SWITCH_MESSAGE

SAM_FIRST = "given-by-admin-1"
SAM_OWN = "sam-chooses-this-9"


@pytest.fixture
def prefs(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def session(qtbot: QtBot, db: Database, prefs: QSettings) -> Iterator[SessionController]:
    controller = SessionController(db, demo=False, preferences=prefs, clock=FakeClock())
    yield controller
    tear_down(controller)


@pytest.fixture
def admin(db: Database, actor: Actor) -> Actor:
    return accounts.set_up_clinic(
        db, clinic_name=CLINIC, username=actor.username, full_name="Maria Lopez", password=PASSWORD
    )


@pytest.fixture
def sam(db: Database, admin: Actor) -> int:
    """A front-desk account an administrator just made: Sam must choose a password at the first sign-in."""
    return accounts.add_staff(db, admin, "sam", "Sam Carter", StaffRole.FRONT_DESK, SAM_FIRST)


def test_another_person_gets_a_fresh_window_and_everything_is_done_as_them(
    qtbot: QtBot, db: Database, admin: Actor, sam: int, session: SessionController, referral_id: int
) -> None:
    old = opened(qtbot, session, admin)
    show_referral(qtbot, old, referral_id)
    old.new_referral()
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NewReferralDialog))
    qtbot.waitExposed(form)
    field = form.form.field("patient_first_name")
    assert isinstance(field, QLineEdit)
    type_into(qtbot, field, "Ana")
    old_deleted: list[bool] = []
    old.destroyed.connect(lambda: old_deleted.append(True))

    session.lock()
    screen = session.lock_screen
    assert screen is not None and screen.switch_button is not None
    qtbot.mouseClick(screen.switch_button, Qt.MouseButton.LeftButton)
    assert screen.user.text() == "" and screen.focusWidget() is screen.user
    message = screen.findChild(QLabel, "signInLocked")
    assert message is not None and message.text() == SWITCH_MESSAGE

    def choose_own_password(dialog: object) -> None:
        assert isinstance(dialog, PasswordDialog)
        type_into(qtbot, dialog.new, SAM_OWN)
        type_into(qtbot, dialog.repeat, SAM_OWN)
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)

    choosing = Expect(PasswordDialog, choose_own_password)
    sign_in_on(qtbot, screen, "sam", SAM_FIRST)
    choosing.check()

    new = session.window
    assert new is not None and new is not old and new.isVisible()
    assert not old.isVisible()
    assert not isValid(form) or not form.isVisible()  # Maria's dialog was closed, not handed to Sam
    assert not session.locked and not new.locked
    assert session.actor is not None and session.actor.staff_id == sam
    assert new.windowTitle() == f"RefDesk — {CLINIC} — Sam Carter"
    assert new.findChild(QAction, "settingsStaff") is None  # a front desk account manages no staff
    assert sign_out_reasons(db, admin.staff_id) == ["idle lock", "switch user"]
    assert not accounts.password_change_required(db, session.actor)
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert shown == [new]  # nothing of Maria's is left open
    qtbot.waitUntil(lambda: old_deleted == [True])

    # Sam logs a call on the referral: the history says Sam did it.
    show_referral(qtbot, new, referral_id)
    new.activateWindow()
    qtbot.waitUntil(new.isActiveWindow)
    new.detail.focus_work()
    qtbot.waitUntil(lambda: new.detail.isAncestorOf(QApplication.focusWidget()))
    with qtbot.waitSignal(new.detail.changed):
        press(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    latest = next(e for e in referral_timeline(db, referral_id) if e.outcome is not None)
    assert latest.outcome is AttemptOutcome.NO_ANSWER and latest.who == "Sam Carter"


def test_switch_user_from_the_menu_and_the_same_person_comes_back_to_their_window(
    qtbot: QtBot, db: Database, admin: Actor, session: SessionController, referral_id: int
) -> None:
    window = opened(qtbot, session, admin)
    show_referral(qtbot, window, referral_id)
    switch = window.findChild(QAction, "fileSwitchUser")
    assert switch is not None
    switch.trigger()
    screen = session.lock_screen
    assert session.locked and screen is not None and screen.isVisible()
    assert screen.user.text() == ""
    assert leaks(session.screen_lock, screen, secrets(referral_id)) == []

    sign_in_on(qtbot, screen, "maria", PASSWORD)
    assert not session.locked and session.window is window
    assert window.detail.referral_id == referral_id
    assert sign_out_reasons(db, admin.staff_id) == ["switch user"]
