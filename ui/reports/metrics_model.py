"""The figures as a table: one row for the chosen partners together, then one per partner.

A report holds at most a few thousand partners, so the rows live in a list and sort in Python; the total
row stays on top whatever the sort, and an empty figure ("—": nothing to measure) sorts last both ways,
so sorting by "first contact on time" puts the worst measured partners first, not the silent ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from refdesk.services.metrics import Figures, Funnel, Report, Timing, change
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE, RowsModel

# Roles (ui.widgets.tables): SORT_ROLE the raw value behind a cell (int, float, str or None: "nothing to
# measure"); ID_ROLE the row's partner id (None on the total row); ROW_ROLE the row's ``MetricsRow``.
EMPTY = "—"
UP_COLOR = QColor("#1e6b3a")
DOWN_COLOR = QColor("#b42318")

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_INITIAL_SORT = int(Qt.ItemDataRole.InitialSortOrderRole)
#: Appended to the sorted column's header (ascending, descending). The header's own sort arrow is off:
#: the global style sheet pads header text so that the arrow would sit on the last letters.
SORT_MARKS = (" ▲", " ▼")


class Column(IntEnum):
    PARTNER = 0
    RECEIVED = 1
    CHANGE = 2
    ACK_MEDIAN = 3
    ACK_ON_TIME = 4
    CONTACT_MEDIAN = 5
    CONTACT_ON_TIME = 6
    REACHED = 7
    SCHEDULED = 8
    COMPLETED = 9
    DAYS_TO_VISIT = 10
    NO_SHOW = 11
    RESCHEDULED = 12


HEADERS: dict[Column, str] = {
    Column.PARTNER: "Partner",
    Column.RECEIVED: "Received",
    Column.CHANGE: "Change",
    Column.ACK_MEDIAN: "Ack.\nmedian",
    Column.ACK_ON_TIME: "Ack.\non time",
    Column.CONTACT_MEDIAN: "First\ncontact\nmedian",
    Column.CONTACT_ON_TIME: "First\ncontact\non time",
    Column.REACHED: "Reached",
    Column.SCHEDULED: "Scheduled",
    Column.COMPLETED: "Completed",
    Column.DAYS_TO_VISIT: "Days to\nvisit",
    Column.NO_SHOW: "No-show",
    Column.RESCHEDULED: "Resched.",
}
HEADER_TIPS: dict[Column, str] = {
    Column.RECEIVED: "Referrals received in the period",
    Column.CHANGE: "Referrals received, against the same number of days just before the period",
    Column.ACK_MEDIAN: "Median clock hours from receipt to acknowledging the referral",
    Column.ACK_ON_TIME: "Share of acknowledged referrals acknowledged within the service line's target",
    Column.CONTACT_MEDIAN: "Median clock hours from receipt to the first attempt to contact the patient",
    Column.CONTACT_ON_TIME: "Share of first contact attempts made within the service line's target",
    Column.REACHED: "Share of referrals received whose patient was reached",
    Column.SCHEDULED: "Share of referrals received that got an appointment",
    Column.COMPLETED: "Share of referrals received whose first visit took place",
    Column.DAYS_TO_VISIT: "Median calendar days from receipt to the first appointment booked",
    Column.NO_SHOW: "Share of scheduled referrals with at least one missed appointment",
    Column.RESCHEDULED: "Share of scheduled referrals whose appointment was moved at least once",
}
_COLUMNS = tuple(Column)
#: The titles in column order, as ``RowsModel`` reads them (``headerData`` adds the sort mark).
_TITLES = tuple(HEADERS[column] for column in _COLUMNS)


@dataclass(frozen=True, slots=True)
class MetricsRow:
    """One line of the table: a partner (``partner_id``) or the chosen partners together (None)."""

    name: str
    partner_id: int | None
    current: Figures
    previous: Figures

    @property
    def is_total(self) -> bool:
        return self.partner_id is None


def total_name(report: Report, all_partners: bool) -> str:
    """The total row's name: what "the program" means for this selection."""
    if all_partners:
        return "All partners"
    count = len(report.partners)
    return f"Chosen partners ({count})" if count != 1 else "Chosen partner"


def rows_of(report: Report, *, all_partners: bool) -> list[MetricsRow]:
    """The total row, then the partners in the report's order."""
    total = MetricsRow(total_name(report, all_partners), None, report.program, report.program_previous)
    return [total] + [
        MetricsRow(p.partner_name, p.partner_id, p.current, p.previous) for p in report.partners
    ]


# --- values and their text ------------------------------------------------------------------------------


