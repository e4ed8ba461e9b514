"""The small forms of the staff dialog: a new account, a temporary password, a role.

Each form only collects values and shows the service's refusals next to its fields; the staff dialog
runs the service call on a worker and closes the form when it succeeds. A form never closes itself on OK,
so a refused user name leaves everything typed in place.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import StaffRole
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo

#: Letters and digits that cannot be mistaken for each other when read aloud or copied from paper.
_PLAIN = "abcdefghjkmnpqrstuvwxyz23456789"
ROLE_CHOICES = [(role, role.label) for role in StaffRole]


def suggest_password() -> str:
    """A random temporary password that is easy to read out: ``k7rm-x2pq-9fht`` (about 74 bits)."""
    return "-".join("".join(secrets.choice(_PLAIN) for _ in range(4)) for _ in range(3))


@dataclass(frozen=True)
class NewAccount:
    full_name: str
    username: str
    role: StaffRole
    password: str


class _Form(QDialog):
    """A dialog of labelled fields, each with a message line under it, an OK that calls ``on_ok`` and a
    general message line for refusals that are about no one field."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.on_ok: Callable[[], None] = lambda: None
        self.form = QFormLayout()
        self._errors: dict[str, QLabel] = {}
        self._fields: list[QWidget] = []
        self.message = plain_label("formMessage")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("formOk")
        self.buttons.accepted.connect(lambda: self.on_ok())
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def add_field(self, key: str, label: str, field: QWidget, shown: QWidget | None = None) -> None:
        """A row labelled ``label`` (its mnemonic focuses ``field``) showing ``shown`` (default: the
        field itself), with the message line for the service's error key ``key`` under it."""
        error = plain_label("fieldError", selectable=True)
        error.setProperty("field", key)
        self._errors[key] = error
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(shown or field)
        box.addWidget(error)
        title = QLabel(label)
        title.setBuddy(field)
        self.form.addRow(title, holder)
        # The buttons were made first; the keyboard goes through the fields first, then to OK.
        if self._fields:
            QWidget.setTabOrder(self._fields[-1], field)
        else:
            field.setFocus()
        self._fields.append(field)
        last = field
        for button in shown.findChildren(QPushButton) if shown is not None else ():
            QWidget.setTabOrder(last, button)
            last = button
        QWidget.setTabOrder(last, self.ok_button)
        QWidget.setTabOrder(self.ok_button, self.buttons.button(QDialogButtonBox.StandardButton.Cancel))

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Each message next to its field; those of no field here in the general line."""
        for key, label in self._errors.items():
            label.setText(errors.get(key, ""))
            label.setVisible(key in errors)
        others = [message for key, message in errors.items() if key not in self._errors]
        self.message.setText(" ".join(others))
        self.message.setVisible(bool(others))

    def error_text(self, key: str) -> str:
        """The message shown under field ``key`` ("" when none): what a test reads."""
        label = self._errors[key]
        return label.text() if not label.isHidden() else ""

    def show_message(self, text: str) -> None:
        self.show_errors({})
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)


def _password_row(field: QLineEdit, parent: QWidget) -> QWidget:
    """The password field with a "Suggest" button that fills in a random, readable one."""
    suggest = named(QPushButton("S&uggest", parent), "suggestPassword")
    suggest.setAutoDefault(False)
    suggest.clicked.connect(lambda: field.setText(suggest_password()))
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(suggest)
    return row


class AddStaffForm(_Form):
    """Add staff: full name, user name, role and a temporary password (shown, since the administrator
    must pass it on; its owner chooses their own at the first sign-in)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add a staff account", "&Add", parent)
        self.setObjectName("addStaffForm")
        self.full_name = named(QLineEdit(), "fullName")
        self.username = named(QLineEdit(), "username")
        self.role = named(ChoiceCombo(ROLE_CHOICES), "role")
        self.role.set_value(StaffRole.FRONT_DESK)
        self.password = named(QLineEdit(), "password")
        self.password.setPlaceholderText("at least 8 characters")
        self.add_field("full_name", "Full &name", self.full_name)
        self.add_field("username", "&User name", self.username)
        self.add_field("role", "&Role", self.role)
        self.add_field("password", "&Temporary password", self.password, _password_row(self.password, self))
        self.full_name.textEdited.connect(self._suggest_username)
        self._username_typed = False
        self.username.textEdited.connect(lambda _text: setattr(self, "_username_typed", True))

    def _suggest_username(self, text: str) -> None:
        """Until the user name is typed, offer one from the full name (``Maria Lopez`` → ``mlopez``)."""
        if self._username_typed:
            return
        parts = [part for part in text.casefold().split() if part.isalpha()]
        self.username.setText(f"{parts[0][0]}{parts[-1]}" if len(parts) >= 2 else "".join(parts))

    def values(self) -> NewAccount:
        role = self.role.value()
        return NewAccount(
            full_name=self.full_name.text(),
            username=self.username.text(),
            role=role if isinstance(role, StaffRole) else StaffRole.FRONT_DESK,
            password=self.password.text(),
        )


class ResetPasswordForm(_Form):
    """A temporary password for someone who forgot theirs: the lockout ends, and they choose their own
    at the next sign-in."""

    def __init__(self, full_name: str, parent: QWidget | None = None) -> None:
        super().__init__("Reset password", "&Reset password", parent)
        self.setObjectName("resetPasswordForm")
        intro = plain_label(
            "resetIntro",
            f"{full_name} signs in with this temporary password once, then chooses their own.",
        )
        self.form.addRow(intro)
        self.password = named(QLineEdit(), "password")
        self.password.setPlaceholderText("at least 8 characters")
        self.add_field("password", "&Temporary password", self.password, _password_row(self.password, self))


class RoleForm(_Form):
    """Change someone's role: what they may do from their next action on."""

    def __init__(self, full_name: str, role: StaffRole, parent: QWidget | None = None) -> None:
        super().__init__("Change role", "&Change role", parent)
        self.setObjectName("roleForm")
        self.form.addRow(plain_label("roleIntro", f"The role of {full_name}:"))
        self.role = named(ChoiceCombo(ROLE_CHOICES), "role")
        self.role.set_value(role)
        self.add_field("role", "&Role", self.role)

    def chosen(self) -> StaffRole | None:
        role = self.role.value()
        return role if isinstance(role, StaffRole) else None
