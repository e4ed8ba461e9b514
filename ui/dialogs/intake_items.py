"""The items table of Settings → Intake scripts: the script being edited, as a list held whole."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QWidget,
)

from refdesk.services.intake import ItemDraft

_Index = QModelIndex | QPersistentModelIndex
#: The role that returns the row's ItemDraft (a copy).
DRAFT_ROLE = Qt.ItemDataRole.UserRole + 1


class ScriptItemsModel(QAbstractTableModel):
    """The items of the script being edited, in order: a small fixed list held whole.

    Columns: ``Item`` (the wording, on one line; the whole of it as tooltip), ``Answer`` (kind and
    choices), ``Required``, ``Blocks scheduling``, ``Status`` ("New", "Edited" or empty, against the
    version loaded). The item's number is the vertical header's (it is the row's position, not data
    of the item). Roles: display text, ``DRAFT_ROLE`` for the row's ItemDraft.
    """

    PROMPT, KIND, REQUIRED, BLOCKS, STATUS = range(5)
    HEADERS = ("Item", "Answer", "Required", "Blocks scheduling", "Status")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[ItemDraft] = []
        self._saved: dict[str, ItemDraft] = {}
        self._saved_order: list[ItemDraft] = []

    # -- Qt --------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == DRAFT_ROLE:
            return replace(item, choices=list(item.choices))
        if role == Qt.ItemDataRole.ToolTipRole and column == self.PROMPT:
            return item.prompt
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == self.PROMPT:
            return item.prompt
        if column == self.KIND:
            return f"{item.kind.label}: {', '.join(item.choices)}" if item.choices else item.kind.label
        if column == self.REQUIRED:
            return "Yes" if item.required else ""
        if column == self.BLOCKS:
            return "Yes" if item.blocks_scheduling else ""
        if column == self.STATUS:
            return self.status(index.row())
        return None

    # -- the list --------------------------------------------------------------------------------

    def set_items(self, items: list[ItemDraft]) -> None:
        """Show a script as saved: the base that "New", "Edited" and ``changed()`` compare with."""
        self.beginResetModel()
        self._items = [replace(item, choices=list(item.choices)) for item in items]
        self._saved_order = [replace(item, choices=list(item.choices)) for item in items]
        self._saved = {item.key: item for item in self._saved_order if item.key is not None}
        self.endResetModel()

    def items(self) -> list[ItemDraft]:
        """Copies of the items in order, as ``save_script`` takes them."""
        return [replace(item, choices=list(item.choices)) for item in self._items]

    def changed(self) -> bool:
        """Whether the list differs from the version loaded (added, edited, moved or retired)."""
        return self._items != self._saved_order

    def status(self, row: int) -> str:
        item = self._items[row]
        if item.key is None or item.key not in self._saved:
            return "New"
        return "Edited" if item != self._saved[item.key] else ""

    def draft(self, row: int) -> ItemDraft:
        item = self._items[row]
        return replace(item, choices=list(item.choices))

    def set_draft(self, row: int, draft: ItemDraft) -> None:
        self._items[row] = replace(draft, choices=list(draft.choices))
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def insert(self, row: int, draft: ItemDraft) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.insert(row, replace(draft, choices=list(draft.choices)))
        self.endInsertRows()

    def remove(self, row: int) -> ItemDraft:
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._items.pop(row)
        self.endRemoveRows()
        return removed

    def move(self, row: int, delta: int) -> int:
        """Move the item at ``row`` by ``delta`` (±1); returns its new row (unchanged at either end)."""
        target = row + delta
        if not (0 <= row < len(self._items) and 0 <= target < len(self._items)) or delta not in (-1, 1):
            return row
        # beginMoveRows takes the row *before which* the moved row lands, in the old numbering
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target + 1 if delta > 0 else target)
        self._items.insert(target, self._items.pop(row))
        self.endMoveRows()
        return target
