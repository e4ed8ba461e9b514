"""Closing a referral: the coded reason is required, because the reports count why referrals did not
convert and the partner's status letter says it in plain words. A note is optional.

The dialog only asks; the detail view performs the close (``workflow.close``) and shows a refusal
inside the view, so the dialog has no database and no error handling of its own.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CloseReason, State


class CloseReferralDialog(QDialog):
    """Choose one of the coded reasons of ``outcome`` (``lifecycle.reasons_for``) and add a note.

    Keyboard: the first reason is chosen and focused; arrow keys change it, Tab reaches the note
    (Alt+N), Enter closes the referral, Esc cancels.

    Object names: ``closeReferralDialog``; radio buttons ``reasonOption`` (property ``reason`` = the
    reason's value); ``closeNote``; the buttons ``closeConfirm`` and ``closeCancel``.

    Signals: QDialog's ``accepted`` / ``rejected`` / ``finished``; read ``reason()`` and ``note()``
    in the slot connected to ``accepted``.
    """

    def __init__(self, outcome: State, parent: QWidget | None = None) -> None:
        reasons = lifecycle.reasons_for(outcome)
        if not reasons:
            raise ValueError(f"{outcome} is not a closed outcome")
        super().__init__(parent)
        self.outcome = outcome
        self.setObjectName("closeReferralDialog")
        self.setWindowTitle(f"Close as {lifecycle.LABELS[outcome]}")

        intro = QLabel(
            f"Close this referral as {lifecycle.LABELS[outcome]}. Why? "
            "The reason goes into the reports and the partner's status letter."
        )
        intro.setWordWrap(True)
        self._group = QButtonGroup(self)
        self._options: list[tuple[QRadioButton, CloseReason]] = []
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for reason in reasons:
            option = QRadioButton(lifecycle.CLOSE_REASONS[reason].label.replace("&", "&&"))
            option.setObjectName("reasonOption")
            option.setProperty("reason", reason.value)
            self._group.addButton(option)
            self._options.append((option, reason))
            layout.addWidget(option)
        self._options[0][0].setChecked(True)

        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("closeNote")
        self.note_edit.setPlaceholderText("Optional: anything the next person should know")
        note_label = QLabel("&Note:")
        note_label.setBuddy(self.note_edit)
        layout.addWidget(note_label)
        layout.addWidget(self.note_edit)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        confirm = buttons.button(QDialogButtonBox.StandardButton.Ok)
        confirm.setText("Close referral")
        confirm.setObjectName("closeConfirm")
        confirm.setDefault(True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("closeCancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._options[0][0].setFocus()
        # Wide enough for the explanation and a note in a few words, measured in characters so it
        # scales with the font (and the display scaling) rather than in pixels.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)

    def reason(self) -> CloseReason:
        return next(reason for option, reason in self._options if option.isChecked())

    def note(self) -> str | None:
        return self.note_edit.text().strip() or None
