"""The audit log as a table that loads itself a page at a time as it is scrolled.

The log grows by a few hundred rows a day and reaches millions; the model never asks for all of it. It
holds the rows shown so far (plain ``AuditEntry`` values) and, when the view scrolls near the end
(``canFetchMore``/``fetchMore``), asks ``audit_log.page`` for the next page older than the last row, on
a worker. A new filter drops the rows and any page still on its way (a late page of the old filter never
lands in the new list).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from refdesk.services import audit_log
from refdesk.services.audit_log import AuditEntry, AuditFilter
from refdesk.storage import Database
from ui.errors import user_message
from ui.tasks import TaskHandle, TaskRunner
from ui.widgets.dates import format_date
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_FAILED = QBrush(QColor("#b42318"))

WHEN, STAFF, WHAT, RECORD, RESULT, DETAIL = range(6)


def moment_text(moment: datetime) -> str:
    """``11/23/2026 8:15:02 AM`` in this computer's time: the audit log keeps seconds."""
    local = moment.astimezone() if moment.tzinfo is not None else moment
    hour = local.hour % 12 or 12
    half = "PM" if local.hour >= 12 else "AM"
    return f"{format_date(local.date())} {hour}:{local.minute:02d}:{local.second:02d} {half}"


class AuditModel(QAbstractTableModel):
    """Rows of the audit log, newest first, loaded page by page.

    ``ID_ROLE`` is the row's audit id, ``ROW_ROLE`` the ``AuditEntry``, ``SORT_ROLE`` the raw value.

    Signals:
        loading_changed(bool): a page started (True) or finished (False) loading.
        failed(str): a page could not be read (plain words).
    """

    HEADERS: ClassVar[tuple[str, ...]] = ("When", "Staff", "What", "Record", "Result", "Detail")

    loading_changed = Signal(bool)
    failed = Signal(str)

    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        *,
        page_size: int = audit_log.PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._runner, self._page_size = db, runner, page_size
        self._rows: list[AuditEntry] = []
        self._filter: AuditFilter | None = None
        self._exhausted = True
        self._loading = False
        self._generation = 0
        self._handle: TaskHandle | None = None

    # --- loading --------------------------------------------------------------------------------------

    @property
    def filter(self) -> AuditFilter | None:
        return self._filter

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        """True once the last (oldest) row matching the filter is loaded."""
        return self._exhausted

    def set_filter(self, f: AuditFilter) -> None:
        """Show the rows ``f`` matches, from the newest; what was shown or loading is dropped."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._filter = f
        self._exhausted = False
        self.endResetModel()
        self._set_loading(False)
        self._fetch()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._filter is not None and not self._exhausted and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._fetch()

    def _fetch(self) -> None:
        f = self._filter
        if f is None:
            return
        db, limit = self._db, self._page_size
        before = self._rows[-1].id if self._rows else None
        generation = self._generation
        self._set_loading(True)
        self._handle = self._runner.submit(
            lambda _context: audit_log.page(db, f, before_id=before, limit=limit),
            on_done=lambda entries: self._arrived(generation, entries),
            on_error=lambda error: self._page_failed(generation, error),
            owner=self,
        )

    def _arrived(self, generation: int, entries: list[AuditEntry]) -> None:
        if generation != self._generation:
            return
        self._handle = None
        if entries:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
            self._rows.extend(entries)
            self.endInsertRows()
        if len(entries) < self._page_size:
            self._exhausted = True
        self._set_loading(False)

    def _page_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._handle = None
        self._exhausted = True  # no retry loop on a failing read; a new filter tries again
        self._set_loading(False)
        self.failed.emit(user_message(error))

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # --- the table ------------------------------------------------------------------------------------

    def entry(self, row: int) -> AuditEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def entries(self) -> tuple[AuditEntry, ...]:
        return tuple(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        column = index.column()
        if role == ID_ROLE:
            return entry.id
        if role == ROW_ROLE:
            return entry
        if role == SORT_ROLE:
            return (
                entry.at,
                entry.staff_name,
                entry.action,
                entry.record_label,
                entry.success,
                entry.detail_text,
            )[column]
        if role == _DISPLAY:
            return _text(entry, column)
        if role == _TOOLTIP and column in (WHAT, DETAIL):
            return entry.action if column == WHAT else (entry.detail_text or None)
        if role == _FOREGROUND and not entry.success:
            return _FAILED
        return None


def _text(entry: AuditEntry, column: int) -> str:
    if column == WHEN:
        return moment_text(entry.at)
    if column == STAFF:
        return entry.staff_name or "(nobody signed in)"
    if column == WHAT:
        return entry.action_label
    if column == RECORD:
        return entry.record_label
    if column == RESULT:
        return "Done" if entry.success else "Failed"
    return entry.detail_text
