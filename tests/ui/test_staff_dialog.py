"""Administration → Staff as an administrator uses it: add a colleague with a temporary password, disable
and enable an account, change a role, reset a forgotten password, and the refusals in plain words."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.times import utc_now
from refdesk.domain.vocab import StaffRole
from refdesk.errors import SignInError
from refdesk.services import accounts
from refdesk.services.actor import Actor, ensure_staff
from refdesk.storage import Database
from tests.ui.keyboard import activate, press, type_text
from ui.admin import staff_model
from ui.admin.staff import StaffDialog
from ui.admin.staff_forms import AddStaffForm, ResetPasswordForm, RoleForm
from ui.main_window import MainWindow
from ui.tasks import InlineRunner, TaskRunner

ALT = Qt.KeyboardModifier.AltModifier
ADMIN_PASSWORD = "blue heron 42"


@pytest.fixture
def admin(db: Database) -> Actor:
    return accounts.set_up_clinic(
        db, clinic_name="Oak Clinic", username="ada", full_name="Ada Admin", password=ADMIN_PASSWORD
    )


def open_dialog(qtbot: QtBot, db: Database, actor: Actor, runner: TaskRunner | None = None) -> StaffDialog:
    dialog = StaffDialog(db, actor, None, runner=runner or InlineRunner())
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def row_texts(dialog: StaffDialog, username: str) -> list[str]:
    model = dialog.model
    row = next(r for r, account in enumerate(model.rows()) if account.username == username)
    return [model.index(row, column).data() for column in range(model.columnCount())]


def click(qtbot: QtBot, dialog: QWidget, name: str) -> None:
    button = dialog.findChild(QWidget, name)
    assert button is not None and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_an_added_colleague_signs_in_with_the_temporary_password_and_must_change_it(
    qtbot: QtBot, db: Database, admin: Actor
) -> None:
    dialog = open_dialog(qtbot, db, admin, TaskRunner())
    qtbot.waitUntil(lambda: len(dialog.model.rows()) == 1)
    press(qtbot, Qt.Key.Key_A, ALT)  # a mnemonic clicks its button a moment later
    qtbot.waitUntil(lambda: dialog.form is not None)
    form = dialog.form
    assert isinstance(form, AddStaffForm)
    activate(qtbot, form)
    qtbot.waitUntil(form.full_name.hasFocus)
    type_text(qtbot, "Maria Lopez")
    assert form.username.text() == "mlopez"  # offered from the name
    form.role.setFocus()
    form.role.set_value(StaffRole.COORDINATOR)
    form.password.setFocus()
    type_text(qtbot, "tulip-river-7")
    click(qtbot, form, "formOk")
    qtbot.waitUntil(lambda: dialog.form is None)
    qtbot.waitUntil(lambda: len(dialog.model.rows()) == 2)

    assert row_texts(dialog, "mlopez") == [
        "Maria Lopez",
        "mlopez",
        "Coordinator",
        "Yes (new password pending)",
        "",
        "Never",
    ]
    assert "Give them the temporary password" in dialog.messages.text()
    maria = accounts.sign_in(db, "mlopez", "tulip-river-7")
    assert maria.role is StaffRole.COORDINATOR
    assert accounts.password_change_required(db, maria)


def test_a_refused_field_is_shown_next_to_it_and_the_form_keeps_what_was_typed(
    qtbot: QtBot, db: Database, admin: Actor
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    form = dialog.open_add()
    assert isinstance(form, AddStaffForm)
    form.full_name.setText("Ada Again")
    form.username.setText("ADA")
    form.password.setText("short")
    click(qtbot, form, "formOk")
    assert dialog.form is form and form.isVisible()
    assert "8" in form.error_text("password")
    assert form.error_text("full_name") == ""

    form.password.setText("lantern-88-oak")
    click(qtbot, form, "formOk")
    assert form.isVisible()
    assert form.error_text("username") == "That user name is taken; choose another."
    assert form.error_text("password") == ""
    assert form.full_name.text() == "Ada Again"
    assert [account.username for account in dialog.model.rows()] == ["ada"]


def test_a_disabled_account_cannot_sign_in_until_it_is_enabled_again(
    qtbot: QtBot, db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_staff(db, admin, "bo", "Bo Chen", StaffRole.FRONT_DESK, "lantern-88-oak")
    dialog = open_dialog(qtbot, db, admin)
    asked: list[str] = []
    monkeypatch.setattr(dialog, "confirm", lambda title, text: asked.append(text) or True)
    dialog.select("bo")
    assert dialog.toggle_button.text() == "&Disable"
    click(qtbot, dialog, "toggleActive")

    assert "Bo Chen" in asked[0]
    assert row_texts(dialog, "bo")[3] == "Disabled"
    with pytest.raises(SignInError, match="disabled"):
        accounts.sign_in(db, "bo", "lantern-88-oak")

    assert dialog.toggle_button.text() == "&Enable"
    click(qtbot, dialog, "toggleActive")
    assert row_texts(dialog, "bo")[3].startswith("Yes")
    assert accounts.sign_in(db, "bo", "lantern-88-oak").username == "bo"
    assert len(asked) == 1  # enabling asks nothing


def test_cancelling_the_question_leaves_the_account_active(
    qtbot: QtBot, db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_staff(db, admin, "bo", "Bo Chen", StaffRole.FRONT_DESK, "lantern-88-oak")
    dialog = open_dialog(qtbot, db, admin)
    monkeypatch.setattr(dialog, "confirm", lambda title, text: False)
    dialog.select("bo")
    click(qtbot, dialog, "toggleActive")
    assert row_texts(dialog, "bo")[3].startswith("Yes")


def test_refusals_are_said_in_plain_words(
    qtbot: QtBot, db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = open_dialog(qtbot, db, admin)
    monkeypatch.setattr(dialog, "confirm", lambda title, text: True)
    dialog.select("ada")
    click(qtbot, dialog, "toggleActive")
    assert dialog.messages.text() == "You cannot disable your own account."
    assert row_texts(dialog, "ada")[3] == "Yes"

    form = dialog.open_role()
    assert isinstance(form, RoleForm)
    form.role.set_value(StaffRole.FRONT_DESK)
    click(qtbot, form, "formOk")
    assert "at least one active administrator" in form.message.text()
    assert form.isVisible()
    assert row_texts(dialog, "ada")[2] == "Admin"


def test_a_role_change_applies_to_the_account(qtbot: QtBot, db: Database, admin: Actor) -> None:
    accounts.add_staff(db, admin, "bo", "Bo Chen", StaffRole.FRONT_DESK, "lantern-88-oak")
    dialog = open_dialog(qtbot, db, admin)
    dialog.select("bo")
    form = dialog.open_role()
    assert isinstance(form, RoleForm)
    form.role.set_value(StaffRole.ADMIN)
    click(qtbot, form, "formOk")
    assert dialog.form is None
    assert row_texts(dialog, "bo")[2] == "Admin"
    assert accounts.sign_in(db, "bo", "lantern-88-oak").role is StaffRole.ADMIN


def test_a_reset_password_ends_the_lock_and_must_be_changed_at_sign_in(
    qtbot: QtBot, db: Database, admin: Actor
) -> None:
    accounts.add_staff(db, admin, "bo", "Bo Chen", StaffRole.FRONT_DESK, "lantern-88-oak")
    for _ in range(accounts.LOCK_AFTER):
        with pytest.raises(SignInError):
            accounts.sign_in(db, "bo", "wrong guess!")
    dialog = open_dialog(qtbot, db, admin)
    assert row_texts(dialog, "bo")[4].startswith("Until ")
    dialog.select("bo")
    press(qtbot, Qt.Key.Key_P, ALT)
    qtbot.waitUntil(lambda: dialog.form is not None)
    form = dialog.form
    assert isinstance(form, ResetPasswordForm)
    click(qtbot, form, "suggestPassword")
    temporary = form.password.text()
    assert len(temporary) == 14
    click(qtbot, form, "formOk")

    assert dialog.form is None
    assert row_texts(dialog, "bo")[4] == ""
    assert "new temporary password" in dialog.messages.text()
    bo = accounts.sign_in(db, "bo", temporary)
    assert accounts.password_change_required(db, bo)


def test_someone_who_is_not_an_administrator_sees_why_nothing_can_be_done(
    qtbot: QtBot, db: Database, admin: Actor
) -> None:
    clerk = ensure_staff(db, "clerk", "Cleo Clerk", StaffRole.FRONT_DESK)
    dialog = open_dialog(qtbot, db, clerk)
    assert dialog.messages.text() == "Only an administrator can manage staff accounts."
    assert not dialog.add_button.isEnabled()
    assert not dialog.toggle_button.isEnabled()
    assert dialog.open_add() is None


def test_the_staff_model_passes_the_model_tester(qtmodeltester, db: Database, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    accounts.add_staff(db, admin, "bo", "Bo Chen", StaffRole.FRONT_DESK, "lantern-88-oak")
    model = staff_model.StaffModel(clock=lambda: utc_now() + timedelta(0))
    model.set_rows(accounts.staff_accounts(db))
    qtmodeltester.check(model)
    assert model.rowCount() == 2


def test_settings_staff_in_the_main_window_opens_the_list(
    qtbot: QtBot, db: Database, admin: Actor, tmp_path: Path
) -> None:
    window = MainWindow(
        db, admin, demo=False, preferences=QSettings(str(tmp_path / "p.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    action = window.findChild(QAction, "settingsStaff")
    assert action is not None
    action.trigger()
    dialog = window.findChild(StaffDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: [account.username for account in dialog.model.rows()] == ["ada"])
    dialog.reject()
