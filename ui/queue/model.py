"""The queue's table model: an id list plus rows fetched by page, sorted and filtered in SQL.

Why this shape (performance.md): at a million referrals a list of row objects takes seconds and a gigabyte,
and a QSortFilterProxyModel takes seconds per keystroke. So the model holds only the matching ids (an
``array`` of int64, 8 bytes each), the database sorts and filters, and rows are read by primary key, a page
at a time, when the view first asks for them.

A query runs in two steps off the GUI thread: the first page of rows (so the table paints at once), then
the full id list (so the scroll bar covers every match). The first page's ids are the prefix of the full
list (same ORDER BY, id tie-break), so the second step only appends rows; if they ever differ the model
resets instead. Every step carries a generation number: a result overtaken by newer input is dropped.
"""

from __future__ import annotations

import html
import logging
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from refdesk.domain.times import utc_now
from refdesk.domain.vocab import Urgency
from refdesk.services import queue
from refdesk.services.queue import QueueFilter, QueueRow, QueueSort
from refdesk.storage import Database
from ui.errors import user_message
from ui.queue import columns
from ui.queue.columns import Column, Entry
from ui.tasks import TaskContext, TaskHandle, TaskRunner
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE

log = logging.getLogger(__name__)

#: Rows read per primary-key lookup (one page), and how many pages stay cached (10,000 rows).
PAGE_SIZE = queue.PAGE_SIZE
MAX_PAGES = 50

