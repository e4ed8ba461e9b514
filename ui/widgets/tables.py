"""What the app's tables share: a model base for rows held whole, a table whose Return opens the current
row, the settings of a read-only list, and column widths from the font.

The queue's model is not a ``RowsModel``: it holds a million ids and fetches rows by page (see
``ui.queue.model``). The lists here hold a handful to a few thousand plain rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView

R = TypeVar("R")

#: The roles the app's table models answer besides Qt's own: the row's id (None on a row that stands for
#: no one, as a total), the whole row, and the raw value behind a cell (what a sort or a test compares;
#: None where there is nothing).
ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 2
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 3

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class RowsModel(QAbstractTableModel, Generic[R]):
    """Rows held whole in a list, read only: the Qt plumbing every small table model repeats (row and
    column counts, flags, the header's titles and tips, the row under an index).

    A subclass names its ``HEADERS`` (and ``HEADER_TIPS``, index for index; None for no tip) and answers
    ``data``, with ``ID_ROLE``, ``ROW_ROLE`` and ``SORT_ROLE`` where it has them. No signals beyond
    QAbstractTableModel's.
    """

    HEADERS: ClassVar[Sequence[str]] = ()
    HEADER_TIPS: ClassVar[Sequence[str | None]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    def set_rows(self, rows: Iterable[R]) -> None:
        """Show ``rows`` instead (a model reset: views lose their selection)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> tuple[R, ...]:
        return tuple(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == _DISPLAY:
            return self.HEADERS[section]
        if role == _TOOLTIP and section < len(self.HEADER_TIPS):
            return self.HEADER_TIPS[section]
        return None


class OpenRowTable(QTableView):
    """Return or Enter opens the current row (a QTableView would only move to the next one).

    Signals:
        open_requested(QModelIndex): Return/Enter on a current row.
    """

    open_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)


def read_only_rows(table: QTableView) -> None:
    """A list to read and pick from: whole rows, one at a time, never edited in place; one line per row,
    alternating shades, no row numbers, a header that does not light up with the selection; Tab
    leaves the table (the arrow keys move inside it), as in every other view."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setHighlightSections(False)


def fit_columns(table: QTableView, samples: dict[int, str]) -> None:
    """Row height and column widths from the font in use, so they hold at any scaling: each column as
    wide as its sample text, and never narrower than its header title (bold, with the sort arrow).
    Call again when first shown: the style sheet's font only applies once the table is polished."""
    header = table.horizontalHeader()
    table.ensurePolished()
    header.ensurePolished()
    metrics = table.fontMetrics()
    table.verticalHeader().setDefaultSectionSize(metrics.height() + max(4, metrics.height() // 2))
    padding = 2 * metrics.averageCharWidth()
    # without the sort arrow, which only the sorted column needs (room for it everywhere costs a column)
    arrow = header.isSortIndicatorShown()
    header.setSortIndicatorShown(False)
    for column, sample in samples.items():
        header.resizeSection(
            column, max(metrics.horizontalAdvance(sample) + padding, header.sectionSizeHint(column))
        )
    header.setSortIndicatorShown(arrow)
    if arrow:
        make_room_for_arrow(table, header.sortIndicatorSection())


def make_room_for_arrow(table: QTableView, section: int) -> None:
    """Widen the sorted column so its title and arrow both show (connect to ``sortIndicatorChanged``)."""
    header = table.horizontalHeader()
    if 0 <= section < header.count() and header.sectionSize(section) < header.sectionSizeHint(section):
        header.resizeSection(section, header.sectionSizeHint(section))
