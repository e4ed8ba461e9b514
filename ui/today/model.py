"""The Today worklist as a two-level item model: the sections are the top rows, their lines the children.

The worklist is small (seven sections of at most a page of lines each), so the model holds it whole and is
replaced at once on each refresh; nothing here reads the database. Every text a cell shows is worked out
once by ``prepare`` (pure Python, so the view runs it on the worker thread with the query), and ``data``
only looks it up: a tree asks for a dozen roles of every visible cell on each paint.

Section rows have no item flags: Up and Down in a tree view skip them, so the keyboard moves from the
last line of one section straight to the first line of the next (the view's delegate paints a non-empty
section's heading with the normal text colour).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from refdesk.domain.vocab import Urgency
from refdesk.services.today import Worklist
from ui.today import lines

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
#: internalId of a section row; a line's internalId is its section's row + 1.
_SECTION_ID = 0
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_LINE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class Column(IntEnum):
    REFERRAL = 0
    URGENCY = 1
    WHEN = 2


HEADERS: dict[Column, str] = {Column.REFERRAL: "Referral", Column.URGENCY: "Urgency", Column.WHEN: "When"}
_COLUMNS = len(Column)


class Role(IntEnum):
    #: The referral id of a line (None on a section row).
    REFERRAL_ID = Qt.ItemDataRole.UserRole + 1
    #: The section key, on section rows and on lines.
    SECTION_KEY = Qt.ItemDataRole.UserRole + 2
    #: The section's total on a section row.
    TOTAL = Qt.ItemDataRole.UserRole + 3
    #: The urgency value ("routine", "urgent", "stat") on a line.
    URGENCY = Qt.ItemDataRole.UserRole + 4


# plain ints: ``data`` compares against them for every cell painted
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_REFERRAL_ID, _SECTION_KEY, _TOTAL, _URGENCY = (int(role) for role in Role)


@dataclass(frozen=True, slots=True)
class Line:
    """What one line shows, per column."""

    referral_id: int
    urgency: str
    display: tuple[str, str, str]
    accessible: tuple[str, str, str]
    when_tooltip: str | None


@dataclass(frozen=True, slots=True)
class Heading:
    key: str
    text: str
    hint: str
    total: int
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A worklist with every text its tree shows; built off the GUI thread (no Qt objects inside)."""

    worklist: Worklist
    headings: tuple[Heading, ...]


def prepare(worklist: Worklist) -> Prepared:
    now = worklist.now
    headings = []
    for section in worklist.sections:
        section_lines = []
        for row in section.rows:
            when = lines.when_text(section, row, now)
            urgency = lines.urgency_text(row)
            section_lines.append(
                Line(
                    referral_id=row.id,
                    urgency=row.urgency.value,
                    display=(lines.referral_text(row), urgency, when),
                    accessible=(lines.referral_accessible(row), urgency, when.replace("\n", ", ")),
                    when_tooltip=lines.when_tooltip(section, row, now) or None,
                )
            )
        text = lines.heading(section)
        headings.append(Heading(section.key, text, section.hint, section.total, tuple(section_lines)))
    return Prepared(worklist, tuple(headings))


class TodayModel(QAbstractItemModel):
    """Sections and their lines; ``set_worklist`` replaces everything (a model reset). No own signals."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headings: tuple[Heading, ...] = ()
        self._bold = QFont()
        self._bold.setBold(True)
        self._quiet = QFont()
        self._quiet.setItalic(True)

    # --- the worklist -------------------------------------------------------------------------------

    def set_worklist(self, worklist: Worklist | Prepared) -> None:
        prepared = worklist if isinstance(worklist, Prepared) else prepare(worklist)
        self.beginResetModel()
        self._headings = prepared.headings
        self.endResetModel()

    def is_section(self, index: AnyIndex) -> bool:
        return index.isValid() and index.internalId() == _SECTION_ID

    def referral_id(self, index: AnyIndex) -> int | None:
        line = self._line(index)
        return line.referral_id if line else None

    def section_key(self, index: AnyIndex) -> str | None:
        if not index.isValid():
            return None
        row = index.row() if index.internalId() == _SECTION_ID else index.internalId() - 1
        return self._headings[row].key

    def section_index(self, key: str) -> QModelIndex:
        for row, heading in enumerate(self._headings):
            if heading.key == key:
                return self.createIndex(row, 0, _SECTION_ID)
        return QModelIndex()

    def find(self, referral_id: int, key: str | None = None) -> QModelIndex:
        """The line of ``referral_id`` (in section ``key`` when given); invalid when it is not listed."""
        for row, heading in enumerate(self._headings):
            if key is not None and heading.key != key:
                continue
            for line_row, line in enumerate(heading.lines):
                if line.referral_id == referral_id:
                    return self.createIndex(line_row, 0, row + 1)
        return QModelIndex()

    def first_line(self) -> QModelIndex:
        for row, heading in enumerate(self._headings):
            if heading.lines:
                return self.createIndex(0, 0, row + 1)
        return QModelIndex()

    def _line(self, index: AnyIndex) -> Line | None:
        if not index.isValid() or index.internalId() == _SECTION_ID:
            return None
        return self._headings[index.internalId() - 1].lines[index.row()]

    # --- QAbstractItemModel -------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = _ROOT) -> QModelIndex:
        # bounds checked here rather than with hasIndex(), which would call back into rowCount()
        if row < 0 or not 0 <= column < _COLUMNS:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _SECTION_ID) if row < len(self._headings) else QModelIndex()
        if parent.internalId() != _SECTION_ID or parent.column() != 0:
            return QModelIndex()
        if row >= len(self._headings[parent.row()].lines):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: AnyIndex = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == _SECTION_ID:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, _SECTION_ID)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        if not parent.isValid():
            return len(self._headings)
        if parent.internalId() == _SECTION_ID and parent.column() == 0:
            return len(self._headings[parent.row()].lines)
        return 0

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return _COLUMNS

    def hasChildren(self, parent: AnyIndex = _ROOT) -> bool:
        return self.rowCount(parent) > 0

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        # called for every row on each layout: constants, no enum arithmetic per call
        if not index.isValid() or index.internalId() == _SECTION_ID:
            return _NO_FLAGS
        return _LINE_FLAGS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and 0 <= section < _COLUMNS
        if horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        role, column, internal = int(role), index.column(), index.internalId()
        if internal == _SECTION_ID:
            return self._heading_data(self._headings[index.row()], column, role)
        line = self._headings[internal - 1].lines[index.row()]
        if role == _DISPLAY:
            return line.display[column]
        if role == _ACCESSIBLE:
            return line.accessible[column]
        if role == _REFERRAL_ID:
            return line.referral_id
        if role == _URGENCY:
            return line.urgency
        if role == _SECTION_KEY:
            return self._headings[internal - 1].key
        if role == _FONT and column == Column.URGENCY and line.urgency != Urgency.ROUTINE.value:
            return self._bold
        if role == _TOOLTIP and column == Column.WHEN:
            return line.when_tooltip
        return None

    def _heading_data(self, heading: Heading, column: int, role: int) -> Any:
        if role == _SECTION_KEY:
            return heading.key
        if role == _TOTAL:
            return heading.total
        if column != Column.REFERRAL:
            return None
        if role in (_DISPLAY, _ACCESSIBLE):
            return heading.text
        if role == _TOOLTIP:
            return heading.hint
        if role == _FONT:
            return self._bold if heading.total else self._quiet
        return None