# ID_ROLE: the referral id; ROW_ROLE: the whole ``QueueRow``; SORT_ROLE: the raw value behind the cell
# (datetime, date, int, str). Two of the queue's own:
MISSED_ROLE = int(Qt.ItemDataRole.UserRole) + 4
"""Why the row missed its response target, or None."""
URGENCY_ROLE = int(Qt.ItemDataRole.UserRole) + 5
"""The row's ``Urgency`` (a delegate can draw STAT and urgent rows its own way)."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_ANSWERED = frozenset(
    {_DISPLAY, _TOOLTIP, _FONT, _FOREGROUND, _BACKGROUND, _DECORATION, _ALIGNMENT}
    | {ID_ROLE, ROW_ROLE, SORT_ROLE, MISSED_ROLE, URGENCY_ROLE}
)
_COLUMNS = tuple(Column)
_N_COLUMNS = len(_COLUMNS)
_PRIORITY = columns.PRIORITY
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

#: The marks' colours, matched to resources/style.qss (urgent text, error bar); a delegate may override them.
URGENT_COLOR = QColor("#b42318")
MISSED_BACKGROUND = QColor("#fdecea")


@dataclass(frozen=True, slots=True)
class _FirstPage:
    rows: list[QueueRow]
    #: Only looked up when nothing matched: tells "no referrals at all" from "no match".
    database_empty: bool


@dataclass(frozen=True, slots=True)
class _IdList:
    ids: array[int]
    database_empty: bool


def _no_referrals(db: Database) -> bool:
    """One row read through the received-time index: instant however large the database."""
    return not queue.first_page(db, QueueFilter(states=frozenset()), QueueSort(), limit=1)


class QueueModel(QAbstractTableModel):
    """Queue rows for a QTableView; call ``set_query`` to show a filter and sort.

    Signals:
        loading_changed(bool): a query started (True) or its full id list arrived or it failed (False).
        count_changed(int): the number of matching referrals, once known (the first page may come first).
        query_failed(str): a query or a page read failed; the text is for the user.
    """

    loading_changed = Signal(bool)
    count_changed = Signal(int)
    query_failed = Signal(str)

    def __init__(self, db: Database, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db, self._runner = db, runner
        self._filter, self._sort = QueueFilter(), QueueSort()
        self._started = False
        self._generation = 0
        self._handles: list[TaskHandle] = []
        self._ids: array[int] = array("q")
        self._pages: OrderedDict[int, dict[int, Entry]] = OrderedDict()
        self._last: tuple[int, Entry | None] | None = None  # the row data() looked up last
        self._total: int | None = None
        self._loading = False
        self._database_empty = False
        self._bold = QFont()
        self._bold.setBold(True)  # only the weight: the rest comes from the view's font
        self._missed_icon: QIcon | None = None

    # --- queries ------------------------------------------------------------------------------------

    @property
    def query_filter(self) -> QueueFilter:
        return self._filter

    @property
    def query_sort(self) -> QueueSort:
        return self._sort

    @property
    def total(self) -> int | None:
        """Matching referrals, or None while the id list is still on its way."""
        return self._total

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def database_empty(self) -> bool:
        """True when the last query matched nothing because there are no referrals at all."""
        return self._database_empty

    def set_query(self, flt: QueueFilter, sort: QueueSort) -> None:
        """Show ``flt`` sorted by ``sort``: the first page as soon as it is read, then every match."""
        self._filter, self._sort, self._started = flt, sort, True
        generation = self._restart()
        db = self._db

        def read_first_page(context: TaskContext) -> _FirstPage:
            context.check()  # overtaken while it waited for a thread: never start it
            rows = queue.first_page(db, flt, sort, limit=PAGE_SIZE, should_stop=lambda: context.cancelled)
            context.check()
            return _FirstPage(rows, not rows and _no_referrals(db))

        self._submit(read_first_page, lambda page: self._first_page_arrived(generation, page), generation)

    def refresh(self) -> None:
        """Re-run the current query (after an edit elsewhere). The rows on screen stay until the new id
        list arrives, so the table does not flash back to the top."""
        if not self._started:
            return
        generation = self._restart()
        self._submit(self._ids_job(), lambda ids: self._ids_arrived(generation, ids, reset=True), generation)

    def refresh_row(self, referral_id: int) -> None:
        """Re-read one row's values without re-querying (it keeps its place even if it no longer matches)."""
        row = self.row_of(referral_id)
        if row is None:
            return
        page = self._pages.get(row // PAGE_SIZE)
        if page is not None:
            try:
                fresh = queue.rows_by_id(self._db, [referral_id])
            except Exception as error:  # noqa: BLE001 - shown to the user, logged if a bug
                self.query_failed.emit(user_message(error))
                return
            if referral_id in fresh:
                page[referral_id] = Entry.of(fresh[referral_id], utc_now())
            else:
                page.pop(referral_id, None)
            self._last = None
        self.dataChanged.emit(self.index(row, 0), self.index(row, _N_COLUMNS - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Called by the view's header: re-query in the new order (columns without a SortKey are ignored)."""
        key = columns.SORT_KEYS.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return
        sort = QueueSort(key, descending=order == Qt.SortOrder.DescendingOrder)
        if sort != self._sort or not self._started:
            self.set_query(self._filter, sort)

    def referral_id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, referral_id: int) -> int | None:
        """The row showing ``referral_id`` (a linear search in C: a few ms at a million ids)."""
        try:
            return self._ids.index(referral_id)
        except ValueError:
            return None

    def row_at(self, row: int) -> QueueRow | None:
        entry = self._entry(row)
        return entry.row if entry is not None else None

    def _restart(self) -> int:
        for handle in self._handles:
            handle.cancel()
        self._handles = []
        self._generation += 1
        self._set_loading(True)
        return self._generation

    def _ids_job(self) -> Any:
        db, flt, sort = self._db, self._filter, self._sort

        def read_ids(context: TaskContext) -> _IdList:
            context.check()
            ids = array("q", queue.matching_ids(db, flt, sort, should_stop=lambda: context.cancelled))
            context.check()
            return _IdList(ids, not ids and _no_referrals(db))

        return read_ids

    def _submit(self, job: Any, on_done: Any, generation: int) -> None:
        handle = self._runner.submit(job, on_done=on_done, on_error=lambda e: self._failed(generation, e))
        if generation == self._generation and not handle.finished:
            self._handles.append(handle)

    def _first_page_arrived(self, generation: int, page: _FirstPage) -> None:
        if generation != self._generation:
            return
        now = utc_now()
        self.beginResetModel()
        self._ids = array("q", (row.id for row in page.rows))
        self._pages, self._last = OrderedDict(), None
        if page.rows:
            self._pages[0] = {row.id: Entry.of(row, now) for row in page.rows}
        self._total = None
        self._database_empty = page.database_empty
        self.endResetModel()
        if len(page.rows) < PAGE_SIZE:  # that was every match: no second query needed
            self._finish(len(page.rows))
            return
        self._submit(self._ids_job(), lambda ids: self._ids_arrived(generation, ids, reset=False), generation)

    def _ids_arrived(self, generation: int, found: _IdList, *, reset: bool) -> None:
        if generation != self._generation:
            return
        ids = found.ids
        shown = len(self._ids)
        if not reset and ids[:shown] == self._ids:
            if len(ids) > shown:
                self.beginInsertRows(QModelIndex(), shown, len(ids) - 1)
                self._ids = ids
                self.endInsertRows()
        else:
            if not reset:
                log.info("queue: first page was not the prefix of the id list (data changed); resetting")
            self.beginResetModel()
            self._ids, self._pages, self._last = ids, OrderedDict(), None
            self._database_empty = found.database_empty
            self.endResetModel()
        self._finish(len(ids))

    def _finish(self, total: int) -> None:
        self._handles = []
        self._total = total
        self._set_loading(False)
        self.count_changed.emit(total)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._handles = []
        self._set_loading(False)
        self.query_failed.emit(user_message(error))

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # --- rows by page ---------------------------------------------------------------------------------

    def _entry(self, row: int) -> Entry | None:
        last = self._last
        if last is not None and last[0] == row:  # a view asks for a row's cells and roles in a burst
            return last[1]
        if not 0 <= row < len(self._ids):
            return None
        number = row // PAGE_SIZE
        page = self._pages.get(number)
        if page is None:
            page = self._fetch_page(number)
        else:
            self._pages.move_to_end(number)
        entry = page.get(self._ids[row])
        self._last = (row, entry)
        return entry

    def _fetch_page(self, number: int) -> dict[int, Entry]:
        """Read one page by primary key on the GUI thread (well under a millisecond for 200 rows)."""
        ids: Sequence[int] = self._ids[number * PAGE_SIZE : (number + 1) * PAGE_SIZE].tolist()
        try:
            rows = queue.rows_by_id(self._db, ids)
        except Exception as error:  # noqa: BLE001 - remembered as empty so a broken page is not re-read
            rows, message = {}, user_message(error)
            # data() runs inside a paint: tell the view once the paint is over, not in the middle of it
            QTimer.singleShot(0, self, lambda: self.query_failed.emit(message))
        now = utc_now()
        page = {referral_id: Entry.of(row, now) for referral_id, row in rows.items()}
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    # --- Qt model -------------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < _N_COLUMNS:
            return None
        if role == _DISPLAY:
            return columns.HEADERS[_COLUMNS[section]]
        if role == _TOOLTIP:
            return columns.HEADER_TIPS.get(_COLUMNS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        """Asked about seven roles for every visible cell on every paint: the common roles come first and
        compare plain ints (Qt's enum objects and ``Column(n)`` cost microseconds each)."""
        if role not in _ANSWERED or not index.isValid():
            return None
        if role == ID_ROLE:
            return self.referral_id_at(index.row())
        entry, number = self._entry(index.row()), index.column()
        if entry is None or number >= _N_COLUMNS:
            return None
        row, column = entry.row, _COLUMNS[number]
        if role == _DISPLAY:
            return columns.display(row, column, utc_now())
        if role == _FONT:
            stands_out = row.urgency is Urgency.STAT or (
                column is Column.URGENCY and row.urgency in _PRIORITY
            )
            return self._bold if stands_out else None  # STAT: the whole row; urgent: its urgency cell
        if role == _FOREGROUND:
            return URGENT_COLOR if column is Column.URGENCY and row.urgency in _PRIORITY else None
        if role == _BACKGROUND:
            return MISSED_BACKGROUND if entry.reason() else None
        if role == _DECORATION:
            return self._icon() if column is Column.RECEIVED and entry.reason() else None
        if role == _ALIGNMENT:
            return _RIGHT if column is Column.ATTEMPTS else None
        if role == _TOOLTIP:
            text = columns.tooltip(row, column, utc_now(), entry.reason())
            # Always rich text, escaped: a name like "<b>Ann</b>" must show literally, not in bold.
            return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>" if text else None
        if role == MISSED_ROLE:
            return entry.reason()
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return columns.sort_value(row, column)
        return row.urgency  # URGENCY_ROLE

    def _icon(self) -> QIcon:
        if self._missed_icon is None:
            style = QApplication.style()
            self._missed_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._missed_icon
