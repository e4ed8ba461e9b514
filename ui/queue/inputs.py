"""The filter bar's small input widgets, each with one keyboard habit the front desk relies on."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QLineEdit, QMenu

from ui.widgets.dates import format_date, parse_date


class SearchEdit(QLineEdit):
    """Esc clears the search (when empty, Esc goes on to the window); Down or Return hand over to the table.

    Signals:
        leave(): Down or Return was pressed.
        escaped(): Esc cleared the text.
    """

    leave = Signal()
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self.text():
            self.clear()
            self.escaped.emit()
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.leave.emit()
        else:
            super().keyPressEvent(event)


class StickyMenu(QMenu):
    """A menu whose checkable state items toggle without closing it, so several can be ticked at once."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.actionAt(event.position().toPoint())
        if action is not None and action.property("sticky"):
            action.trigger()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self.activeAction()
        if event.key() == Qt.Key.Key_Space and action is not None and action.property("sticky"):
            action.trigger()
            return
        super().keyPressEvent(event)


class DateEdit(QLineEdit):
    """A received-date bound typed as text (empty: any day), as wide as a date in the current font.

    Signals: those of QLineEdit (the bar listens to ``editingFinished``).
    """

    def value(self) -> date | None:
        """The typed date; raises InputError when the text is not one."""
        return parse_date(self.text())

    def set_value(self, value: date | None) -> None:
        self.setText(format_date(value) if value is not None else "")

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance("00/00/00000") + 4 * metrics.averageCharWidth()
        return QSize(width, super().sizeHint().height())