def _share(row: MetricsRow, stage: Callable[[Funnel], int]) -> float | None:
    funnel = row.current.funnel
    return funnel.share(stage(funnel))


_VALUES: dict[Column, Callable[[MetricsRow], Any]] = {
    Column.PARTNER: lambda row: row.name,
    Column.RECEIVED: lambda row: row.current.received,
    Column.CHANGE: lambda row: change(row.current.received, row.previous.received),
    Column.ACK_MEDIAN: lambda row: row.current.acknowledgement.median_hours,
    Column.ACK_ON_TIME: lambda row: row.current.acknowledgement.within_target,
    Column.CONTACT_MEDIAN: lambda row: row.current.first_contact.median_hours,
    Column.CONTACT_ON_TIME: lambda row: row.current.first_contact.within_target,
    Column.REACHED: lambda row: _share(row, lambda funnel: funnel.reached),
    Column.SCHEDULED: lambda row: _share(row, lambda funnel: funnel.scheduled),
    Column.COMPLETED: lambda row: _share(row, lambda funnel: funnel.completed),
    Column.DAYS_TO_VISIT: lambda row: row.current.median_days_to_appointment,
    Column.NO_SHOW: lambda row: row.current.no_show_rate,
    Column.RESCHEDULED: lambda row: row.current.reschedule_rate,
}


def value(row: MetricsRow, column: Column) -> Any:
    """The raw value of a cell: what sorting and SORT_ROLE use."""
    return _VALUES[column](row)


def hours_text(hours: float | None) -> str:
    if hours is None:
        return EMPTY
    return f"{hours:.1f} h" if hours < 10 else f"{hours:,.0f} h"


def share_text(share: float | None) -> str:
    return EMPTY if share is None else f"{share:.0%}"


def change_text(current: int, previous: int) -> str:
    """``+25%``, ``−10%`` (a real minus), ``new`` when nothing came before, ``—`` when nothing either time."""
    if previous == 0:
        return "new" if current else EMPTY
    relative = change(current, previous)
    assert relative is not None
    if abs(relative) < 0.005:
        return "0%"  # not "+0%": nothing moved
    text = f"{relative:+.0%}"
    return text.replace("-", "\N{MINUS SIGN}")


def display(row: MetricsRow, column: Column) -> str:
    raw = value(row, column)
    if column is Column.PARTNER:
        return row.name
    if column is Column.RECEIVED:
        return f"{raw:,}"
    if column is Column.CHANGE:
        return change_text(row.current.received, row.previous.received)
    if column in (Column.ACK_MEDIAN, Column.CONTACT_MEDIAN):
        return hours_text(raw)
    if column is Column.DAYS_TO_VISIT:
        return EMPTY if raw is None else f"{raw:.1f} d"
    return share_text(raw)


def _timing_tip(timing: Timing, done: str, pending: str) -> str:
    if not timing.measured:
        text = f"None {done} yet."
    else:
        p90 = f", 90th percentile {hours_text(timing.p90_hours)}" if timing.p90_hours is not None else ""
        text = f"Median {hours_text(timing.median_hours)}{p90}, over {timing.measured:,} {done}."
    if timing.pending:
        text += f" {timing.pending:,} {pending}."
    return text


def _on_time_tip(timing: Timing, done: str) -> str:
    if timing.within_target is None:
        return f"None {done} yet."
    on_time = round(timing.within_target * timing.measured)
    return f"{on_time:,} of {timing.measured:,} {done} within the target."


def tooltip(row: MetricsRow, column: Column) -> str | None:
    figures, funnel = row.current, row.current.funnel
    stage = {
        Column.REACHED: funnel.reached,
        Column.SCHEDULED: funnel.scheduled,
        Column.COMPLETED: funnel.completed,
    }
    if column is Column.PARTNER:
        return row.name
    if column in (Column.RECEIVED, Column.CHANGE):
        return f"{figures.received:,} received; {row.previous.received:,} in the period before."
    if column is Column.ACK_MEDIAN:
        return _timing_tip(figures.acknowledgement, "acknowledged", "not acknowledged yet")
    if column is Column.ACK_ON_TIME:
        return _on_time_tip(figures.acknowledgement, "acknowledged")
    if column is Column.CONTACT_MEDIAN:
        return _timing_tip(figures.first_contact, "with a contact attempt", "never attempted yet")
    if column is Column.CONTACT_ON_TIME:
        return _on_time_tip(figures.first_contact, "first attempts")
    if column in stage:
        verb = {Column.REACHED: "reached", Column.SCHEDULED: "scheduled", Column.COMPLETED: "seen"}[column]
        return f"{stage[column]:,} of {funnel.received:,} received were {verb}."
    return HEADER_TIPS.get(column)


