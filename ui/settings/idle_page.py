"""Settings → Idle lock: after how many idle minutes RefDesk locks its screen (administrators only).

The rule and its range live in ``refdesk.services.security_settings``; this page shows the value in a
spin box and saves it when the user leaves the box (or presses Enter), like every other field.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QSpinBox, QVBoxLayout, QWidget

from refdesk.errors import ValidationError
from refdesk.services import security_settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import user_message
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label


class IdleLockPage(QWidget):
    """The minutes before the screen locks: ``idleMinutes`` (a spin box) with ``idleError`` under it.

    Signals:
        saved(str): the minutes were saved (``"minutes"``).
        minutes_changed(int): the minutes as saved (the running idle watch follows them).
        loaded(): the stored value is shown.
    """

    saved = Signal(str)
    minutes_changed = Signal(int)
    loaded = Signal()

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("idleLockPage")
        self._db, self._actor, self._runner = db, actor, runner
        self._stored: int | None = None

        self.minutes = named(QSpinBox(), "idleMinutes")
        self.minutes.setRange(security_settings.MIN_IDLE_MINUTES, security_settings.MAX_IDLE_MINUTES)
        self.minutes.setSuffix(" minutes")
        self.minutes.setMaximumWidth(self.minutes.fontMetrics().averageCharWidth() * 16)
        self.minutes.setAccessibleName("Minutes before the screen locks")
        self.minutes.setEnabled(False)  # until the stored value is read
        self.minutes.editingFinished.connect(self._save)
        self.error = plain_label("idleError")
        self.error.setObjectName("fieldError")
        self.error.setProperty("key", "minutes")
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(self.minutes)
        box_layout.addWidget(self.error)
        box.setFocusProxy(self.minutes)
        form = QFormLayout()
        form.addRow("&Lock the screen after:", box)

        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "idleIntro",
                "When nobody has used RefDesk for this long, it locks: patient data leaves the screen "
                "until someone signs in again. Every workstation of the clinic follows this setting.",
            )
        )
        layout.addLayout(form)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        db = self._db

        def done(minutes: int) -> None:
            self._stored = minutes
            self.minutes.setValue(minutes)
            self.minutes.setEnabled(True)
            self.loaded.emit()

        self._runner.submit(
            lambda _context: security_settings.idle_minutes(db),
            on_done=done,
            on_error=lambda error: self._set_error(user_message(error)),
            owner=self,
        )

    def error_text(self) -> str:
        return self.error.text()

    def _save(self) -> None:
        value = self.minutes.value()
        if self._stored is None or value == self._stored:
            return
        db, actor = self._db, self._actor

        def save(_context: TaskContext) -> int:
            return security_settings.set_idle_minutes(db, actor, value)

        def done(stored: int) -> None:
            self._stored = stored
            self._set_error("")
            self.saved.emit("minutes")
            self.minutes_changed.emit(stored)

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                self._set_error(error.errors.get("minutes") or " ".join(error.errors.values()))
            else:
                self._set_error(user_message(error))

        self._runner.submit(save, on_done=done, on_error=failed, owner=self)

    def _set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
