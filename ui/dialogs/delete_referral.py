"""Delete a referral entered by mistake: an administrator's last resort, with a reason and the R-number
typed to confirm.

A referral that did not work out is closed, not deleted: closing keeps it in the reports and the
partner's letters. Deleting (``refdesk.services.erase.delete_referral``) removes the referral and
everything recorded on it and wipes the patient from the file, which takes a few seconds on a large
database (the search index is rewritten), so it runs on the TaskRunner while the dialog shows that it
is busy and cannot be closed halfway.

Use ``ask_delete_referral``: it reads what the confirmation shows on the runner, then opens the dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.times import to_local
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, ValidationError
from refdesk.services import erase
from refdesk.services.actor import Actor
from refdesk.services.erase import DeletionSummary
from refdesk.storage import Database
from ui.errors import show_error, user_message
from ui.session.fields import FieldErrors
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import enter_presses_focused_button, named, plain_label
from ui.widgets.dates import format_date

WHAT_GOES = (
    "This deletes the referral and everything recorded on it: its history, contact attempts, "
    "appointments, intake answers and records. It cannot be undone."
)
WHEN = (
    "Use it only for a referral entered by mistake or a duplicate. A referral that did not work out is "
    "closed instead, so that it still counts in the reports."
)
REASON_HINT = "Kept in the audit trail: do not write the patient's name or details here."
BUSY = "Deleting the referral and wiping it from the database; this can take a few seconds…"


class DeleteReferralDialog(QDialog):
    """What will be deleted, a reason (required), and the R-number typed to confirm.

    Keyboard: the reason has focus (Alt+R), the confirmation is Alt+T; Enter in a field does nothing
    (a destructive button is never pressed by the Enter that ends a field): Tab to "Delete referral"
    and press Space or Enter. Esc cancels, except while the delete runs.

    Object names: ``deleteReferralDialog``; ``deleteSummary`` (R-number, patient, partner, received),
    ``deleteReason``, ``deleteConfirm``, the buttons ``deleteReferral`` and ``deleteCancel``,
    ``deleteBusy`` (shown while deleting), ``deleteError``; the reason's refusal is the ``fieldError``
    label with property ``key`` = "reason".

    Signals:
        deleted(int): the referral (its id) was deleted; the dialog has closed (accepted).
    """

    deleted = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        summary: DeletionSummary,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner, self.summary = db, actor, runner, summary
        self._busy = False
        self.setObjectName("deleteReferralDialog")
        self.setWindowTitle(f"Delete referral {summary.r_number}")

        facts = QFormLayout()
        received = format_date(to_local(summary.received_at).date())  # the desk's calendar day
        for label, value in (
            ("Referral:", summary.r_number),
            ("Patient:", summary.patient_name),
            ("Partner:", summary.partner_name),
            ("Received:", received),
        ):
            facts.addRow(label, plain_label("deleteSummary", value, selectable=True))

        self.reason = named(QLineEdit(), "deleteReason")
        self.reason.setMaxLength(erase.REASON_MAX_LENGTH)
        self.reason.setPlaceholderText("e.g. Entered twice by mistake")
        self.confirm = named(QLineEdit(), "deleteConfirm")
        self.confirm.setPlaceholderText(summary.r_number)
        self.confirm.textChanged.connect(self._update_buttons)
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.row(form, "&Reason:", self.reason, "reason")
        form.addRow("", plain_label("deleteReasonHint", REASON_HINT))
        form.addRow(f"&Type {summary.r_number} to confirm:", self.confirm)

        self.busy_bar = named(QProgressBar(), "deleteBusy")
        self.busy_bar.setRange(0, 0)  # no percentage to show: it is one transaction
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.busy_text = plain_label("deleteBusyText")
        self.error = plain_label("deleteError")
        self.error.setProperty("kind", "error")

        buttons = QDialogButtonBox()
        destructive = QDialogButtonBox.ButtonRole.DestructiveRole
        self.delete_button: QPushButton = named(
            buttons.addButton("&Delete referral", destructive), "deleteReferral"
        )
        self.cancel_button: QPushButton = named(
            buttons.addButton(QDialogButtonBox.StandardButton.Cancel), "deleteCancel"
        )
        for button in (self.delete_button, self.cancel_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.delete_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("deleteWhat", WHAT_GOES))
        layout.addLayout(facts)
        layout.addWidget(plain_label("deleteWhen", WHEN))
        layout.addLayout(form)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.busy_text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        self._update_buttons()
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def busy(self) -> bool:
        """True while the delete runs on the worker."""
        return self._busy

    def confirmed(self) -> bool:
        """The R-number typed matches (case and surrounding spaces aside)."""
        return self.confirm.text().strip().upper() == self.summary.r_number.upper()

    def submit(self) -> None:
        """Run the delete on the worker; on success emit ``deleted`` and close, else say why and stay."""
        if self._busy or not self.confirmed():
            return
        self.errors.clear()
        self.error.hide()
        self._set_busy(True)
        db, actor, referral_id, reason = self._db, self._actor, self.summary.referral_id, self.reason.text()

        def job(_context: TaskContext) -> int:
            erase.delete_referral(db, actor, referral_id, reason)
            return referral_id

        self._runner.submit(job, on_done=self._done, on_error=self._failed, owner=self)

    def _done(self, referral_id: int) -> None:
        self._set_busy(False)
        self.deleted.emit(referral_id)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, ValidationError):
            for message in self.errors.show(error.errors):
                self._say(message)
            return
        self._say(user_message(error))

    def _say(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.setProperty("busy", busy)
        self.busy_bar.setVisible(busy)
        self.busy_text.setText(BUSY if busy else "")
        self.busy_text.setVisible(busy)
        for field in (self.reason, self.confirm):
            field.setReadOnly(busy)
        self.cancel_button.setEnabled(not busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(not self._busy and self.confirmed())

    # -- keeping the dialog open while the delete runs -------------------------------------------------

    def reject(self) -> None:
        if not self._busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if not enter_presses_focused_button(self, event):
            super().keyPressEvent(event)


def ask_delete_referral(
    parent: QWidget,
    db: Database,
    actor: Actor,
    runner: TaskRunner,
    referral_id: int,
    on_deleted: Callable[[int], None],
) -> None:
    """Open the delete dialog for ``referral_id`` over ``parent`` (window-modal); ``on_deleted(id)`` is
    called once it is deleted. Someone who is not an administrator is told so at once; a referral that
    is gone already is said in plain words. What the dialog shows is read on ``runner``."""
    if actor.role is not StaffRole.ADMIN:
        show_error(parent, AccessDenied(f"Only an administrator can {erase.DOING}."), "Delete referral")
        return

    def read(_context: TaskContext) -> DeletionSummary:
        return erase.deletion_summary(db, referral_id)

    def opened(summary: DeletionSummary) -> None:
        dialog = DeleteReferralDialog(db, actor, runner, summary, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.deleted.connect(on_deleted)
        dialog.open()

    runner.submit(
        read,
        on_done=opened,
        on_error=lambda error: show_error(parent, error, "Delete referral"),
        owner=parent,
    )
