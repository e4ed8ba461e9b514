"""The service lines as a table (Settings → Service lines): every line, retired ones too, by name.

A clinic has a handful to a few dozen lines, so rows are held whole (``RowsModel``); an edit replaces
one row in place (``put``), so the selection and the editor beside the table stay where they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from refdesk.services.service_lines import LineRecord
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE, RowsModel

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_NUMBER_ALIGN = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

NAME, ACK, FIRST_CONTACT, ATTEMPTS, STATUS = range(5)


class ServiceLinesModel(RowsModel[LineRecord]):
    """Name, the three targets and Active/Retired. ``ID_ROLE`` is the line's id, ``ROW_ROLE`` its
    ``LineRecord``, ``SORT_ROLE`` the raw value (hours and attempts as numbers, active as a bool).
    No signals beyond the table model's."""

    HEADERS: ClassVar[tuple[str, ...]] = (
        "Service line",
        "Acknowledge",
        "First contact",
        "Attempts",
        "Status",
    )
    HEADER_TIPS: ClassVar[tuple[str | None, ...]] = (
        None,
        "Acknowledge the referral within this many business hours of receiving it",
        "First contact attempt with the patient within this many business hours of receiving it",
        "After this many attempts without reaching the patient, closing is offered",
        "A retired line is no longer offered for new referrals; its referrals keep it",
    )

    def set_rows(self, rows: Iterable[LineRecord]) -> None:
        """Show ``rows``, by name ignoring case (as ``put`` places a line)."""
        super().set_rows(sorted(rows, key=_order))

    def row_of(self, line_id: int) -> int | None:
        """The row showing line ``line_id``, if listed."""
        return next((row for row, line in enumerate(self.rows()) if line.id == line_id), None)

    def put(self, line: LineRecord) -> int:
        """Show ``line`` as saved: its row is replaced (a new line is added at its place by name);
        returns its row."""
        row = self.row_of(line.id)
        if row is not None and _order(self._rows[row]) == _order(line):
            self._rows[row] = line
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
            return row
        if row is not None:  # renamed: it moves to its new place in the list
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
        place = next(
            (i for i, other in enumerate(self._rows) if _order(line) < _order(other)), len(self._rows)
        )
        self.beginInsertRows(QModelIndex(), place, place)
        self._rows.insert(place, line)
        self.endInsertRows()
        return place

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        line = self.row_at(index.row()) if index.isValid() else None
        if line is None:
            return None
        if role == ID_ROLE:
            return line.id
        if role == ROW_ROLE:
            return line
        column = index.column()
        if role == SORT_ROLE:
            return _raw(line, column)
        if role == _DISPLAY:
            return _text(line, column)
        if role == _ALIGN and column in (ACK, FIRST_CONTACT, ATTEMPTS):
            return _NUMBER_ALIGN
        return None


def _order(line: LineRecord) -> tuple[str, int]:
    return line.name.casefold(), line.id


def _raw(line: LineRecord, column: int) -> Any:
    return (
        line.name,
        line.ack_target_hours,
        line.first_contact_target_hours,
        line.max_attempts,
        line.active,
    )[column]


def _text(line: LineRecord, column: int) -> str:
    if column == NAME:
        return line.name
    if column == ACK:
        return str(line.ack_target_hours)
    if column == FIRST_CONTACT:
        return str(line.first_contact_target_hours)
    if column == ATTEMPTS:
        return str(line.max_attempts)
    return "Active" if line.active else "Retired"
