"""Settings → Intake scripts: the intake scripts page, told when service lines change.

The page (``ui.dialogs.intake_scripts``) reads the list of lines once, when it is built; inside
Settings a line can be added, renamed or retired on the Service lines page afterwards, so this page
reads the list again then (the line being edited stays chosen).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from refdesk.services.actor import Actor
from refdesk.services.catalog import list_service_lines
from refdesk.storage import Database
from ui.dialogs.intake_scripts import IntakeScriptsPage
from ui.errors import user_message
from ui.tasks import TaskRunner


class SettingsIntakeScriptsPage(IntakeScriptsPage):
    """``IntakeScriptsPage`` plus ``settings_changed``. Signals: those of ``IntakeScriptsPage``."""

    def __init__(self, db: Database, actor: Actor, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(db, actor, runner, parent)
        self._lines_db, self._lines_runner = db, runner

    def settings_changed(self, key: str) -> None:
        """Another page saved; after a service line change, the lines are read again."""
        if key != "service_lines":
            return
        db = self._lines_db

        def done(lines: list[tuple[int, str]]) -> None:
            shown = self.line_id
            self.line_combo.set_choices(lines)
            if shown is not None:
                self.line_combo.set_value(shown)  # kept even when retired: its edit may be unsaved
            elif lines:
                self.select_line(lines[0][0])

        self._lines_runner.submit(
            lambda _context: [(line.id, line.name) for line in list_service_lines(db)],
            on_done=done,
            on_error=lambda error: self._say(user_message(error)),
            owner=self,
        )
