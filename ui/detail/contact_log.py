"""The contact log: one key per call outcome, an optional note, and the attempts made so far.

Shortcut scheme: Alt+1 … Alt+5, active while the keyboard focus is anywhere inside the detail view.

Why not plain 1–5: the front desk types while on the phone (a note, a corrected phone number), and a
bare digit that logs a call when the focus is on a button but types a digit when it is in a field is
exactly the kind of shortcut that gets confused with typing. Alt+digit types nothing in any field, so
it means the same wherever the focus is: one can type the note first and then press Alt+2 to log "left
voicemail" with it. Why not Ctrl+digit: the main window switches tabs with Ctrl+1…Ctrl+4
(``ui.shortcuts``), and the same keys in two places would make both ambiguous. The shortcuts are bound
to the detail view (``WidgetWithChildrenShortcut``), not the window, so they act only while the person
is working in the referral, never while the focus is in the queue or in a dialog.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.services.timeline import EntryKind, TimelineEntry
from ui.detail.bars import EntryList
from ui.widgets import plain_label


@dataclass(frozen=True, slots=True)
class QuickAction:
    label: str
    method: AttemptMethod
    outcome: AttemptOutcome
    key: str


#: The five things that happen on nearly every contact, in the order the keys go.
QUICK_ACTIONS: tuple[QuickAction, ...] = (
    QuickAction("Called – no answer", AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, "Alt+1"),
    QuickAction("Left voicemail", AttemptMethod.CALL, AttemptOutcome.LEFT_VOICEMAIL, "Alt+2"),
    QuickAction("Reached", AttemptMethod.CALL, AttemptOutcome.REACHED, "Alt+3"),
    QuickAction("Texted", AttemptMethod.TEXT, AttemptOutcome.SENT, "Alt+4"),
    QuickAction("Wrong number", AttemptMethod.CALL, AttemptOutcome.WRONG_NUMBER, "Alt+5"),
)


class ContactLog(QGroupBox):
    """Quick-action buttons (object name ``quickAction``, property ``outcome``), the note field
    (``attemptNote``, Alt+T), the attempt count (``attemptCount``) and the past attempts, newest first
    (frames ``attemptEntry`` holding ``attemptWhen`` and ``attemptText``); ``contactClosedHint`` says
    why nothing can be logged (closed or completed referral).

    Signals:
        log_requested(object, object, str): the user chose a quick action: the AttemptMethod, the
            AttemptOutcome and the note as typed (may be empty). The view logs it and then calls
            ``attempt_logged`` to clear the note.
    """

    log_requested = Signal(object, object, str)

    def __init__(self, shortcut_scope: QWidget, parent: QWidget | None = None) -> None:
        """``shortcut_scope``: the widget inside which Alt+1…Alt+5 act (the whole detail view)."""
        super().__init__("Contact log", parent)
        self.setObjectName("contactLog")
        self.buttons: list[QPushButton] = []
        grid = QGridLayout()
        for index, action in enumerate(QUICK_ACTIONS):
            sequence = QKeySequence(action.key)
            hint = sequence.toString(QKeySequence.SequenceFormat.NativeText)
            button = QPushButton(f"{action.label}  ({hint})")
            button.setObjectName("quickAction")
            button.setProperty("outcome", action.outcome.value)
            button.setToolTip(f"Log “{action.label}”, with the note if one is typed ({hint})")
            button.clicked.connect(lambda _checked=False, a=action: self._request(a))
            shortcut = QShortcut(sequence, shortcut_scope)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(button.click)  # click() does nothing while the button is disabled
            self.buttons.append(button)
            # Two columns: the buttons stay readable when the pane is narrow (200 % scaling).
            grid.addWidget(button, index // 2, index % 2)

        self.note = QLineEdit()
        self.note.setObjectName("attemptNote")
        self.note.setPlaceholderText("Optional: what was said, when to call back")
        self.note.setClearButtonEnabled(True)
        note_label = QLabel("No&te:")
        note_label.setBuddy(self.note)
        note_row = QHBoxLayout()
        note_row.addWidget(note_label)
        note_row.addWidget(self.note, 1)

        self.count = plain_label("attemptCount", hide_empty=False, selectable=True)
        self.cannot_log = plain_label("contactClosedHint", hide_empty=False, selectable=True)
        self.cannot_log.hide()
        self._entries = EntryList("attempt")

        layout = QVBoxLayout(self)
        layout.addWidget(self.cannot_log)
        layout.addLayout(note_row)
        layout.addLayout(grid)
        layout.addWidget(self.count)
        layout.addWidget(self._entries)

    def _request(self, action: QuickAction) -> None:
        self.log_requested.emit(action.method, action.outcome, self.note.text().strip())

    def set_can_log(self, allowed: bool, why_not: str = "") -> None:
        """Closed and completed referrals take no contact attempts (reopen first)."""
        for button in self.buttons:
            button.setEnabled(allowed)
        self.note.setEnabled(allowed)
        self.cannot_log.setText(why_not)
        self.cannot_log.setVisible(not allowed and bool(why_not))

    def attempt_logged(self) -> None:
        self.note.clear()

    def set_attempts(self, timeline: list[TimelineEntry], limit: int) -> None:
        """Show the attempts among ``timeline`` (already newest first) and how many the line allows."""
        attempts = [entry for entry in timeline if entry.kind is EntryKind.ATTEMPT]
        self.count.setText(f"Attempts: {len(attempts)} (this service line's limit: {limit})")
        self._entries.set_entries(attempts)
