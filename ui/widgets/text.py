"""Text fields that behave like the other form fields: multi-line text, and a count that may be empty."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget


class PlainTextField(QPlainTextEdit):
    """Plain multi-line text (pasted rich text arrives as plain text). Tab moves to the next field, as in
    every other field, and ``editingFinished`` fires on leaving after a change, which QPlainTextEdit
    lacks, so a form can save it like a line edit.

    Signals:
        editingFinished(): focus left the field and its text changed since the last emission or set.
    """

    editingFinished = Signal()

    def __init__(self, lines: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines = lines
        self.setTabChangesFocus(True)

    def set_text(self, text: str) -> None:
        self.setPlainText(text)
        self.document().setModified(False)

    def sizeHint(self) -> QSize:
        # tall enough for a few lines at any font size or scale factor
        hint = super().sizeHint()
        margins = self.contentsMargins()
        height = self.fontMetrics().lineSpacing() * self._lines + margins.top() + margins.bottom()
        height += int(2 * self.document().documentMargin())
        return QSize(hint.width(), height)

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        # a context menu or completer popup takes focus for a moment; the user is still editing
        if event.reason() != Qt.FocusReason.PopupFocusReason and self.document().isModified():
            self.document().setModified(False)
            self.editingFinished.emit()


class CountLineEdit(QLineEdit):
    """A whole number of things (approved visits), or empty for "not given"; only digits can be typed.

    Unlike a QSpinBox it can be empty, so "not stated" is never saved as 0.

    Signals: those of QLineEdit.
    """

    def __init__(self, digits: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setValidator(QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{digits}}}"), self))

    def value(self) -> int | None:
        text = self.text().strip()
        return int(text) if text else None

    def set_value(self, value: int | None) -> None:
        self.setText("" if value is None else str(value))
