"""The records table of the referral detail: one referral's records as rows, their status words and
the tab's caption."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QTableView,
    QWidget,
)

from refdesk.domain.models import ReferralRecord
from refdesk.services import records as records_service
from ui.widgets.dates import format_date
from ui.widgets.tables import ID_ROLE, SORT_ROLE, RowsModel

if TYPE_CHECKING:
    pass


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FONT = int(Qt.ItemDataRole.FontRole)
HEADERS = ("Record", "Status", "Received", "Requested", "Chased")
NAME, STATUS, RECEIVED, REQUESTED, CHASED = range(len(HEADERS))


def status_text(record: ReferralRecord) -> str:
    """Where one record stands, in the words the desk uses."""
    if record.received_on is not None:
        return "Received"
    if record.chased_on is not None:
        return "Missing · chased"
    if record.requested_on is not None:
        return "Missing · requested"
    return "Missing · not requested"


def summary_text(records: list[ReferralRecord]) -> str:
    """The tab's caption: ``Records (2 missing)``, ``Records (all received)``."""
    if not records:
        return "Records (none listed)"
    missing = len(records_service.missing(records))
    return f"Records ({missing} missing)" if missing else "Records (all received)"


class RecordsModel(RowsModel[ReferralRecord]):
    """The records of one referral (a handful of rows, all in memory). Display text per column;
    ``SORT_ROLE`` gives the raw value (date or None, the name, the status text), ``ID_ROLE`` the
    record's id. Missing records show their status in bold."""

    HEADERS = HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def row_of(self, record_id: int) -> int | None:
        for row, record in enumerate(self._rows):
            if record.id == record_id:
                return row
        return None

    def _value(self, record: ReferralRecord, column: int) -> Any:
        if column == NAME:
            return record.name
        if column == STATUS:
            return status_text(record)
        if column == RECEIVED:
            return record.received_on
        if column == REQUESTED:
            return record.requested_on
        return record.chased_on

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        record = self.row_at(index.row()) if index.isValid() else None
        if record is None or not 0 <= index.column() < len(HEADERS):
            return None
        if role == ID_ROLE:
            return record.id
        value = self._value(record, index.column())
        if role == SORT_ROLE:
            return value
        if role == _DISPLAY:
            if isinstance(value, date):
                return format_date(value)
            return "—" if value is None else value
        if role == _FONT and index.column() == STATUS and record.received_on is None:
            return self._bold
        return None


class RecordsTable(QTableView):
    """The records table: whole rows selected, one at a time, and the desk's letter keys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordsTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(False)
        self.setWordWrap(False)

    def keyboardSearch(self, search: str) -> None:
        """Letters are commands here (R, Q, C, U), not a jump to a row starting with that letter."""
