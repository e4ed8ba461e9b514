"""The list the Today tab shows: a tree whose Return opens a line, and the delegate that gives headings
and lines their height and their style-sheet colours."""

from __future__ import annotations

from PySide6.QtCore import Property, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QWidget

from refdesk.domain.vocab import Urgency
from ui.today.model import Column, Role


class TodayTree(QTreeView):
    """Return or Enter opens the current line (a tree view would only expand or move).

    Two colours can be set from the style sheet, e.g. ``QTreeView#todayList { qproperty-urgentColor:
    #b42318; }``: ``urgentColor`` for the STAT / urgent marker and ``headingColor`` for section headings.
    Both default to the palette's text colour.

    Signals:
        open_requested(QModelIndex): Return/Enter on the current line.
    """

    open_requested = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._urgent = QColor()
        self._heading = QColor()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)

    def urgent_color(self) -> QColor:
        return self._urgent

    def _set_urgent(self, color: QColor) -> None:
        self._urgent = QColor(color)
        self.viewport().update()

    def heading_color(self) -> QColor:
        return self._heading

    def _set_heading(self, color: QColor) -> None:
        self._heading = QColor(color)
        self.viewport().update()

    urgentColor = Property(QColor, urgent_color, _set_urgent)  # noqa: N815 - a Qt property name
    headingColor = Property(QColor, heading_color, _set_heading)  # noqa: N815


class TodayDelegate(QStyledItemDelegate):
    """Paints headings of non-empty sections as enabled (they carry no flags so the keyboard skips them;
    an empty section's heading keeps the dimmed look) and applies the tree's style-sheet colours."""

    def __init__(self, tree: TodayTree) -> None:
        super().__init__(tree)
        self._tree = tree

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        if index.internalId() == 0:  # a section row (see TodayModel)
            if index.data(Role.TOTAL):
                option.state |= QStyle.StateFlag.State_Enabled
                self._color(option, self._tree.heading_color())
        elif index.column() == Column.URGENCY:
            color = self._tree.urgent_color()
            if color.isValid() and index.data(Role.URGENCY) != Urgency.ROUTINE.value:
                self._color(option, color)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        """Two text lines for a line, one for a heading, with air in proportion to the font (so it scales
        with it). Computed from the font alone: asking the base class would query a dozen roles of every
        cell each time the tree lays out, which costs more than the whole worklist query."""
        spacing = option.fontMetrics.lineSpacing()
        heading = index.internalId() == 0  # section rows (TodayModel keeps internalId 0 for them)
        height = spacing + spacing * 2 // 3 if heading else 2 * spacing + spacing // 2
        return QSize(0, height)

    @staticmethod
    def _color(option: QStyleOptionViewItem, color: QColor) -> None:
        if color.isValid():
            option.palette.setColor(QPalette.ColorRole.Text, color)
            option.palette.setColor(QPalette.ColorRole.HighlightedText, color)
