"""The partner list: search as you type, a category, "lapsed" (referred before, nothing in the last N
days), inactive partners on request, and the table.

Keys: Ctrl+F puts the cursor in the search (from anywhere in the view); Down or Return in the search
moves to the table; Return or Enter on a row opens that partner's detail; Esc in the search clears it.
The search is debounced like the queue's: it runs once the typist pauses.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import PartnerCategory
from refdesk.services.partners import LAPSED_DAYS, PartnerFilter
from refdesk.storage import Database
from ui.partners.model import Column, PartnerListModel
from ui.queue.inputs import SearchEdit
from ui.tasks import TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.bars import error_bar
from ui.widgets.choices import ChoiceCombo
from ui.widgets.tables import OpenRowTable, fit_columns, make_room_for_arrow, read_only_rows
from ui.widgets.text import CountLineEdit

SEARCH_PLACEHOLDER = "Search name, city or phone  (Ctrl+F)"
#: Pause after the last keystroke (or spin box step) before the list is read again.
DEBOUNCE_MS = 250
#: Typical content per column, in characters: widths follow the font, so they hold at any scaling.
_WIDTH_SAMPLES: dict[Column, str] = {
    Column.NAME: "Bayside Community Health Cent",
    Column.LAST_REFERRAL: "00/00/0000",
    Column.RECENT: "0000",
    Column.OPEN: "000",
    Column.NEXT_TOUCH: "00/00/0000",
    Column.CATEGORY: "Behavioral health",
    Column.CITY: "Fairview Heights",
    Column.PHONE: "(000) 000-0000",
}


def is_find_key(event: QEvent) -> bool:
    """Ctrl+F (the platform's Find key) as a key press or as the shortcut query that precedes it."""
    return (
        event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
        and isinstance(event, QKeyEvent)
        and event.matches(QKeySequence.StandardKey.Find)
    )


def take_find_key(event: QEvent, focus_search: Callable[[], None]) -> bool:
    """For a widget's ``event``: Ctrl+F runs ``focus_search``; returns whether the event was Ctrl+F.
    Accepting the shortcut query keeps a window-wide Ctrl+F (the queue's search) from taking the key
    while the user is in the partners' part of the window."""
    if not is_find_key(event):
        return False
    event.accept()
    if event.type() == QEvent.Type.KeyPress:
        focus_search()
    return True


class DaysEdit(CountLineEdit):
    """A number of days typed as digits (as wide as four), stepped with Up/Down (1) and Page Up/Down
    (30). Not a QSpinBox: the style sheet leaves its arrow buttons too small to read or hit.

    Signals:
        stepped(): the value was changed with a step key.
    """

    stepped = Signal()
    STEPS = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1, Qt.Key.Key_PageUp: 30, Qt.Key.Key_PageDown: -30}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(4, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        width = self.fontMetrics().horizontalAdvance("00000") + 4 * self.fontMetrics().averageCharWidth()
        self.setFixedWidth(width)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = self.STEPS.get(Qt.Key(event.key()))
        if step is None:
            super().keyPressEvent(event)
            return
        self.set_value(min(9999, max(1, (self.value() or 0) + step)))
        self.stepped.emit()


class PartnersView(QWidget):
    """The partner list with its filters.

    Object names: ``partnerSearch``, ``partnerCategory``, ``partnerLapsed`` (check box),
    ``partnerLapsedDays`` (spin box), ``partnerInactive``, ``partnerCount``, ``partnerTable``.

    Signals:
        partner_selected(object): the selected partner's id, or None when nothing is selected.
        open_partner(int): Return/Enter or a double click on a partner: show and work its detail.
        count_changed(int): how many partners the filters let through.
    """

    partner_selected = Signal(object)
    open_partner = Signal(int)
    count_changed = Signal(int)

    def __init__(self, db: Database, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partnersView")
        self._current_id: int | None = None
        self._wanted: int | None = None
        self._fitted = False
        self._last_filter: PartnerFilter | None = None
        self.model = PartnerListModel(db, runner, self)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply)

        self.search = named(SearchEdit(self), "partnerSearch")
        self.search.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search partners")
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.leave.connect(self._enter_results)
        self.search.escaped.connect(self._apply)

        self.category = named(
            ChoiceCombo([(None, "All categories"), *((c, c.label) for c in PartnerCategory)], parent=self),
            "partnerCategory",
        )
        self.category.setAccessibleName("Category")
        self.category.currentIndexChanged.connect(lambda _index: self._apply())

        self.lapsed = named(QCheckBox("&Lapsed: nothing in the last", self), "partnerLapsed")
        self.lapsed.setToolTip("Partners who referred before but sent nothing in the last N days")
        self.lapsed.toggled.connect(self._lapsed_toggled)
        self.lapsed_days = named(DaysEdit(self), "partnerLapsedDays")
        self.lapsed_days.set_value(LAPSED_DAYS)
        self.lapsed_days.setAccessibleName("Lapsed after this many days")
        self.lapsed_days.setToolTip(
            "Days without a referral (Up and Down step by one, Page Up and Down by 30)"
        )
        self.lapsed_days.setEnabled(False)
        self.lapsed_days.textEdited.connect(lambda _text: self._debounce.start())
        self.lapsed_days.stepped.connect(self._debounce.start)
        self.lapsed_days.editingFinished.connect(self._days_finished)
        days_label = QLabel("days", self)
        days_label.setBuddy(self.lapsed_days)
        self.inactive = named(QCheckBox("Show &inactive", self), "partnerInactive")
        self.inactive.setToolTip("Also list partners marked inactive")
        self.inactive.toggled.connect(lambda _on: self._apply())

        self.count_label = plain_label("partnerCount", hide_empty=False, wrap=False)
        self._error_bar, self._error_label = error_bar(self, "partners", self.refresh)
        self.table = OpenRowTable(self)
        self._setup_table()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.category)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.lapsed)
        filters.addWidget(self.lapsed_days)
        filters.addWidget(days_label)
        filters.addSpacing(12)
        filters.addWidget(self.inactive)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self._error_bar)
        layout.addWidget(self.table, 1)

        self.model.count_changed.connect(self._on_count)
        self.model.query_failed.connect(self._on_failure)
        self.model.modelReset.connect(self._after_reset)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.open_requested.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.setFocusProxy(self.table)
        self._apply()
        self.table.setSortingEnabled(True)  # after the first read: the header's first sort() only re-orders
        self.table.horizontalHeader().setSortIndicator(Column.NAME, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            lambda section, _order: make_room_for_arrow(self.table, section)
        )

    # --- public -------------------------------------------------------------------------------------

    def filter(self) -> PartnerFilter:
        """What the controls ask for now."""
        return PartnerFilter(
            search=self.search.text().strip(),
            category=self.category.value(),  # type: ignore[arg-type]
            lapsed_days=(self.lapsed_days.value() or LAPSED_DAYS) if self.lapsed.isChecked() else None,
            include_inactive=self.inactive.isChecked(),
        )

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        """Read the list again with the same filters, keeping the selected partner selected."""
        self._error_bar.hide()
        self.model.refresh()

    def refresh_row(self, partner_id: int) -> None:
        self.model.refresh_row(partner_id)

    def current_partner_id(self) -> int | None:
        return self._current_id

    def select_partner(self, partner_id: int) -> bool:
        """Select ``partner_id`` now, or when the list that holds it arrives; returns whether it was
        selected now."""
        self._wanted = partner_id
        return self._restore_selection()

    def event(self, event: QEvent) -> bool:
        # Ctrl+F: the list's search, wherever the focus is in the view.
        return take_find_key(event, self.focus_search) or super().event(event)

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            self._fitted = True
            self._fit_to_font()
        super().showEvent(event)

    # --- inside -------------------------------------------------------------------------------------

    def _setup_table(self) -> None:
        table = self.table
        table.setObjectName("partnerTable")
        table.setModel(self.model)
        read_only_rows(table)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setAccessibleName("Partners")
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.horizontalHeader().setStretchLastSection(False)
        self._fit_to_font()

    def _fit_to_font(self) -> None:
        fit_columns(self.table, {int(column): sample for column, sample in _WIDTH_SAMPLES.items()})

    def _days_finished(self) -> None:
        """An emptied or zero day count means the default again, shown as such."""
        if not self.lapsed_days.value():
            self.lapsed_days.set_value(LAPSED_DAYS)
            self._apply()

    def _lapsed_toggled(self, on: bool) -> None:
        self.lapsed_days.setEnabled(on)
        self._apply()

    def _apply(self) -> None:
        self._debounce.stop()
        flt = self.filter()
        if flt != self._last_filter:
            self._last_filter = flt
            self._error_bar.hide()
            self.model.set_filter(flt)

    def _enter_results(self) -> None:
        self._apply()  # a search still waiting for its pause runs now
        if self.model.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def _on_count(self, count: int) -> None:
        self._error_bar.hide()
        flt = self.model.query_filter
        if count == 0:
            text = "No lapsed partners." if flt.lapsed_days is not None else "No partner matches."
        else:
            kind = "lapsed partner" if flt.lapsed_days is not None else "partner"
            text = f"{count:,} {kind}{'s' if count != 1 else ''}"
        self.count_label.setText(text)
        self.count_changed.emit(count)

    def _on_failure(self, message: str) -> None:
        self._error_label.setText(message)
        self._error_bar.show()

    def _restore_selection(self) -> bool:
        """Select the partner asked for (``select_partner``), else keep the selected one selected."""
        for candidate in (self._wanted, self._current_id):
            row = self.model.row_of(candidate) if candidate is not None else None
            if row is None:
                continue
            self._wanted = None
            index = self.model.index(row, 0)
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(index, flags)  # _on_selection tells the listeners
            self.table.scrollTo(index)
            return True
        return False

    def _after_reset(self) -> None:
        """A new list arrived (a reset clears the selection without a signal): select again, or report
        that the selected partner is no longer listed."""
        if not self._restore_selection():
            self._wanted = None
            if self._current_id is not None:
                self._current_id = None
                self.partner_selected.emit(None)

    def _on_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        partner_id = self.model.partner_id_at(rows[0].row()) if rows else None
        self._wanted = None  # whoever selected last (the user or select_partner) wins
        if partner_id != self._current_id:
            self._current_id = partner_id
            self.partner_selected.emit(partner_id)

    def _open(self, index: QModelIndex) -> None:
        partner_id = self.model.partner_id_at(index.row())
        if partner_id is not None:
            self.open_partner.emit(partner_id)
