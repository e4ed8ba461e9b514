"""Book, rebook or reschedule the first appointment: date, time, provider, location, a note.

The dialog saves through the scheduling service itself (on the task runner), because what the service
says belongs next to what was typed: a message under the field it is about ("more than 18 months
ahead; check the year"), nothing saved half-way, the dialog still open with everything typed.

The scheduling gate: when intake items that block scheduling are open, the dialog lists them (from the
start when the caller knows them, or as soon as the service refuses) and offers "Schedule anyway",
which needs a reason; the reason goes into the referral's history and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.errors import ValidationError
from refdesk.services.scheduling import (
    LOCATION_MAX,
    PROVIDER_MAX,
    AppointmentDraft,
    AppointmentInfo,
    BookingResult,
    SchedulingBlocked,
    item_title,
)
from ui.errors import user_message
from ui.tasks import TaskRunner
from ui.widgets import enter_presses_focused_button, named, plain_label
from ui.widgets.dates import DateTimeField, InputError, format_datetime


class Mode(StrEnum):
    BOOK = "book"
    REBOOK = "rebook"
    RESCHEDULE = "reschedule"


_TITLES = {Mode.BOOK: "Book appointment", Mode.REBOOK: "Rebook appointment", Mode.RESCHEDULE: "Reschedule"}
_ACTIONS = {Mode.BOOK: "&Book", Mode.REBOOK: "&Book", Mode.RESCHEDULE: "&Reschedule"}
#: What the note means in each mode (the service keeps a booking's note in the history, and a
#: reschedule's on the appointment it replaces, as why it moved).
_NOTE_LABELS = {Mode.BOOK: "&Note:", Mode.REBOOK: "&Note:", Mode.RESCHEDULE: "&Why it moved:"}
#: The fields the dialog shows, in Tab order, by the names the service's messages use.
FIELDS = ("starts_at", "provider", "location", "note")

#: (draft, override reason or None) -> what was booked; run on the task runner's thread.
Submit = Callable[[AppointmentDraft, str | None], BookingResult]


class BookAppointmentDialog(QDialog):
    """Date and time, provider, location and note; Book (Ctrl+S, Ctrl+Enter, or Enter on the button),
    Cancel (Esc). Enter in a field never books: it only ends the field.

    Object names: ``bookAppointmentDialog``; fields ``appointmentWhen`` (a DateTimeField: ``date`` and
    ``time``), ``appointmentProvider``, ``appointmentLocation``, ``appointmentNote``; under each a
    ``fieldError`` label (property ``field``); the gate panel ``gatePanel`` with ``gateItems``,
    ``overrideReason`` (and its ``fieldError``) and the button ``scheduleAnyway``; ``dialogMessage``
    for anything else; buttons ``bookConfirm`` and ``bookCancel``. Property ``busy`` while saving.

    Signals:
        booked(object): the BookingResult, once saved; the dialog then accepts.
    """

    booked = Signal(object)

    def __init__(
        self,
        mode: Mode,
        runner: TaskRunner,
        submit: Submit,
        parent: QWidget | None = None,
        *,
        blocking_items: Sequence[str] = (),
        previous: AppointmentInfo | None = None,
    ) -> None:
        """``previous``: the appointment being moved or rebooked (its provider and place are offered
        again); ``blocking_items``: the open gate items known when the dialog opens."""
        super().__init__(parent)
        self.mode = mode
        self._runner, self._submit = runner, submit
        self._busy = False
        self.setObjectName("bookAppointmentDialog")
        self.setWindowTitle(_TITLES[mode])
        self.setProperty("busy", False)
        self._errors: dict[str, QLabel] = {}

        self.when = named(DateTimeField(), "appointmentWhen")
        self.provider = self._line("appointmentProvider", PROVIDER_MAX, "Dr Lee, the therapist on duty…")
        self.location = self._line("appointmentLocation", LOCATION_MAX, "Main St clinic, room 2…")
        self.note = self._line("appointmentNote", 1000, "Optional")
        if previous is not None:
            self.provider.setText(previous.provider or "")
            self.location.setText(previous.location or "")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, label, widget in (
            ("starts_at", "&Date and time:", self.when),
            ("provider", "&Provider:", self.provider),
            ("location", "&Location:", self.location),
            ("note", _NOTE_LABELS[mode], self.note),
        ):
            self._add_row(form, name, label, widget)

        self.gate = self._build_gate()
        self._message = plain_label("dialogMessage")
        buttons = QDialogButtonBox()
        self.book_button = buttons.addButton(_ACTIONS[mode], QDialogButtonBox.ButtonRole.AcceptRole)
        self.book_button.setObjectName("bookConfirm")
        self.book_button.setToolTip("Save (Ctrl+S)")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("bookCancel")
        for button in (self.book_button, self.cancel_button):
            button.setAutoDefault(False)
        self.book_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        if previous is not None and mode is Mode.RESCHEDULE:
            layout.addWidget(plain_label("rescheduleFrom", f"Now: {describe(previous)}"))
        layout.addLayout(form)
        layout.addWidget(self.gate)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        for keys in ("Ctrl+S", "Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.save)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self.show_blocking_items(blocking_items)
        self.when.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- public --------------------------------------------------------------------------------------

    def draft(self) -> AppointmentDraft:
        """What is typed, as the service takes it.

        Raises:
            InputError: the date or time cannot be read (the message is for the date-and-time field).
        """
        return AppointmentDraft(
            starts_at=self.when.value(),
            provider=self.provider.text(),
            location=self.location.text(),
            note=self.note.text(),
        )

    def errors(self) -> dict[str, str]:
        """The field messages shown now, by field (``override_reason`` included)."""
        return {name: label.text() for name, label in self._errors.items() if label.text()}

    def message(self) -> str:
        return self._message.text() if self._message.isVisibleTo(self) else ""

    def show_blocking_items(self, items: Sequence[str]) -> None:
        """Show the gate panel listing ``items`` (hide it when there are none)."""
        self._gate_items.setText("\n".join(f"• {item_title(item)}" for item in items))
        self._gate_items.setToolTip("\n\n".join(items))  # the whole prompts, as the checklist says them
        self._gate_items.setVisible(bool(items))
        self.gate.setVisible(bool(items))
        self.adjustSize()

    def save(self) -> None:
        """Book (or reschedule) with what is typed; without a reason, the gate may refuse."""
        self._send(None)

    def schedule_anyway(self) -> None:
        """Book although blocking items are open, with the reason typed (the service wants one)."""
        self._send(self.override_reason.text())

    # -- inside ----------------------------------------------------------------------------------------

    def _send(self, override: str | None) -> None:
        if self._busy:
            return
        self._show_errors({})
        self._show_message("")
        try:
            draft = self.draft()
        except InputError as error:
            self._show_errors({"starts_at": str(error)})
            return
        self._set_busy(True)
        submit = self._submit
        self._runner.submit(
            lambda _context: submit(draft, override), on_done=self._done, on_error=self._refused, owner=self
        )

    def _done(self, result: BookingResult) -> None:
        self._set_busy(False)
        self.booked.emit(result)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, SchedulingBlocked):
            self.show_blocking_items(error.items)
            self._show_message(
                "These intake items block scheduling. Complete them first, or type a reason and choose "
                "Schedule anyway."
            )
            self.override_reason.setFocus(Qt.FocusReason.OtherFocusReason)
        elif isinstance(error, ValidationError):
            self._show_errors(error.errors)
            elsewhere = [text for name, text in error.errors.items() if name not in self._errors]
            if elsewhere:
                self._show_message(" ".join(elsewhere))
        else:
            self._show_message(user_message(error))

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field (others cleared); the cursor goes to the first wrong field."""
        for name, label in self._errors.items():
            label.setText(errors.get(name, ""))
            label.setVisible(bool(errors.get(name)))
        first = next((name for name in (*FIELDS, "override_reason") if name in errors), None)
        if first is not None:
            self._input(first).setFocus(Qt.FocusReason.OtherFocusReason)

    def _input(self, name: str) -> QWidget:
        return {
            "starts_at": self.when,
            "provider": self.provider,
            "location": self.location,
            "note": self.note,
            "override_reason": self.override_reason,
        }[name]

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.setProperty("busy", busy)

    def _line(self, name: str, limit: int, placeholder: str) -> QLineEdit:
        edit = named(QLineEdit(), name)
        edit.setMaxLength(limit + 20)  # a little over: the service's message says what the limit is
        edit.setPlaceholderText(placeholder)
        return edit

    def _add_row(self, form: QFormLayout, name: str, label: str, widget: QWidget) -> None:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        error = plain_label("fieldError")
        error.setProperty("field", name)
        column.addWidget(error)
        self._errors[name] = error
        caption = QLabel(label)
        caption.setBuddy(widget.focusProxy() or widget)
        form.addRow(caption, holder)

    def _build_gate(self) -> QFrame:
        panel = named(QFrame(), "gatePanel")
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        intro = plain_label(
            "gateIntro", "Not done yet — these intake items block scheduling until they are settled:"
        )
        self._gate_items = plain_label("gateItems")
        self.override_reason = named(QLineEdit(), "overrideReason")
        self.override_reason.setPlaceholderText("Why schedule before they are done (goes into the history)")
        self.override_reason.returnPressed.connect(self.schedule_anyway)
        reason_label = QLabel("Reason to schedule &anyway:")
        reason_label.setBuddy(self.override_reason)
        error = plain_label("fieldError")
        error.setProperty("field", "override_reason")
        self._errors["override_reason"] = error
        self.anyway_button = named(QPushButton("&Schedule anyway"), "scheduleAnyway")
        self.anyway_button.setAutoDefault(False)
        self.anyway_button.clicked.connect(self.schedule_anyway)
        layout = QVBoxLayout(panel)
        for widget in (
            intro,
            self._gate_items,
            reason_label,
            self.override_reason,
            error,
            self.anyway_button,
        ):
            layout.addWidget(widget)
        panel.hide()
        return panel

    def reject(self) -> None:
        """Esc or Cancel; ignored while saving, so the result of a save under way is never lost."""
        if not self._busy:
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not enter_presses_focused_button(self, event):  # never the default button: see there
            super().keyPressEvent(event)


def describe(appointment: AppointmentInfo) -> str:
    """``11/19/2026 2:00 PM with Dr Lee at Main St``: the appointment in one line (local time)."""
    text = format_datetime(appointment.starts_at)
    if appointment.provider:
        text += f" with {appointment.provider}"
    if appointment.location:
        text += f" at {appointment.location}"
    return text
