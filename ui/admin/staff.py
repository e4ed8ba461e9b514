"""Administration → Staff: the clinic's accounts, and the administrator's four actions on them.

Add (a temporary password its owner replaces at the first sign-in), Disable / Enable, Change role and
Reset password. The rules live in ``refdesk.services.accounts`` (admin-only, never the last
administrator, never oneself); this dialog runs each call on a worker (a password is hashed with
Argon2id, tens of milliseconds) and shows the service's refusal in its own words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import StaffRole
from refdesk.errors import ValidationError
from refdesk.services import accounts
from refdesk.services.accounts import StaffAccount
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.admin.staff_forms import AddStaffForm, ResetPasswordForm, RoleForm, _Form
from ui.admin.staff_model import StaffModel
from ui.detail.bars import MessageBar
from ui.errors import user_message
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named
from ui.widgets.questions import confirm
from ui.widgets.tables import fit_columns, read_only_rows

F = TypeVar("F", bound=_Form)

NOT_ADMIN = "Only an administrator can manage staff accounts."


class StaffDialog(QDialog):
    """The staff list with Add, Disable/Enable, Change role and Reset password.

    Children by object name: ``staffTable``, ``addStaff``, ``toggleActive``, ``changeRole``,
    ``resetPassword``, ``messageBar``; the open form is ``form`` (an ``AddStaffForm``, ``RoleForm`` or
    ``ResetPasswordForm``). No signals of its own.
    """

    def __init__(
        self, db: Database, actor: Actor, parent: QWidget | None = None, *, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self._db, self._actor = db, actor
        self._runner = runner or TaskRunner(max_threads=1)
        self._busy = False
        self.form: _Form | None = None
        self.setObjectName("staffDialog")
        self.setWindowTitle("Staff accounts")

        self.model = StaffModel(self)
        self.table = named(QTableView(), "staffTable")
        self.table.setModel(self.model)
        read_only_rows(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.add_button = named(QPushButton("&Add…"), "addStaff")
        self.toggle_button = named(QPushButton("&Disable"), "toggleActive")
        self.role_button = named(QPushButton("Change &role…"), "changeRole")
        self.reset_button = named(QPushButton("Reset &password…"), "resetPassword")
        for button in (self.add_button, self.toggle_button, self.role_button, self.reset_button):
            button.setAutoDefault(False)
        self.add_button.clicked.connect(self.open_add)
        self.toggle_button.clicked.connect(self.toggle_active)
        self.role_button.clicked.connect(self.open_role)
        self.reset_button.clicked.connect(self.open_reset)
        QShortcut(QKeySequence(QKeySequence.StandardKey.New), self, self.open_add)

        self.messages = MessageBar(self)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        actions = QHBoxLayout()
        for button in (self.add_button, self.toggle_button, self.role_button, self.reset_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.messages)
        layout.addWidget(close)
        fit_columns(
            self.table,
            {
                0: "Maria-Fernanda Lopez",
                1: "mlopez.front",
                2: "Coordinator",
                3: "Yes (new password pending)",
                4: "Until 12:45 PM",
            },
        )
        self.resize(820, 420)

        self._admin = actor.role is StaffRole.ADMIN
        if not self._admin:
            self.messages.show_message(NOT_ADMIN)
        self._update_buttons()
        self.reload()

    # --- the list -------------------------------------------------------------------------------------

    def reload(self, select: int | None = None) -> None:
        """Read the accounts again (on the worker), keeping ``select`` (or the current one) selected."""
        keep = select if select is not None else self.current_id()
        db = self._db
        self._runner.submit(
            lambda _context: accounts.staff_accounts(db),
            on_done=lambda rows: self._show(rows, keep),
            on_error=lambda error: self.messages.show_message(user_message(error)),
            owner=self,
        )

    def _show(self, rows: list[StaffAccount], select: int | None) -> None:
        self.model.set_rows(rows)
        row = self.model.row_of(select) if select is not None else None
        if row is None and rows:
            row = 0
        if row is not None:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, 0))
        self._update_buttons()

    def current(self) -> StaffAccount | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def current_id(self) -> int | None:
        account = self.current()
        return account.staff_id if account is not None else None

    def select(self, username: str) -> None:
        """Make the account ``username`` the current row (tests and keyboard users alike)."""
        for row, account in enumerate(self.model.rows()):
            if account.username == username:
                self.table.setCurrentIndex(self.model.index(row, 0))
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        account = self.current()
        chosen = self._admin and account is not None and not self._busy
        self.add_button.setEnabled(self._admin and not self._busy)
        self.role_button.setEnabled(chosen)
        self.reset_button.setEnabled(chosen)
        self.toggle_button.setEnabled(chosen)
        self.toggle_button.setText("&Enable" if account is not None and not account.active else "&Disable")

    # --- actions --------------------------------------------------------------------------------------

    def open_add(self) -> AddStaffForm | None:
        if not self.add_button.isEnabled():
            return None
        form = AddStaffForm(self)

        def save() -> None:
            new = form.values()
            self._run(
                form,
                lambda: accounts.add_staff(
                    self._db, self._actor, new.username, new.full_name, new.role, new.password
                ),
                lambda staff_id: (
                    f"Added {new.full_name.strip()}. Give them the temporary password; they choose "
                    "their own at their first sign-in.",
                    staff_id,
                ),
            )

        return self._open(form, save)

    def open_reset(self) -> ResetPasswordForm | None:
        account = self.current()
        if account is None or not self.reset_button.isEnabled():
            return None
        form = ResetPasswordForm(account.full_name, self)

        def save() -> None:
            password = form.password.text()
            self._run(
                form,
                lambda: accounts.reset_password(self._db, self._actor, account.staff_id, password),
                lambda _none: (
                    f"{account.full_name} has a new temporary password and chooses their own at the "
                    "next sign-in.",
                    account.staff_id,
                ),
            )

        return self._open(form, save)

    def open_role(self) -> RoleForm | None:
        account = self.current()
        if account is None or not self.role_button.isEnabled():
            return None
        form = RoleForm(account.full_name, account.role, self)

        def save() -> None:
            role = form.chosen()
            if role is None or role is account.role:
                form.reject()
                return
            self._run(
                form,
                lambda: accounts.set_role(self._db, self._actor, account.staff_id, role),
                lambda _none: (f"{account.full_name} is now: {role.label}.", account.staff_id),
            )

        return self._open(form, save)

    def toggle_active(self) -> None:
        account = self.current()
        if account is None or not self.toggle_button.isEnabled():
            return
        enable = not account.active
        if not enable and not self.confirm(
            "Disable account",
            f"Disable the account of {account.full_name}? They can no longer sign in; everything they "
            "did stays in the records and the audit log.",
        ):
            return
        done = (
            f"{account.full_name} can sign in again."
            if enable
            else f"{account.full_name}'s account is disabled."
        )
        self._run(
            None,
            lambda: accounts.set_active(self._db, self._actor, account.staff_id, enable),
            lambda _none: (done, account.staff_id),
        )

    def confirm(self, title: str, text: str) -> bool:
        """Ask before a change people notice (tests replace this)."""
        return confirm(self, title, text)

    # --- running a change -----------------------------------------------------------------------------

    def _open(self, form: F, save: Callable[[], None]) -> F:
        form.on_ok = save
        form.finished.connect(lambda _result: self._forget(form))
        self.form = form
        form.open()
        return form

    def _forget(self, form: _Form) -> None:
        if self.form is form:
            self.form = None
        form.deleteLater()

    def _run(
        self,
        form: _Form | None,
        call: Callable[[], Any],
        success: Callable[[Any], tuple[str, int | None]],
    ) -> None:
        """Run ``call`` on the worker; on success close ``form``, reload and say what happened; on a
        refusal show it in the form (next to its field) or in the dialog's message bar."""
        if self._busy:
            return
        self._set_busy(True, form)

        def open_form() -> _Form | None:
            """``form`` while it is still open (it may have been cancelled while the call ran)."""
            return form if form is not None and self.form is form else None

        def done(result: Any) -> None:
            shown = open_form()
            self._set_busy(False, shown)
            text, select = success(result)
            if shown is not None:
                shown.accept()
            self.messages.show_message(text, "info")
            self.reload(select)

        def failed(error: BaseException) -> None:
            shown = open_form()
            self._set_busy(False, shown)
            if shown is not None and isinstance(error, ValidationError):
                shown.show_errors(error.errors)
            elif shown is not None:
                shown.show_message(user_message(error))
            else:
                self.messages.show_message(user_message(error))
            self.reload()

        def job(_context: TaskContext) -> Any:
            return call()

        self._runner.submit(job, on_done=done, on_error=failed, owner=self)

    def _set_busy(self, busy: bool, form: _Form | None) -> None:
        self._busy = busy
        if form is not None:
            form.set_busy(busy)
        self._update_buttons()

    def done(self, result: int) -> None:
        """Closing waits for a change still being saved, so it is never cut off halfway."""
        self._runner.wait()
        super().done(result)
