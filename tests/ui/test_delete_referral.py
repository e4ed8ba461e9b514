"""Deleting a referral entered by mistake, as an administrator does it in the dialog: it says what goes,
the Delete button waits for a reason and the R-number typed exactly, Enter in a field never deletes,
the dialog stays open and busy while the delete runs, and refusals are said in plain words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.formats import referral_number
from refdesk.domain.models import Referral
from refdesk.domain.vocab import StaffRole
from refdesk.errors import NotFoundError
from refdesk.services import erase
from refdesk.services.actor import Actor, ensure_staff
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows
from tests.ui.keyboard import activate, press, type_text
from ui.dialogs import delete_referral as module
from ui.dialogs.delete_referral import DeleteReferralDialog, ask_delete_referral
from ui.tasks import InlineRunner, TaskContext, TaskRunner

ALT = Qt.KeyboardModifier.AltModifier


class HeldRunner(TaskRunner):
    """Keeps submitted work until ``finish()``: the test sees the dialog while the delete runs."""

    def __init__(self) -> None:
        super().__init__(max_threads=1)
        self.held: list[tuple[Callable[[TaskContext], Any], Callable[[Any], None], Callable[..., None]]] = []

    def submit(self, fn: Any, *, on_done: Any, on_error: Any = None, **_kw: Any) -> Any:
        self.held.append((fn, on_done, on_error))
        return None

    def finish(self) -> None:
        fn, on_done, on_error = self.held.pop(0)
        try:
            result = fn(TaskContext(lambda _done, _total: None))
        except Exception as error:  # noqa: BLE001 - handed on as the real runner does
            on_error(error)
        else:
            on_done(result)


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_staff(db, "ada", "Ada Admin", StaffRole.ADMIN)


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    parent = QWidget()
    qtbot.addWidget(parent)
    activate(qtbot, parent, size=(900, 600))
    return parent


def exists(db: Database, referral_id: int) -> bool:
    with db.session() as session:
        return session.get(Referral, referral_id) is not None


def open_dialog(
    qtbot: QtBot,
    window: QWidget,
    db: Database,
    actor: Actor,
    referral_id: int,
    runner: TaskRunner | None = None,
) -> tuple[DeleteReferralDialog, list[int]]:
    deleted: list[int] = []
    ask_delete_referral(window, db, actor, runner or InlineRunner(), referral_id, deleted.append)
    dialog = window.findChild(DeleteReferralDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog, deleted


def texts(dialog: QWidget, name: str) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel, name)]


def fill(qtbot: QtBot, reason: str, number: str) -> None:
    """Type the reason (Alt+R) and the R-number (Alt+T), as from the keyboard."""
    press(qtbot, Qt.Key.Key_R, ALT)
    type_text(qtbot, reason)
    press(qtbot, Qt.Key.Key_T, ALT)
    type_text(qtbot, number)


def test_the_dialog_says_what_goes_and_deletes_once_the_number_is_typed_exactly(
    qtbot: QtBot, window: QWidget, db: Database, admin: Actor, referral_id: int
) -> None:
    number = referral_number(referral_id)
    dialog, deleted = open_dialog(qtbot, window, db, admin, referral_id)

    shown = texts(dialog, "deleteSummary")
    assert shown[:3] == [number, "Zoë Nguyễn", "Oak Street Primary Care"]
    assert len(shown[3].split("/")) == 3  # the day received, MM/DD/YYYY
    assert "cannot be undone" in texts(dialog, "deleteWhat")[0]
    assert "entered by mistake or a duplicate" in texts(dialog, "deleteWhen")[0]
    assert not dialog.delete_button.isEnabled()

    fill(qtbot, "Entered twice", number[:-1] + "9")  # one digit wrong
    assert not dialog.delete_button.isEnabled()
    press(qtbot, Qt.Key.Key_Backspace)
    type_text(qtbot, number[-1])
    assert dialog.delete_button.isEnabled()

    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    assert deleted == [referral_id]
    assert not exists(db, referral_id)
    assert not dialog.isVisible()
    [row] = audit_rows(db, "referral.delete")
    assert row.detail == {"reason": "Entered twice", "r_number": number}


def test_the_number_may_be_typed_in_lower_case_but_enter_in_a_field_never_deletes(
    qtbot: QtBot, window: QWidget, db: Database, admin: Actor, referral_id: int
) -> None:
    dialog, deleted = open_dialog(qtbot, window, db, admin, referral_id)
    fill(qtbot, "Duplicate", f" {referral_number(referral_id).lower()} ")
    assert dialog.delete_button.isEnabled()

    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible() and exists(db, referral_id)

    press(qtbot, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.delete_button
    press(qtbot, Qt.Key.Key_Space)
    assert deleted == [referral_id] and not exists(db, referral_id)


def test_without_a_reason_nothing_is_deleted_and_the_reason_field_says_why(
    qtbot: QtBot, window: QWidget, db: Database, admin: Actor, referral_id: int
) -> None:
    dialog, deleted = open_dialog(qtbot, window, db, admin, referral_id)
    fill(qtbot, "   ", referral_number(referral_id))

    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    assert deleted == [] and exists(db, referral_id)
    assert dialog.isVisible()
    assert dialog.errors.text("reason") == "Reason is required."
    assert dialog.reason.hasFocus()


def test_while_deleting_the_dialog_is_busy_and_cannot_be_closed(
    qtbot: QtBot, window: QWidget, db: Database, admin: Actor, referral_id: int
) -> None:
    runner = HeldRunner()
    deleted: list[int] = []
    ask_delete_referral(window, db, admin, runner, referral_id, deleted.append)
    runner.finish()  # the summary shown in the dialog
    dialog = window.findChild(DeleteReferralDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    fill(qtbot, "Entered by mistake", referral_number(referral_id))
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    assert dialog.busy and dialog.property("busy") is True
    assert dialog.findChild(QWidget, "deleteBusy").isVisible()
    assert not dialog.delete_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert dialog.reason.isReadOnly() and dialog.confirm.isReadOnly()
    press(qtbot, Qt.Key.Key_Escape)
    dialog.close()
    assert dialog.isVisible()

    runner.finish()

    assert deleted == [referral_id] and not exists(db, referral_id)
    assert not dialog.isVisible()


def test_a_referral_deleted_meanwhile_is_said_in_plain_words(
    qtbot: QtBot, window: QWidget, db: Database, admin: Actor, referral_id: int
) -> None:
    dialog, deleted = open_dialog(qtbot, window, db, admin, referral_id)
    erase.delete_referral(db, admin, referral_id, "Deleted at another desk")
    fill(qtbot, "Entered twice", referral_number(referral_id))

    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    assert deleted == [] and dialog.isVisible() and not dialog.busy
    assert texts(dialog, "deleteError") == [f"Referral {referral_number(referral_id)} does not exist."]
    assert dialog.delete_button.isEnabled()  # nothing is stuck: Cancel or try again


def test_someone_who_is_not_an_administrator_is_told_and_no_dialog_opens(
    qtbot: QtBot,
    window: QWidget,
    db: Database,
    actor: Actor,
    referral_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said: list[str] = []
    monkeypatch.setattr(module, "show_error", lambda _parent, error, _title="": said.append(str(error)))

    ask_delete_referral(window, db, actor, InlineRunner(), referral_id, lambda _id: None)

    assert said == ["Only an administrator can delete a referral."]
    assert window.findChild(DeleteReferralDialog) is None
    assert exists(db, referral_id)


def test_a_referral_gone_before_the_dialog_opens_is_said_and_no_dialog_opens(
    qtbot: QtBot,
    window: QWidget,
    db: Database,
    admin: Actor,
    referral_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said: list[BaseException] = []
    monkeypatch.setattr(module, "show_error", lambda _parent, error, _title="": said.append(error))
    erase.delete_referral(db, admin, referral_id, "Entered twice")

    ask_delete_referral(window, db, admin, InlineRunner(), referral_id, lambda _id: None)

    assert len(said) == 1 and isinstance(said[0], NotFoundError)
    assert window.findChild(DeleteReferralDialog) is None
