"""The backups in the backup folder as a table: when, how old, how big, and what each holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from refdesk.storage.backup import BackupInfo
from ui.backups import words
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE, RowsModel

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

TAKEN, AGE, SIZE, REFERRALS, PARTNERS = range(5)


class BackupsModel(RowsModel[BackupInfo]):
    """Backups, newest first. ``ID_ROLE`` is the file's path (as text), ``ROW_ROLE`` the ``BackupInfo``,
    ``SORT_ROLE`` the raw value. No signals beyond the table model's."""

    HEADERS: ClassVar[tuple[str, ...]] = ("Taken", "Age", "Size", "Referrals", "Partners")
    HEADER_TIPS: ClassVar[tuple[str | None, ...]] = (
        "When the backup was made (this computer's clock)",
        None,
        None,
        "Referrals in the backup",
        "Partner practices in the backup",
    )

    def __init__(
        self, parent: QObject | None = None, *, clock: Callable[[], datetime] = datetime.now
    ) -> None:
        super().__init__(parent)
        self._clock = clock

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        info = self.row_at(index.row()) if index.isValid() else None
        if info is None:
            return None
        column = index.column()
        if role == ID_ROLE:
            return str(info.path)
        if role == ROW_ROLE:
            return info
        if role == SORT_ROLE:
            return (info.taken_at, info.taken_at, info.size, info.referrals, info.partners)[column]
        if role == _DISPLAY:
            return self._text(info, column)
        if role == _TOOLTIP and column == TAKEN:
            return str(info.path)
        if role == _ALIGNMENT and column in (SIZE, REFERRALS, PARTNERS):
            return _RIGHT
        return None

    def _text(self, info: BackupInfo, column: int) -> str:
        if column == TAKEN:
            return words.when(info.taken_at)
        if column == AGE:
            return words.age(info.taken_at, self._clock())
        if column == SIZE:
            return words.size_text(info.size)
        count = info.referrals if column == REFERRALS else info.partners
        return "?" if count is None else f"{count:,}"
