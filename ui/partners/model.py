"""The partner list's table model: every partner the filter lets through, held whole, sorted in memory.

Why not the queue's id list and pages: a clinic has hundreds to a few thousand partners, not a million,
so their rows (plain ``PartnerRow`` values) fit in memory and a header click re-sorts them at once
without a query. Reading them (and their referral figures) does take a query, so it runs on the task
runner; a result overtaken by newer input (the next keystroke) is dropped by its generation number.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from refdesk.domain.times import to_local, utc_now
from refdesk.domain.vocab import OutreachCadence, PartnerCategory
from refdesk.services import partners
from refdesk.services.partners import PartnerFilter, PartnerRow, PartnerSort
from refdesk.storage import Database
from ui.errors import user_message
from ui.tasks import TaskContext, TaskHandle, TaskRunner
from ui.widgets.dates import format_date
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE, RowsModel

# Roles (ui.widgets.tables): ID_ROLE the partner id; ROW_ROLE the whole ``PartnerRow``; SORT_ROLE the raw
# value behind the cell (str, int, aware datetime or None).


class Column(IntEnum):
    """The list's columns: the figures a coordinator scans for come right after the name, so they stay
    in sight beside the detail on a 1280-pixel screen; where the partner is comes last."""

    NAME = 0
    LAST_REFERRAL = 1
    RECENT = 2
    OPEN = 3
    NEXT_TOUCH = 4
    CATEGORY = 5
    CITY = 6
    PHONE = 7


HEADERS: dict[Column, str] = {
    Column.NAME: "Partner",
    Column.CATEGORY: "Category",
    Column.CITY: "City",
    Column.PHONE: "Phone",
    Column.LAST_REFERRAL: "Last referral",
    Column.RECENT: "12 mo",
    Column.OPEN: "Open",
    Column.NEXT_TOUCH: "Next touch",
}
HEADER_TIPS: dict[Column, str] = {
    Column.LAST_REFERRAL: "When the partner's most recent referral was received",
    Column.RECENT: "Referrals received in the last 12 months",
    Column.OPEN: "Referrals from this partner still open",
    Column.NEXT_TOUCH: "When the next outreach touch is due, by the partner's cadence",
}
SORT_KEYS: dict[Column, PartnerSort] = {
    Column.NAME: PartnerSort.NAME,
    Column.CATEGORY: PartnerSort.CATEGORY,
    Column.CITY: PartnerSort.CITY,
    Column.PHONE: PartnerSort.PHONE,
    Column.LAST_REFERRAL: PartnerSort.LAST_REFERRAL,
    Column.RECENT: PartnerSort.RECENT,
    Column.OPEN: PartnerSort.OPEN,
    Column.NEXT_TOUCH: PartnerSort.NEXT_TOUCH,
}
#: The titles and tips in column order, as ``RowsModel`` reads them.
_TITLES = tuple(HEADERS[column] for column in Column)
_TIPS = tuple(HEADER_TIPS.get(column) for column in Column)
#: Categories as short as a table column can hold; the full label is the cell's tooltip.
SHORT_CATEGORY: dict[PartnerCategory, str] = {
    PartnerCategory.PRIMARY_CARE: "Primary care",
    PartnerCategory.SPECIALTY: "Specialty",
    PartnerCategory.THERAPY: "PT / OT",
    PartnerCategory.BEHAVIORAL_HEALTH: "Behavioral health",
    PartnerCategory.HOME_HEALTH: "Home health",
    PartnerCategory.COMMUNITY: "Community",
    PartnerCategory.HOSPITAL: "Hospital",
    PartnerCategory.SELF_OTHER: "Self / other",
}
#: Matched to resources/style.qss: the error red for an overdue touch, muted grey for inactive partners.
OVERDUE_COLOR = QColor("#b42318")
INACTIVE_COLOR = QColor("#7b8794")

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_NUMBERS = (Column.RECENT, Column.OPEN)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _day(moment: datetime | None) -> str:
    return format_date(to_local(moment).date()) if moment is not None else ""


def touch_text(row: PartnerRow, now: datetime) -> str:
    """The next touch as the list shows it: a date, "Now" for a partner never touched, "" without a
    cadence."""
    if row.next_touch_due is None:
        return ""
    if row.last_touch_at is None:
        return "Now"
    return _day(row.next_touch_due)


def touch_tip(row: PartnerRow, now: datetime) -> str:
    if row.outreach_cadence is OutreachCadence.NONE:
        return "No outreach cadence set"
    cadence = row.outreach_cadence.label.lower()
    if row.last_touch_at is None:
        return f"Never touched: due now ({cadence} cadence)"
    due = row.next_touch_due
    late = due is not None and due <= now
    state = f"overdue since {_day(due)}" if late else f"due {_day(due)}"
    return f"Last touch {_day(row.last_touch_at)}; {state} ({cadence} cadence)"


def is_overdue(row: PartnerRow, now: datetime) -> bool:
    return row.next_touch_due is not None and row.next_touch_due <= now


class PartnerListModel(RowsModel[PartnerRow]):
    """Partner rows for a QTableView; ``set_filter`` reads them off the GUI thread.

    Signals:
        loading_changed(bool): a read started (True), or its rows arrived or it failed (False).
        count_changed(int): how many partners the filter lets through, once read.
        query_failed(str): a read failed; the text is for the user.
    """

    loading_changed = Signal(bool)
    count_changed = Signal(int)
    query_failed = Signal(str)

    HEADERS = _TITLES
    HEADER_TIPS = _TIPS

    def __init__(self, db: Database, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db, self._runner = db, runner
        self._filter = PartnerFilter()
        self._sort, self._descending = PartnerSort.NAME, False
        self._rows_by_id: dict[int, int] = {}
        self._generation = 0
        self._handle: TaskHandle | None = None
        self._loading = False
        self._started = False
        self._now = utc_now()
        self._bold = QFont()
        self._bold.setBold(True)

    # --- queries ------------------------------------------------------------------------------------

    @property
    def query_filter(self) -> PartnerFilter:
        return self._filter

    @property
    def loading(self) -> bool:
        return self._loading

    def set_filter(self, flt: PartnerFilter) -> None:
        """Show the partners ``flt`` lets through (read on the runner; the current rows stay meanwhile)."""
        self._filter, self._started = flt, True
        if self._handle is not None:
            self._handle.cancel()
        self._generation += 1
        generation = self._generation
        db, sort, descending = self._db, self._sort, self._descending
        self._set_loading(True)

        def read(context: TaskContext) -> list[PartnerRow]:
            context.check()  # overtaken while it waited for a thread: never start it
            rows = partners.list_partner_rows(
                db, flt, sort, descending=descending, should_stop=lambda: context.cancelled
            )
            context.check()
            return rows

        handle = self._runner.submit(
            read,
            on_done=lambda rows: self._arrived(generation, rows),
            on_error=lambda error: self._failed(generation, error),
        )
        self._handle = None if handle.finished else handle

    def refresh(self) -> None:
        """Read the current filter again (after edits elsewhere)."""
        if self._started:
            self.set_filter(self._filter)

    def refresh_row(self, partner_id: int) -> None:
        """Re-read one partner's row (after an edit in the detail); it keeps its place even if it no
        longer matches the filter, so the row being worked on never jumps away."""
        if partner_id not in self._rows_by_id:
            return
        db = self._db

        def read(_context: TaskContext) -> dict[int, PartnerRow]:
            return partners.partner_rows_by_id(db, [partner_id])

        self._runner.submit(
            read,
            on_done=lambda rows: self._row_arrived(partner_id, rows.get(partner_id)),
            on_error=lambda error: self.query_failed.emit(user_message(error)),
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Called by the view's header: re-order the rows in memory, keeping the selection on its row."""
        if not 0 <= column < len(Column):
            return
        self._sort = SORT_KEYS[Column(column)]
        self._descending = order == Qt.SortOrder.DescendingOrder
        ordered = partners.sort_rows(self._rows, self._sort, descending=self._descending)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[index.row()].id for index in persistent]
        self._set_rows(ordered)
        self.changePersistentIndexList(
            persistent,
            [
                self.index(self._rows_by_id[pid], index.column())
                for pid, index in zip(ids, persistent, strict=True)
            ],
        )
        self.layoutChanged.emit()

    def partner_id_at(self, row: int) -> int | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, partner_id: int) -> int | None:
        return self._rows_by_id.get(partner_id)

    def _set_rows(self, rows: list[PartnerRow]) -> None:
        self._rows = rows
        self._rows_by_id = {row.id: index for index, row in enumerate(rows)}

    def _arrived(self, generation: int, rows: list[PartnerRow]) -> None:
        if generation != self._generation:
            return
        self._handle = None
        self._now = utc_now()
        self.beginResetModel()
        self._set_rows(rows)
        self.endResetModel()
        self._set_loading(False)
        self.count_changed.emit(len(rows))

    def _row_arrived(self, partner_id: int, row: PartnerRow | None) -> None:
        index = self._rows_by_id.get(partner_id)
        if index is None or row is None:
            return
        self._rows[index] = row
        self._now = utc_now()
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(Column) - 1))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._handle = None
        self._set_loading(False)
        self.query_failed.emit(user_message(error))

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # --- Qt model -------------------------------------------------------------------------------------

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], Column(index.column())
        if role == _DISPLAY:
            return self._display(row, column)
        if role == ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return self._raw(row, column)
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        if role == _FOREGROUND:
            if column is Column.NEXT_TOUCH and row.active and is_overdue(row, self._now):
                return OVERDUE_COLOR
            return None if row.active else INACTIVE_COLOR
        if role == _FONT:
            overdue = column is Column.NEXT_TOUCH and row.active and is_overdue(row, self._now)
            return self._bold if overdue else None
        if role == _ALIGNMENT:
            return _RIGHT if column in _NUMBERS else None
        return None

    def _display(self, row: PartnerRow, column: Column) -> str:
        if column is Column.NAME:
            return row.name if row.active else f"{row.name} (inactive)"
        if column is Column.CATEGORY:
            return SHORT_CATEGORY.get(row.category, row.category.label)
        if column is Column.CITY:
            return row.city or ""
        if column is Column.PHONE:
            return row.phone or ""
        if column is Column.LAST_REFERRAL:
            return _day(row.last_referral_at) if row.last_referral_at is not None else "Never"
        if column is Column.RECENT:
            return str(row.recent_referrals)
        if column is Column.OPEN:
            return str(row.open_referrals)
        return touch_text(row, self._now)

    @staticmethod
    def _raw(row: PartnerRow, column: Column) -> Any:
        return {
            Column.NAME: row.name,
            Column.CATEGORY: row.category.value,
            Column.CITY: row.city,
            Column.PHONE: row.phone,
            Column.LAST_REFERRAL: row.last_referral_at,
            Column.RECENT: row.recent_referrals,
            Column.OPEN: row.open_referrals,
            Column.NEXT_TOUCH: row.next_touch_due,
        }[column]

    def _tooltip(self, row: PartnerRow, column: Column) -> str | None:
        if column is Column.CATEGORY:
            return row.category.label
        if column is Column.LAST_REFERRAL and row.last_referral_at is not None:
            days = (self._now - row.last_referral_at).days
            return "Today" if days <= 0 else f"{days} day{'s' if days != 1 else ''} ago"
        if column is Column.NEXT_TOUCH:
            return touch_tip(row, self._now)
        if column is Column.NAME and not row.active:
            return "Marked inactive: not offered for new referrals"
        return None
