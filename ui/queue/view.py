"""The queue view: the filter bar over the table, an empty state instead of an empty grid, and a quiet
loading mark. Keyboard first: the search box hands over to the table with Down or Return, Up/Down move,
Return (or a double click) opens the referral.

The main window binds Ctrl+F and Ctrl+Shift+X (ui/shortcuts.py) and calls ``focus_search`` and
``clear_filters``; a QueueView used on its own can bind them itself (``bind_shortcuts=True``), but not both,
or Qt reports an ambiguous shortcut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from refdesk.services.actor import list_staff
from refdesk.services.catalog import list_partners, list_service_lines
from refdesk.services.queue import QueueSort
from refdesk.storage import Database
from ui.queue.columns import Column
from ui.queue.filters import QueueFilterBar
from ui.queue.model import QueueModel
from ui.tasks import TaskRunner
from ui.widgets import named
from ui.widgets.bars import error_bar
from ui.widgets.tables import OpenRowTable, read_only_rows

EMPTY_DATABASE_TEXT = "No referrals yet — New referral (Ctrl+N), Import, or Load demo data"
NO_MATCH_TEXT = "No referrals match these filters — Clear filters (Ctrl+Shift+X)"
#: A query quicker than this never shows the loading mark (it would only flicker).
LOADING_DELAY_MS = 150
#: Ages ("3 h") and "late" marks move with the clock: repaint the visible rows this often.
REPAINT_MS = 60_000

#: Typical content per column, in characters: widths follow the font, so they hold at any scaling.
_WIDTH_SAMPLES: dict[Column, str] = {
    Column.RECEIVED: "00 min",
    Column.PATIENT: "Alexandra Montg",
    Column.DOB: "00/00/0000",
    Column.PHONE: "(000) 000-0000",
    Column.PARTNER: "Riverside Famil",
    Column.SERVICE_LINE: "Physical thera",
    Column.URGENCY: "Routine",
    Column.STATE: "Contact attempted",
    Column.OWNER: "Maria Lopez",
    Column.ATTEMPTS: "00",
}


class QueueView(QWidget):
    """The referral queue.

    Signals:
        open_referral(int): the user asked to open this referral (Return/Enter or double click).
        selection_changed(object): the selected referral id, or None when nothing is selected.
        count_changed(int): how many referrals match the filters (once the full id list is known).
    """

    open_referral = Signal(int)
    selection_changed = Signal(object)
    count_changed = Signal(int)

    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        filters: Mapping[str, Any] | None = None,
        bind_shortcuts: bool = False,
    ) -> None:
        """``filters``: what ``filter_bar.to_settings()`` saved last time; the first query uses them (one
        query at start-up, not the default one and then the saved one)."""
        super().__init__(parent)
        self.setObjectName("queueView")
        self._db = db
        #: The selected referral as listeners know it, and one asked for whose row has not arrived yet.
        self._current_id: int | None = None
        self._wanted: int | None = None
        self._fitted = False
        self._widths: dict[Column, int] = {}
        self._widened: dict[Column, int] = {}
        self.model = QueueModel(db, runner, self)
        self.filter_bar = QueueFilterBar(*self._choices(), parent=self)
        if filters is not None:
            self.filter_bar.from_settings(filters)  # before filter_changed is connected
        self.table = OpenRowTable(self)
        self._loading = named(QProgressBar(self), "queueLoading")
        self._loading.setTextVisible(False)
        self._loading.setRange(0, 0)
        self._loading.setAccessibleName("Loading referrals")
        policy = self._loading.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing it must not push the table down
        self._loading.setSizePolicy(policy)
        self._loading.setMaximumHeight(max(2, self.fontMetrics().height() // 4))
        self._loading.hide()
        self._loading_timer = QTimer(self, singleShot=True, interval=LOADING_DELAY_MS)
        self._loading_timer.timeout.connect(lambda: self._loading.setVisible(self.model.loading))
        self._repaint_timer = QTimer(self, interval=REPAINT_MS)
        self._repaint_timer.timeout.connect(self.table.viewport().update)
        self._repaint_timer.start()

        self._setup_table()
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.table)
        self._stack.addWidget(self._build_empty_state())
        self._error_bar = self._build_error_bar()
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self._error_bar)
        layout.addWidget(self._loading)
        layout.addWidget(self._stack, 1)

        self.filter_bar.filter_changed.connect(lambda flt: self.model.set_query(flt, self.model.query_sort))
        self.filter_bar.results_requested.connect(self._enter_results)
        self.model.loading_changed.connect(self._on_loading)
        self.model.count_changed.connect(self._on_count)
        self.model.query_failed.connect(self._on_failure)
        self.model.modelReset.connect(self._after_rows_changed)
        self.model.rowsInserted.connect(self._after_rows_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.open_requested.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._make_room_for_arrow)
        if bind_shortcuts:
            for keys, slot in (("Ctrl+F", self.focus_search), ("Ctrl+Shift+X", self.clear_filters)):
                shortcut = QShortcut(QKeySequence(keys), self, slot)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.setFocusProxy(self.table)
        self.model.set_query(self.filter_bar.filter(), QueueSort())
        self.table.setSortingEnabled(True)  # after set_query: the header's first sort() is then a no-op

    # --- public -------------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.filter_bar.focus_search()

    def clear_filters(self) -> None:
        self.filter_bar.clear()

    def refresh(self) -> None:
        """Re-read the queue (after an edit elsewhere), keeping the selected referral selected."""
        self.model.refresh()

    def reload_choices(self) -> None:
        """Re-read the partner, service line and staff pickers (after one was added or renamed)."""
        self.filter_bar.set_choices(*self._choices())

    def current_referral_id(self) -> int | None:
        return self._current_id

    def open_current(self) -> None:
        """Open the selected referral (for a window-wide Return action, which would see the key first)."""
        if self._current_id is not None:
            self.open_referral.emit(self._current_id)

    def select_referral(self, referral_id: int) -> bool:
        """Select and show ``referral_id`` (``selection_changed`` follows). If the query is still loading it
        is selected when its row arrives; if it is not in the queue, nothing changes. Returns whether it
        was selected now."""
        self._wanted = referral_id
        return self._restore_selection()

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            self._fit_to_font()
        super().showEvent(event)

    # --- inside -------------------------------------------------------------------------------------

    def _choices(self) -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, str]]]:
        """The pickers' lists: a few hundred rows at most, read once on the GUI thread."""
        return (
            [(p.id, p.name) for p in list_partners(self._db)],
            [(s.id, s.name) for s in list_service_lines(self._db)],
            [(s.id, s.full_name) for s in list_staff(self._db)],
        )

    def _setup_table(self) -> None:
        table = self.table
        table.setObjectName("queueTable")
        table.setModel(self.model)
        read_only_rows(table)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setAccessibleName("Referral queue")
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measure 1M rows
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSortIndicator(Column.RECEIVED, Qt.SortOrder.DescendingOrder)
        self._fit_to_font()

    def _fit_to_font(self) -> None:
        """Row height and column widths from the font in use, so they hold at any scaling and font size.
        Run again when first shown: the style sheet's font only applies once the widget is polished."""
        table, header = self.table, self.table.horizontalHeader()
        table.ensurePolished()
        header.ensurePolished()
        metrics = table.fontMetrics()
        table.verticalHeader().setDefaultSectionSize(metrics.height() + max(4, metrics.height() // 2))
        padding = 2 * metrics.averageCharWidth()
        # The header's own hint holds the title in its font and padding; without the sort arrow, which only
        # the sorted column needs (room for it on every column would push "next action" off a 1280 screen).
        header.setSortIndicatorShown(False)
        self._widths = {
            column: max(metrics.horizontalAdvance(sample) + padding, header.sectionSizeHint(column))
            for column, sample in _WIDTH_SAMPLES.items()
        }
        header.setSortIndicatorShown(True)
        for column, width in self._widths.items():
            header.resizeSection(column, width)
        self._make_room_for_arrow(header.sortIndicatorSection())

    def _make_room_for_arrow(self, section: int) -> None:
        """Widen the sorted column for its arrow, and give the previously sorted one its width back."""
        header = self.table.horizontalHeader()
        for column, width in self._widths.items():
            if column != section and header.sectionSize(column) == self._widened.get(column):
                header.resizeSection(column, width)
        self._widened = {}
        if section in self._widths and header.sectionSize(section) < header.sectionSizeHint(section):
            header.resizeSection(section, header.sectionSizeHint(section))
            self._widened[Column(section)] = header.sectionSize(section)

    def _build_empty_state(self) -> QWidget:
        page = named(QWidget(self), "emptyStatePage")
        self._empty_label = named(QLabel(page), "emptyState")
        self._empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label.setWordWrap(True)
        self._empty_clear = named(QPushButton("Clear filters", page), "emptyClearFilters")
        self._empty_clear.clicked.connect(self.clear_filters)
        column = QVBoxLayout(page)
        column.addStretch(1)
        column.addWidget(self._empty_label)
        column.addWidget(self._empty_clear, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(2)
        return page

    def _build_error_bar(self) -> QFrame:
        bar, self._error_label = error_bar(self, "queue", self.refresh)
        return bar

    def _show_empty(self, database_empty: bool) -> None:
        self._empty_label.setText(EMPTY_DATABASE_TEXT if database_empty else NO_MATCH_TEXT)
        self._empty_label.setProperty("kind", "noReferrals" if database_empty else "noMatch")
        self._empty_label.style().unpolish(self._empty_label)
        self._empty_label.style().polish(self._empty_label)
        self._empty_clear.setVisible(not database_empty)
        had_focus = self.table.hasFocus()
        self._stack.setCurrentIndex(1)
        if had_focus and not database_empty:
            self._empty_clear.setFocus()
        elif had_focus:
            self.filter_bar.focus_search()

    def _on_loading(self, loading: bool) -> None:
        if loading:
            self._loading_timer.start()
        else:
            self._loading_timer.stop()
            self._loading.hide()

    def _on_count(self, count: int) -> None:
        self._error_bar.hide()
        if count == 0:
            self._show_empty(self.model.database_empty)
        self._restore_selection(final=True)
        self.count_changed.emit(count)

    def _on_failure(self, message: str) -> None:
        self._error_label.setText(message)
        self._error_bar.show()

    def _after_rows_changed(self) -> None:
        if self.model.rowCount() > 0:
            self._stack.setCurrentIndex(0)
        self._restore_selection()

    def _restore_selection(self, *, final: bool = False) -> bool:
        """Select the referral asked for (``select_referral``), else keep the selected one selected. Until
        the full id list is known (``final``) a row may still be on its way; after that, a referral asked
        for but absent is forgotten, and one that left the queue is reported as None."""
        if self._wanted is not None:
            if self._select(self._wanted):
                self._wanted = None
                return True
            if not final:
                return False
            self._wanted = None
        if self._current_id is None:
            return False
        if self._select(self._current_id):
            return True
        if final:
            self._current_id = None
            self.selection_changed.emit(None)
        return False

    def _select(self, referral_id: int) -> bool:
        row = self.model.row_of(referral_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        selection = self.table.selectionModel()
        if selection.currentIndex().row() != row or not selection.isRowSelected(row):
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            selection.setCurrentIndex(index, flags)  # _on_selection tells the listeners
        self.table.scrollTo(index)
        return True

    def _on_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        referral_id = self.model.referral_id_at(rows[0].row()) if rows else None
        self._wanted = None  # whoever selected last (the user or select_referral) wins
        # A model reset clears the selection without a signal, so this only runs for real changes.
        if referral_id != self._current_id:
            self._current_id = referral_id
            self.selection_changed.emit(referral_id)

    def _open(self, index: QModelIndex) -> None:
        referral_id = self.model.referral_id_at(index.row())
        if referral_id is not None:
            self.open_referral.emit(referral_id)

    def _enter_results(self) -> None:
        if self._stack.currentIndex() != 0 or self.model.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
