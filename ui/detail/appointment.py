"""The appointment pane of the referral detail: the first visit, from booking to completed.

It shows the current appointment (when, with whom, where), whether the patient confirmed it, how many
times it was rescheduled ("Rescheduled 2×") and what the authorization says about it; and offers what
can be done now: Book… (or Rebook… after a no-show or a cancellation), Reschedule…, Confirm…,
No-show, Cancel appointment, First visit completed.

Keys. The state buttons' mnemonics stay the keys of the moves they always meant (``ui.detail.
state_actions``): Alt+S Scheduled (opens Book…), Alt+N No-show, Alt+P Appointment cancelled, Alt+M First
visit completed; this pane's buttons for those four show the same keys and bind none of their own (two
buttons with one mnemonic would make Qt cycle the focus instead of pressing either). The two actions
that are not moves take letters that are free exactly when they are offered: Re&schedule… (Alt+S, only
while Scheduled, when the Scheduled state button is not shown) and &Confirm… (Alt+C, only while
Scheduled, when the Reached button is not shown). A hidden button's mnemonic does not count, so each key
reaches one visible button at any time.

The pane reads nothing itself: the detail view hands it the ``AppointmentHistory`` it read with the
referral. The dialogs save through the scheduling service on the task runner; simple moves go back to
the detail view (``move_requested``), which writes them like every other move.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.lifecycle import State
from refdesk.domain.times import to_local
from refdesk.domain.vocab import AppointmentStatus, ContactMethod
from refdesk.errors import ValidationError
from refdesk.services import scheduling
from refdesk.services.actor import Actor
from refdesk.services.scheduling import (
    AppointmentDraft,
    AppointmentHistory,
    AppointmentInfo,
    BookingResult,
    item_title,
)
from refdesk.storage import Database
from ui.detail.state_actions import MNEMONICS, with_mnemonic
from ui.dialogs.book_appointment import BookAppointmentDialog, Mode, describe
from ui.errors import user_message
from ui.tasks import TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.dates import DateTimeField, InputError, format_date

D = TypeVar("D", bound=QDialog)

#: The pane's own keys (letters free whenever their button is shown; see the module docstring).
RESCHEDULE_KEY = "S"
CONFIRM_KEY = "C"
#: Keys of the pane's buttons that stand for a state move: the state button's mnemonic.
MOVE_KEYS: dict[State, str] = {
    target: MNEMONICS[target]
    for target in (State.SCHEDULED, State.NO_SHOW, State.APPOINTMENT_CANCELLED, State.COMPLETED)
}
#: How a confirmation was obtained, in the pane's words.
CONFIRMED_BY = {
    ContactMethod.PHONE: "by phone (reminder call)",
    ContactMethod.TEXT: "by text",
    ContactMethod.EMAIL: "by email",
    ContactMethod.MAIL: "by mail",
}
_ENDED = {
    AppointmentStatus.NO_SHOW: "Missed (no-show)",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.COMPLETED: "First visit completed",
    AppointmentStatus.RESCHEDULED: "Rescheduled",
}
#: States in which the pane has something to show or offer even before any appointment exists.
_SHOWN_IN = (State.REACHED, State.SCHEDULED, State.NO_SHOW, State.APPOINTMENT_CANCELLED)


def reschedule_text(count: int) -> str:
    """``Rescheduled 2×`` (empty when never)."""
    return f"Rescheduled {count}×" if count else ""


def status_text(appointment: AppointmentInfo) -> str:
    """Where the appointment stands, in words: booked and waiting for its reminder, confirmed (how and
    when), or how it ended (with its note)."""
    if appointment.status is AppointmentStatus.CONFIRMED:
        by = CONFIRMED_BY.get(appointment.confirmed_by, "") if appointment.confirmed_by else ""
        when = (
            f" on {format_date(to_local(appointment.confirmed_at).date())}"
            if appointment.confirmed_at
            else ""
        )
        return " ".join(part for part in ("Confirmed", by) if part) + when
    if appointment.status is AppointmentStatus.BOOKED:
        return "Booked — not confirmed yet"
    text = _ENDED[appointment.status]
    return f"{text} — {appointment.note}" if appointment.note else text


class AppointmentPane(QGroupBox):
    """Object name ``appointmentPane``. Labels ``appointmentSummary``, ``appointmentStatus``,
    ``rescheduleCount``, ``authWarnings``, ``gateHint`` (plain text, hidden while empty). Buttons
    ``bookButton`` (Book… / Rebook…), ``rescheduleButton``, ``confirmButton``, ``noShowButton``,
    ``cancelAppointmentButton``, ``completedButton``; each shown only when it applies.

    Signals:
        move_requested(object): the user chose a state move that belongs to the appointment (a State:
            No-show, Appointment cancelled, First visit completed); the detail view performs it on
            ``active_id`` (asking first for the final one), as for the state buttons.
        written(int, str): a dialog saved (booked, rebooked, rescheduled, confirmed) for the referral
            with this id; the text says what happened, with any authorization warning. The detail view
            re-reads the referral.
        dialog_closed(object): a dialog of the pane closed; the argument is the widget that had the
            keyboard before it opened (or None), for the detail view to give the keyboard back.
    """

    move_requested = Signal(object)
    written = Signal(int, str)
    dialog_closed = Signal(object)

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Appointment", parent)
        self.setObjectName("appointmentPane")
        self._db, self._actor, self._runner = db, actor, runner
        self._history: AppointmentHistory | None = None

        self.summary = plain_label("appointmentSummary", hide_empty=False, selectable=True)
        self.status = plain_label("appointmentStatus", hide_empty=False, selectable=True)
        self.reschedules = plain_label("rescheduleCount", hide_empty=False, selectable=True)
        self.warnings = plain_label("authWarnings", hide_empty=False, selectable=True)
        self.gate_hint = plain_label("gateHint", hide_empty=False, selectable=True)

        self.book_button = self._button("bookButton", "Book…", MOVE_KEYS[State.SCHEDULED])
        self.book_button.clicked.connect(self.open_booking)
        self.reschedule_button = self._button(
            "rescheduleButton", with_mnemonic("Reschedule…", RESCHEDULE_KEY), None
        )
        self.reschedule_button.setToolTip(f"Move the appointment to another time (Alt+{RESCHEDULE_KEY})")
        self.reschedule_button.clicked.connect(self.open_reschedule)
        self.confirm_button = self._button("confirmButton", with_mnemonic("Confirm…", CONFIRM_KEY), None)
        self.confirm_button.setToolTip(f"Reminder call made or text sent: record it (Alt+{CONFIRM_KEY})")
        self.confirm_button.clicked.connect(self.open_confirm)
        self.no_show_button = self._button("noShowButton", "No-show", MOVE_KEYS[State.NO_SHOW])
        self.cancel_button = self._button(
            "cancelAppointmentButton", "Cancel appointment", MOVE_KEYS[State.APPOINTMENT_CANCELLED]
        )
        self.completed_button = self._button(
            "completedButton", "First visit completed", MOVE_KEYS[State.COMPLETED]
        )
        for button, target in (
            (self.no_show_button, State.NO_SHOW),
            (self.cancel_button, State.APPOINTMENT_CANCELLED),
            (self.completed_button, State.COMPLETED),
        ):
            button.clicked.connect(lambda _checked=False, t=target: self.move_requested.emit(t))

        self._every = (
            self.book_button,
            self.reschedule_button,
            self.confirm_button,
            self.no_show_button,
            self.cancel_button,
            self.completed_button,
        )
        self._grid = QGridLayout()
        self._laid_out: list[QPushButton] = []
        layout = QVBoxLayout(self)
        for label in (self.summary, self.status, self.reschedules, self.warnings, self.gate_hint):
            layout.addWidget(label)
        layout.addLayout(self._grid)
        self.set_history(None)

    # -- showing ---------------------------------------------------------------------------------------

    @property
    def history(self) -> AppointmentHistory | None:
        return self._history

    @property
    def active_id(self) -> int | None:
        """The booked (or confirmed) appointment shown, if any."""
        active = self._history.active if self._history else None
        return active.id if active else None

    def set_history(self, history: AppointmentHistory | None) -> None:
        """Show a referral's appointments (None: nothing to show)."""
        self._history = history
        state = history.state if history else None
        current = history.current if history else None
        active = history.active if history else None
        self.setVisible(history is not None and (state in _SHOWN_IN or current is not None))
        if current is None:
            summary = "No appointment booked yet." if state in _SHOWN_IN else ""
            self._set(self.summary, summary)
            self._set(self.status, "")
        else:
            self._set(self.summary, describe(current))
            self._set(self.status, status_text(current))
        self._set(self.reschedules, reschedule_text(history.reschedules if history else 0))
        self._set(self.warnings, "\n".join(f"⚠ {w}" for w in history.warnings) if history else "")
        items = history.blocking_items if history else ()
        gate = ""
        if state is State.REACHED and items:
            gate = (
                f"Not done yet, blocking scheduling: {'; '.join(item_title(item) for item in items)}. "
                "Book… can schedule anyway with a reason."
            )
        self._set(self.gate_hint, gate)

        rebook = state in (State.NO_SHOW, State.APPOINTMENT_CANCELLED)
        self.book_button.setText("Rebook…" if rebook else "Book…")
        self.book_button.setVisible(state is State.REACHED or rebook)
        scheduled = state is State.SCHEDULED and active is not None
        self.reschedule_button.setVisible(scheduled)
        self.confirm_button.setVisible(scheduled and active is not None and not _confirmed(active))
        for button in (self.no_show_button, self.cancel_button, self.completed_button):
            button.setVisible(scheduled)
        self._lay_out()

    def _lay_out(self) -> None:
        """The buttons offered, two to a row (readable in a narrow pane), without gaps for hidden ones;
        laid out again only when the set changes."""
        offered = self.buttons()
        if offered == self._laid_out:
            return
        for button in self._every:
            self._grid.removeWidget(button)
        for index, button in enumerate(offered):
            self._grid.addWidget(button, index // 2, index % 2)
        self._laid_out = offered

    @staticmethod
    def _set(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

    def buttons(self) -> list[QPushButton]:
        """The buttons offered now, in order (tests and the detail view's focus read it)."""
        return [button for button in self._every if not button.isHidden()]

    def _button(self, name: str, text: str, state_key: str | None) -> QPushButton:
        button = named(QPushButton(text, self), name)
        if state_key:
            button.setToolTip(f"Alt+{state_key}")
        button.hide()
        return button

    # -- the dialogs -------------------------------------------------------------------------------------

    def open_booking(self) -> BookAppointmentDialog | None:
        """Book… (from Reached) or Rebook… (after a no-show or a cancellation): the booking dialog."""
        history = self._history
        if history is None:
            return None
        rebook = history.state in (State.NO_SHOW, State.APPOINTMENT_CANCELLED)
        rid, db, actor = history.referral_id, self._db, self._actor

        def submit(draft: AppointmentDraft, override: str | None) -> BookingResult:
            if rebook:
                return scheduling.rebook(db, actor, rid, draft)
            return scheduling.book(db, actor, rid, draft, override_reason=override)

        dialog = BookAppointmentDialog(
            Mode.REBOOK if rebook else Mode.BOOK,
            self._runner,
            submit,
            self.window(),
            blocking_items=() if rebook else history.blocking_items,
            previous=history.current if rebook else None,
        )
        dialog.booked.connect(lambda result: self.written.emit(rid, _booked_text("Booked", result)))
        return self._open(dialog)

    def open_reschedule(self) -> BookAppointmentDialog | None:
        """Reschedule…: the booking dialog for the appointment shown."""
        shown = self._active()
        if shown is None:
            return None
        rid, active = shown
        appointment_id, db, actor = active.id, self._db, self._actor

        def submit(draft: AppointmentDraft, _override: str | None) -> BookingResult:
            return scheduling.reschedule(db, actor, appointment_id, draft)

        dialog = BookAppointmentDialog(Mode.RESCHEDULE, self._runner, submit, self.window(), previous=active)
        dialog.booked.connect(lambda result: self.written.emit(rid, _booked_text("Rescheduled", result)))
        return self._open(dialog)

    def open_confirm(self) -> ConfirmAppointmentDialog | None:
        """Confirm…: how the patient confirmed (reminder call, text) and when."""
        shown = self._active()
        if shown is None:
            return None
        rid, active = shown
        appointment_id, db, actor = active.id, self._db, self._actor

        def submit(method: ContactMethod, on: datetime) -> None:
            scheduling.confirm(db, actor, appointment_id, method, on)

        dialog = ConfirmAppointmentDialog(self._runner, submit, self.window())
        dialog.confirmed.connect(lambda text: self.written.emit(rid, text))
        return self._open(dialog)

    def _active(self) -> tuple[int, AppointmentInfo] | None:
        """The referral shown and its active appointment, or None when it has none."""
        history = self._history
        if history is None or history.active is None:
            return None
        return history.referral_id, history.active

    def _open(self, dialog: D) -> D:
        opener = QApplication.focusWidget()
        dialog.finished.connect(lambda _result: self.dialog_closed.emit(opener))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog


def _confirmed(appointment: AppointmentInfo) -> bool:
    return appointment.status is AppointmentStatus.CONFIRMED


def _booked_text(verb: str, result: BookingResult) -> str:
    text = f"{verb}."
    if result.overridden:
        text += " Scheduled with open intake items; the reason is in the history."
    if result.warnings:
        text += " " + " ".join(result.warnings)
    return text


class ConfirmAppointmentDialog(QDialog):
    """How the patient confirmed the appointment, and when (default: now).

    Object names: ``confirmAppointmentDialog``; radio buttons ``confirmMethod`` (property ``method`` =
    the ContactMethod value: phone for a reminder call, text for a text sent); ``confirmWhen`` (a
    DateTimeField) with its ``fieldError``; ``dialogMessage``; buttons ``confirmSave`` and
    ``confirmCancel``.

    Signals:
        confirmed(str): saved; the text says so. The dialog then accepts.
    """

    confirmed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        submit: Callable[[ContactMethod, datetime], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner, self._submit = runner, submit
        self._busy = False
        self.setObjectName("confirmAppointmentDialog")
        self.setWindowTitle("Confirm appointment")
        self._group = QButtonGroup(self)
        self._options: list[tuple[QRadioButton, ContactMethod]] = []
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("How did the patient confirm?"))
        for text, method in (
            ("Reminder &call made — the patient confirmed", ContactMethod.PHONE),
            ("&Text sent", ContactMethod.TEXT),
        ):
            option = named(QRadioButton(text), "confirmMethod")
            option.setProperty("method", method.value)
            self._group.addButton(option)
            self._options.append((option, method))
            layout.addWidget(option)
        self._options[0][0].setChecked(True)
        self.when = named(DateTimeField(), "confirmWhen")
        self.when.set_value(datetime.now().replace(second=0, microsecond=0))
        self._error = plain_label("fieldError", hide_empty=False, selectable=True)
        self._error.setProperty("field", "on")
        self._error.hide()
        form = QFormLayout()
        when_label = QLabel("&When:")
        when_label.setBuddy(self.when.date_edit)
        form.addRow(when_label, self.when)
        layout.addLayout(form)
        layout.addWidget(self._error)
        self._message = plain_label("dialogMessage", hide_empty=False, selectable=True)
        self._message.hide()
        layout.addWidget(self._message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setText("Con&firm")
        self.save_button.setObjectName("confirmSave")
        self.save_button.setDefault(True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("confirmCancel")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._options[0][0].setFocus()
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 50)

    def reject(self) -> None:
        """Esc or Cancel; ignored while saving, so the result of a save under way is never lost."""
        if not self._busy:
            super().reject()

    def method(self) -> ContactMethod:
        return next(method for option, method in self._options if option.isChecked())

    def error(self) -> str:
        return self._error.text() if not self._error.isHidden() else ""

    def save(self) -> None:
        if self._busy:
            return
        self._show_error("")
        try:
            on = self.when.value()
        except InputError as error:
            self._show_error(str(error))
            return
        if on is None:
            self._show_error("Type the date and time of the call or text.")
            return
        method, submit = self.method(), self._submit
        self._busy = True
        self._runner.submit(
            lambda _context: submit(method, on), on_done=self._done, on_error=self._refused, owner=self
        )

    def _done(self, _result: None) -> None:
        self._busy = False
        self.confirmed.emit(f"Confirmed {CONFIRMED_BY[self.method()]}.")
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._busy = False
        if isinstance(error, ValidationError) and "on" in error.errors:
            self._show_error(error.errors["on"])
            self.when.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._message.setText(user_message(error))
            self._message.show()

    def _show_error(self, text: str) -> None:
        self._error.setText(text)
        self._error.setVisible(bool(text))
