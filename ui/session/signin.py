"""The sign-in screen: at start, and as the lock screen when the session is locked.

Each person at the desk signs in with their own account (reliability promise 11), so every change is
theirs in the audit trail. A refused sign-in is said in plain words under the fields (never a message
box: the next try is typed straight away), the password is cleared, and the cursor waits in it. The
password is checked on a worker thread (Argon2 is slow on purpose), the fields waiting meanwhile.

As the lock screen (``locked=True``) the dialog is application-modal and stays above every other window,
so it takes the keyboard even while another dialog runs its own loop; it cannot be closed or escaped,
only signed into, by the same person or, after "Switch user", by someone else.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QIcon, QKeyEvent
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

from refdesk import APP_NAME, __version__
from refdesk.errors import RefDeskError
from refdesk.paths import resource_path
from refdesk.services import accounts, settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import user_message
from ui.session.fields import password_field
from ui.tasks import TaskRunner
from ui.widgets import named, plain_label

#: The demo database's accounts (``refdesk.demo``): said on its sign-in screen, never on a real one.
DEMO_HINT = "Demo: sign in as admin, password demo"
LOCKED_TITLE = f"{APP_NAME} — Locked"
LOCKED_MESSAGE = f"{APP_NAME} is locked. Sign in to go on where you left off."
SWITCH_MESSAGE = "Sign in as yourself. The windows left open by the person signed in are closed first."
ICON_SIZE = QSize(48, 48)


class SignInDialog(QDialog):
    """User name and password. Object names: ``signInUser``, ``signInPassword``, ``signInError`` (the
    refusal, under the fields), ``signInButton``, ``signInClinic``, ``signInVersion``, ``signInHint`` (demo
    only); as the lock screen also ``signInLocked`` (the message) and ``signInSwitchUser``.

    After ``exec()``/``accepted``, ``actor`` is who signed in; ``take_password()`` hands over the typed
    password once (for a password change the account requires right away) and forgets it.
    """

    def __init__(
        self,
        db: Database,
        *,
        demo: bool,
        username: str = "",
        locked: bool = False,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self.locked = db, locked
        self._runner = runner or TaskRunner(max_threads=1)
        self._busy = False
        self.actor: Actor | None = None
        self._password: str | None = None
        self.setObjectName("lockScreen" if locked else "signInDialog")
        title = LOCKED_TITLE if locked else f"Sign in — {APP_NAME}"
        self.setWindowTitle(f"{title} — DEMO" if demo else title)  # never mistaken for the real desk

        self.user = named(QLineEdit(username, maxLength=64), "signInUser")
        self.password = password_field("signInPassword")
        self.error = plain_label("signInError")
        self.error.setProperty("kind", "error")
        form = QFormLayout()
        form.addRow("&User name:", self.user)
        form.addRow("&Password:", self.password)

        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        self.message = plain_label("signInLocked", LOCKED_MESSAGE if locked else "")
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.error)
        if demo:
            layout.addWidget(plain_label("signInHint", DEMO_HINT))

        buttons = QDialogButtonBox()
        self.sign_in_button = named(
            buttons.addButton("&Sign in", QDialogButtonBox.ButtonRole.AcceptRole), "signInButton"
        )
        self.sign_in_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        self.switch_button: QPushButton | None = None
        if locked:
            self.switch_button = named(
                buttons.addButton("S&witch user", QDialogButtonBox.ButtonRole.ActionRole), "signInSwitchUser"
            )
            self.switch_button.clicked.connect(self.switch_user)
            self.setWindowModality(Qt.WindowModality.ApplicationModal)
            # No close button: the only way past the lock screen is a sign-in.
            self.setWindowFlags(
                Qt.WindowType.Window
                | Qt.WindowType.CustomizeWindowHint
                | Qt.WindowType.WindowTitleHint
                | Qt.WindowType.WindowStaysOnTopHint
            )
        else:
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)
        (self.password if username else self.user).setFocus()

    def _header(self) -> QHBoxLayout:
        icon = named(QLabel(), "signInIcon")
        icon.setPixmap(QIcon(str(resource_path("icons", "refdesk.svg"))).pixmap(ICON_SIZE))
        titles = QVBoxLayout()
        try:
            clinic = settings.clinic_name(self._db)
        except RefDeskError:
            clinic = ""  # the sign-in itself will say what is wrong with the database
        titles.addWidget(plain_label("signInClinic", clinic or APP_NAME))
        titles.addWidget(plain_label("signInVersion", f"{APP_NAME} {__version__}"))
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addLayout(titles, 1)
        return row

    # -- behaviour ---------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a sign-in is being checked (the fields wait)."""
        return self._busy

    def submit(self) -> None:
        """Sign in with what is typed; a refusal is shown under the fields, the password cleared.

        The check runs on a worker: Argon2 with the production parameters takes a few hundred
        milliseconds on a front-desk PC, which must not freeze the screen.
        """
        if self._busy:
            return
        username, password = self.user.text().strip(), self.password.text()
        if not username:
            self._refuse("Type your user name.", self.user)
            return
        if not password:
            self._refuse("Type your password.", self.password)
            return
        self._set_busy(True)
        db = self._db
        self._runner.submit(
            lambda _context: accounts.sign_in(db, username, password),
            on_done=lambda actor: self._signed_in(actor, password),
            on_error=self._refused,
            owner=self,
        )

    def _signed_in(self, actor: Actor, password: str) -> None:
        self._set_busy(False)
        self.actor, self._password = actor, password
        self.password.clear()
        self.error.hide()
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._set_busy(False)
        self._refuse(user_message(error), self.password)  # a bug is logged there, said calmly

    def _set_busy(self, busy: bool) -> None:
        # Read-only, not disabled: a disabled field gives the focus away (to Cancel, which Enter would
        # then press), and the person's next try starts where the cursor is.
        self._busy = busy
        self.user.setReadOnly(busy)
        self.password.setReadOnly(busy)
        if busy:
            self.setCursor(Qt.CursorShape.WaitCursor)
        else:
            self.unsetCursor()

    def _refuse(self, message: str, field: QLineEdit) -> None:
        self.password.clear()
        self.error.setText(message)
        self.error.show()
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    def take_password(self) -> str | None:
        """The password just signed in with, once; then forgotten."""
        password, self._password = self._password, None
        return password

    def switch_user(self) -> None:
        """Someone else signs in: the name is emptied for them and the message says what will happen."""
        if self._busy:
            return
        self.user.clear()
        self.password.clear()
        self.error.hide()
        if self.locked:
            self.message.setText(SWITCH_MESSAGE)
        self.user.setFocus(Qt.FocusReason.OtherFocusReason)

    def prepare(self, username: str) -> None:
        """Ready for the next sign-in (the lock screen is reused): ``username`` prefilled, the rest clear."""
        self.actor = None
        self._password = None
        self.user.setText(username)
        self.password.clear()
        self.error.hide()
        if self.locked:
            self.message.setText(LOCKED_MESSAGE)
        (self.password if username else self.user).setFocus(Qt.FocusReason.OtherFocusReason)

    # -- the lock screen cannot be dismissed ----------------------------------------------------------

    def reject(self) -> None:
        if not self.locked and not self._busy:
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.locked and event.key() == Qt.Key.Key_Escape:
            event.accept()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.locked:
            event.ignore()
            return
        super().closeEvent(event)