# --- the model --------------------------------------------------------------------------------------------


class MetricsModel(RowsModel[MetricsRow]):
    """The report's rows for a QTableView (sorting enabled: the view calls ``sort``).

    Roles: display text; ``SORT_ROLE`` the raw value (None when there is nothing to measure);
    ``ID_ROLE``; ``ROW_ROLE`` the ``MetricsRow``; a tooltip per cell; the total row in bold;
    the change in green or red. No signals beyond QAbstractTableModel's.
    """

    HEADERS = _TITLES

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._report: Report | None = None
        self._sort: tuple[Column, Qt.SortOrder] | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    @property
    def report(self) -> Report | None:
        return self._report

    def set_report(self, report: Report | None, *, all_partners: bool = True) -> None:
        """Show ``report`` (None: nothing), in the sort the user chose last."""
        self.beginResetModel()
        self._report = report
        self._rows = rows_of(report, all_partners=all_partners) if report is not None else []
        if self._sort is not None:
            self._rows = self._sorted(*self._sort)
        self.endResetModel()

    def row_of(self, partner_id: int | None) -> int | None:
        """The row of ``partner_id`` (None: the total row)."""
        for number, row in enumerate(self._rows):
            if row.partner_id == partner_id:
                return number
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_COLUMNS):
            return None
        column = _COLUMNS[section]
        if role == _DISPLAY:
            if self._sort is not None and self._sort[0] is column:
                return HEADERS[column] + (SORT_MARKS[self._sort[1] == Qt.SortOrder.DescendingOrder])
            return HEADERS[column]
        if role == _TOOLTIP:
            return HEADER_TIPS.get(column, "Partner name")
        if role == _ALIGNMENT:
            return _LEFT if column is Column.PARTNER else _RIGHT
        if role == _INITIAL_SORT:
            # A first click on a figure shows the largest first; on the names, A to Z.
            ascending = column is Column.PARTNER
            return Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(_COLUMNS):
            return None
        row, column = self._rows[index.row()], _COLUMNS[index.column()]
        if role in (_DISPLAY, _ACCESSIBLE):
            return display(row, column)
        if role == SORT_ROLE:
            return value(row, column)
        if role == ID_ROLE:
            return row.partner_id
        if role == ROW_ROLE:
            return row
        if role == _TOOLTIP:
            return tooltip(row, column)
        if role == _ALIGNMENT:
            return _RIGHT if column is not Column.PARTNER else None
        if role == _FONT:
            return self._bold if row.is_total else None
        if role == _FOREGROUND and column is Column.CHANGE:
            relative = value(row, column)
            if relative is None or abs(relative) < 0.005:
                return None
            return UP_COLOR if relative > 0 else DOWN_COLOR
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(_COLUMNS):
            return
        previous, self._sort = self._sort, (_COLUMNS[column], order)
        self.layoutAboutToBeChanged.emit()
        old = list(self._rows)
        self._rows = self._sorted(*self._sort)
        new_rows = {id(row): number for number, row in enumerate(self._rows)}
        moves = {number: new_rows[id(row)] for number, row in enumerate(old)}
        for index in self.persistentIndexList():
            target = moves.get(index.row(), index.row())
            self.changePersistentIndex(index, self.index(target, index.column()))
        self.layoutChanged.emit()
        changed = [column] + ([previous[0]] if previous is not None else [])
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, min(changed), max(changed))

    @property
    def sort_order(self) -> tuple[Column, Qt.SortOrder] | None:
        """The column and order the rows are sorted by (None: the report's own order)."""
        return self._sort

    def _sorted(self, column: Column, order: Qt.SortOrder) -> list[MetricsRow]:
        """Total first; then the partners by the column's raw value, empty values last either way, ties
        by name."""
        totals = [row for row in self._rows if row.is_total]
        partners = [row for row in self._rows if not row.is_total]
        descending = order == Qt.SortOrder.DescendingOrder
        by_name = sorted(partners, key=lambda row: row.name.casefold())
        if column is Column.PARTNER:
            return totals + (by_name[::-1] if descending else by_name)
        measured = [row for row in by_name if value(row, column) is not None]
        empty = [row for row in by_name if value(row, column) is None]
        measured.sort(key=lambda row: value(row, column), reverse=descending)  # stable: name order kept
        return totals + measured + empty
