"""Change my password: from File → Change my password…, and right after signing in when an administrator
set the password (a new account, or a reset) so that only its owner knows it from then on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QFormLayout, QVBoxLayout, QWidget

from refdesk.errors import ValidationError
from refdesk.services import accounts
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import user_message
from ui.session.fields import FieldErrors, password_field
from ui.widgets import named, plain_label

FORCED_INTRO = "An administrator set your password. Choose one that only you know before you go on."


class PasswordDialog(QDialog):
    """Current password, new password, the new one again. Object names: ``passwordOld``,
    ``passwordNew``, ``passwordRepeat``, ``passwordSave``; error labels ``fieldError`` with property
    ``key`` (``old``, ``new``, ``repeat``), other refusals in ``passwordError``.

    ``current``: the password just signed in with (the required change after sign-in); the current
    password field is then left out, as the person typed it a moment ago. ``forced``: the change is
    required; Cancel is then "Sign out" (the caller signs out when the dialog is rejected).
    """

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        forced: bool = False,
        current: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._current = db, actor, current
        self.setObjectName("passwordDialog")
        self.setWindowTitle("Choose your own password" if forced else "Change my password")
        self.old = password_field("passwordOld")
        self.new = password_field("passwordNew")
        self.repeat = password_field("passwordRepeat")
        self.errors = FieldErrors()
        form = QFormLayout()
        if current is None:
            self.errors.row(form, "&Current password:", self.old, "old")
        self.errors.row(form, "&New password:", self.new, "new")
        self.errors.row(form, "&Repeat new password:", self.repeat, "repeat")
        self.other_error = plain_label("passwordError")
        self.other_error.setProperty("kind", "error")

        buttons = QDialogButtonBox()
        self.save_button = named(
            buttons.addButton("&Change password", QDialogButtonBox.ButtonRole.AcceptRole), "passwordSave"
        )
        self.save_button.setDefault(True)
        self.save_button.setProperty("primary", True)  # styled as the main button (its text is not cut)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        if forced:
            cancel.setText("Sign &out")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        if forced:
            layout.addWidget(plain_label("passwordIntro", FORCED_INTRO))
        layout.addLayout(form)
        layout.addWidget(self.other_error)
        layout.addWidget(buttons)
        self.setMinimumWidth(400)
        (self.old if current is None else self.new).setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        """Change the password; a refusal is shown under its field and the dialog stays."""
        self.other_error.hide()
        if self.new.text() != self.repeat.text():
            self.errors.show({"repeat": "The two new passwords differ; type the same one twice."})
            self.repeat.clear()
            return
        old = self._current if self._current is not None else self.old.text()
        # Two Argon2 hashes (the old password checked, the new one made): under a second, once in a
        # long while, so on this thread with the wait cursor rather than a worker.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            accounts.change_password(self._db, self._actor, old, self.new.text())
        except ValidationError as error:
            for message in self.errors.show(error.errors):
                self._other(message)
            return
        except Exception as error:  # noqa: BLE001 - said in plain words, a bug logged by user_message
            self.errors.clear()
            self._other(user_message(error))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._current = None
        for field in (self.old, self.new, self.repeat):
            field.clear()
        self.accept()

    def _other(self, message: str) -> None:
        self.other_error.setText(message)
        self.other_error.show()
