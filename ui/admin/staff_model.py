"""The staff list as a table: one row per account, active or not, from ``accounts.staff_accounts``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from refdesk.domain.times import utc_now
from refdesk.services.accounts import StaffAccount
from ui.widgets.dates import format_datetime, format_time
from ui.widgets.tables import ID_ROLE, ROW_ROLE, SORT_ROLE, RowsModel

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)

NAME, USERNAME, ROLE, ACTIVE, LOCKED, LAST_SIGN_IN = range(6)


class StaffModel(RowsModel[StaffAccount]):
    """Accounts by name. ``ID_ROLE`` is the staff id, ``ROW_ROLE`` the ``StaffAccount``, ``SORT_ROLE``
    the raw value (the role's value, booleans, the moments). No signals beyond the table model's."""

    HEADERS: ClassVar[tuple[str, ...]] = ("Name", "User name", "Role", "Active", "Locked", "Last sign-in")
    HEADER_TIPS: ClassVar[tuple[str | None, ...]] = (
        None,
        "What they type to sign in",
        "Front desk, coordinator or administrator: what they may do",
        "A disabled account cannot sign in; its history stays",
        "Locked for a while after repeated wrong passwords (a password reset ends it)",
        None,
    )

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(parent)
        self._clock = clock

    def row_of(self, staff_id: int) -> int | None:
        """The row showing account ``staff_id``, if listed."""
        for row, account in enumerate(self.rows()):
            if account.staff_id == staff_id:
                return row
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        account = self.row_at(index.row()) if index.isValid() else None
        if account is None:
            return None
        if role == ID_ROLE:
            return account.staff_id
        if role == ROW_ROLE:
            return account
        column = index.column()
        if role == SORT_ROLE:
            return _raw(account, column)
        if role == _DISPLAY:
            return self._text(account, column)
        if role == _TOOLTIP and column == ACTIVE and account.active and account.must_change_password:
            return "Signs in with the temporary password an administrator gave, then chooses their own."
        return None

    def _text(self, account: StaffAccount, column: int) -> str:
        if column == NAME:
            return account.full_name
        if column == USERNAME:
            return account.username
        if column == ROLE:
            return account.role.label
        if column == ACTIVE:
            if not account.active:
                return "Disabled"
            if not account.has_password:
                return "Yes (no password yet)"
            return "Yes (new password pending)" if account.must_change_password else "Yes"
        if column == LOCKED:
            if account.locked_until is None or not account.locked(self._clock()):
                return ""
            return f"Until {format_time(_local(account.locked_until).time())}"
        if column == LAST_SIGN_IN:
            return "Never" if account.last_sign_in_at is None else format_datetime(account.last_sign_in_at)
        return ""


def _raw(account: StaffAccount, column: int) -> object:
    return (
        account.full_name,
        account.username,
        account.role.value,
        account.active,
        account.locked_until,
        account.last_sign_in_at,
    )[column]


def _local(moment: datetime) -> datetime:
    return moment.astimezone() if moment.tzinfo is not None else moment
