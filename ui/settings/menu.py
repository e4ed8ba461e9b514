"""The main window's Settings menu: one "Settings…" dialog, and an entry per page that opens it there.

Every setting lives in one dialog (``SettingsDialog``); the menu entries are doors into its pages, so
"Clinic letterhead…" and "Settings…" → "Clinic and letterhead" are the same page, saved the same way.
An entry is listed only for the roles its page allows (reliability promise 15: staff, audit, backups and
the idle lock are an administrator's), so nobody meets greyed-out entries to wonder about.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from refdesk.services.actor import Actor
from refdesk.storage import Database
from ui.settings.registry import pages_for
from ui.shortcuts import by_key
from ui.tasks import TaskRunner

#: (page key, menu text, the action's object name) for the pages that have a menu entry of their own.
ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("letterhead", "Clinic &letterhead…", "settingsLetterhead"),
    ("service_lines", "Service lines and &targets…", "settingsServiceLines"),
    ("intake_scripts", "&Intake scripts…", "settingsIntakeScripts"),
    ("staff", "&Staff…", "settingsStaff"),
    ("audit_log", "&Audit log…", "settingsAudit"),
    ("backups", "&Backups…", "settingsBackups"),
    ("idle_lock", "Automatic loc&k…", "settingsIdleLock"),
)


class SettingsMenu:
    """Fills ``menu`` and opens the Settings dialog (one at a time) on the page an entry names.

    ``on_saved(key)`` runs after a page saved an edit (the window follows: its title, the queue's choices,
    an open checklist); ``on_idle_minutes(minutes)`` after the idle-lock minutes changed.
    """

    def __init__(
        self,
        menu: QMenu,
        window: QWidget,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        *,
        on_saved: Callable[[str], None],
        on_idle_minutes: Callable[[int], None],
    ) -> None:
        self._window, self._db, self._actor, self._runner = window, db, actor, runner
        self._on_saved, self._on_idle_minutes = on_saved, on_idle_minutes
        self._dialog: QWidget | None = None
        shortcut = by_key("settings")
        everything = QAction("&Settings…", window, objectName="settingsAll", shortcut=shortcut.sequence())
        everything.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        everything.triggered.connect(lambda: self.open())
        menu.addAction(everything)
        menu.addSeparator()
        allowed = {spec.key for spec in pages_for(actor.role)}
        for key, text, name in ENTRIES:
            if key not in allowed:
                continue
            action = QAction(text, window, objectName=name)
            action.triggered.connect(lambda _checked=False, page=key: self.open(page))
            menu.addAction(action)

    def open(self, page: str | None = None) -> QWidget:
        """Show the Settings dialog on ``page`` (its first page when None); an open one is reused."""
        from ui.settings.dialog import SettingsDialog  # built on first use, like the other pages

        dialog = self._dialog
        if not isinstance(dialog, SettingsDialog):
            dialog = SettingsDialog(self._db, self._actor, self._window, page=page, runner=self._runner)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.saved.connect(self._on_saved)
            dialog.idle_minutes_changed.connect(self._on_idle_minutes)
            dialog.destroyed.connect(self._forget)
            self._dialog = dialog
            dialog.open()
        elif page is not None:
            dialog.show_page(page)
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _forget(self) -> None:
        self._dialog = None
