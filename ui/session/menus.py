"""The signed-in person's entries in the main window's Settings menu: an administrator's Staff, Audit log,
Backups and Automatic lock (reliability promise 15: user and audit management is admin-only).

Only an administrator sees them; a front desk or coordinator account has no greyed-out entries to wonder
about (the services refuse them anyway). Each dialog's module is imported when its entry is chosen, so a
module missing from a build never stops RefDesk from starting.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QInputDialog, QMenu, QWidget

from refdesk.domain.vocab import StaffRole
from refdesk.services import security_settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.errors import show_error


def add_admin_entries(
    menu: QMenu,
    window: QWidget,
    db: Database,
    actor: Actor,
    *,
    idle_minutes_changed: Callable[[int], None],
) -> list[QAction]:
    """Add the administrator's entries to ``menu`` (nothing for other roles); returns them.

    ``idle_minutes_changed(minutes)``: called after an administrator saved new idle-lock minutes.
    """
    if actor.role is not StaffRole.ADMIN:
        return []

    def open_staff() -> None:
        from ui.admin.staff import StaffDialog

        _open(StaffDialog(db, actor, window))

    def open_audit() -> None:
        from ui.admin.audit_viewer import AuditDialog

        _open(AuditDialog(db, actor, window))

    def open_backups() -> None:
        from ui.backups.page import BackupsDialog

        _open(BackupsDialog(db, actor, window))

    def edit_idle_lock() -> None:
        minutes = ask_idle_minutes(window, db, actor)
        if minutes is not None:
            idle_minutes_changed(minutes)

    menu.addSeparator()
    entries = [
        ("&Staff…", "settingsStaff", open_staff),
        ("&Audit log…", "settingsAudit", open_audit),
        ("&Backups…", "settingsBackups", open_backups),
        ("Automatic loc&k…", "settingsIdleLock", edit_idle_lock),
    ]
    actions: list[QAction] = []
    for text, name, slot in entries:
        action = QAction(text, window)
        action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        actions.append(action)
    return actions


def _open(dialog: QDialog) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def ask_idle_minutes(parent: QWidget, db: Database, actor: Actor) -> int | None:
    """Settings → Automatic lock: the idle minutes before RefDesk locks (1 to 60); the minutes saved, or
    None when cancelled or refused (the refusal is shown)."""
    current = security_settings.idle_minutes(db)
    minutes, ok = QInputDialog.getInt(
        parent,
        "Automatic lock",
        "Lock RefDesk after this many minutes without use:",
        current,
        security_settings.MIN_IDLE_MINUTES,
        security_settings.MAX_IDLE_MINUTES,
    )
    if not ok or minutes == current:
        return None
    try:
        return security_settings.set_idle_minutes(db, actor, minutes)
    except Exception as error:  # noqa: BLE001 - shown in plain words; a bug is logged by show_error
        show_error(parent, error)
        return None
