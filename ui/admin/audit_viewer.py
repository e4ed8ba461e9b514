"""Settings → Audit log: who did what, when, to which record; export it, and check its seals.

Administrators only (the services refuse anyone else, and opening the viewer is itself audited). The
table loads a page at a time as it is scrolled (``AuditModel``); the count, the export and the check of
the hash chain run on workers, the last two with progress and Cancel, while the table stays usable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.errors import OperationCancelled
from refdesk.services import audit_log
from refdesk.services.actor import Actor, list_staff
from refdesk.services.audit_log import AuditFilter
from refdesk.services.audit_verify import AuditVerdict
from refdesk.storage import Database
from ui.admin.audit_filters import AuditFilterBar
from ui.admin.audit_model import AuditModel
from ui.detail.bars import MessageBar
from ui.errors import user_message
from ui.preferences import or_workstation
from ui.tasks import TaskContext, TaskHandle, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.saving import CSV, ask_save_path
from ui.widgets.tables import fit_columns, read_only_rows

LAST_FOLDER_KEY = "audit/last_folder"


def verdict_text(verdict: AuditVerdict) -> str:
    """``Intact: 12,345 rows checked``, or what was found, in one line."""
    if not verdict.ok:
        count = verdict.problem_count
        return f"Tampered: {count:,} problem{'' if count == 1 else 's'} found in {verdict.rows:,} rows."
    if verdict.rows and verdict.checked == verdict.rows and not verdict.unsealed:
        text = f"Intact: {verdict.checked:,} rows checked"
        return text + (f" ({verdict.warnings[0]})" if verdict.warnings else "")
    return verdict.summary()[:1].upper() + verdict.summary()[1:]


class AuditDialog(QDialog):
    """The audit log with its filters, Export CSV… and Verify.

    Children by object name: the filter bar's fields (``ui.admin.audit_filters``), ``auditTable``,
    ``auditCount``, ``auditExport``, ``auditVerify``, ``auditProgress``, ``auditCancel``,
    ``auditVerdict``, ``auditProblems``, ``messageBar``. No signals of its own.
    """

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
        preferences: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor = db, actor
        # Two threads: a page of rows keeps loading while a long export or check runs.
        self._runner = runner or TaskRunner(max_threads=2)
        self._prefs = or_workstation(preferences)
        self._stop: threading.Event | None = None
        self._count_handle: TaskHandle | None = None
        self._allowed = False
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit log")

        self.filters = AuditFilterBar(self)
        self.filters.setEnabled(False)
        self.model = AuditModel(db, self._runner, parent=self)
        self.table = named(QTableView(), "auditTable")
        self.table.setModel(self.model)
        read_only_rows(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count_label = plain_label("auditCount", hide_empty=False)
        self.export_button = named(QPushButton("E&xport CSV…"), "auditExport")
        self.verify_button = named(QPushButton("&Verify"), "auditVerify")
        self.verify_button.setToolTip("Check that no row was changed or deleted outside RefDesk")
        self.progress = named(QProgressBar(), "auditProgress")
        self.progress.setTextVisible(False)
        self.cancel_button = named(QPushButton("&Cancel"), "auditCancel")
        self.verdict = plain_label("auditVerdict", selectable=True)
        self.problems = named(QListWidget(), "auditProblems")
        self.messages = MessageBar(self)
        for button in (self.export_button, self.verify_button, self.cancel_button):
            button.setAutoDefault(False)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        actions = QHBoxLayout()
        actions.addWidget(self.count_label, 1)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.export_button)
        actions.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.verdict)
        layout.addWidget(self.problems)
        layout.addWidget(self.messages)
        layout.addWidget(close)
        fit_columns(
            self.table,
            {
                0: "11/23/2026 12:15:02 PM",
                1: "Maria-Fernanda Lopez",
                2: "Printed a records request letter",
                3: "R-000123 · Nguyễn, Zoë",
            },
        )
        self.resize(1100, 620)

        self.export_button.clicked.connect(self.export_csv)
        self.verify_button.clicked.connect(self.verify)
        self.cancel_button.clicked.connect(self.cancel)
        self.filters.filter_changed.connect(self._filter_changed)
        self.model.failed.connect(lambda text: self.messages.show_message(text))
        self.problems.hide()
        self._set_busy(False)
        self._open()

    # --- opening --------------------------------------------------------------------------------------

    def _open(self) -> None:
        """Audit the opening (refused for anyone but an administrator) and read who can be picked."""
        db, actor = self._db, self._actor

        def job(_context: TaskContext) -> list[tuple[int, str]]:
            audit_log.open_viewer(db, actor)
            return [
                (staff.id, staff.full_name or staff.username) for staff in list_staff(db, active_only=False)
            ]

        self.count_label.setText("Opening the audit log…")
        self._runner.submit(job, on_done=self._opened, on_error=self._refused, owner=self)

    def _opened(self, people: list[tuple[int, str]]) -> None:
        self._allowed = True
        self.filters.set_people(people)
        self.filters.setEnabled(True)
        self._set_busy(False)
        self.filters.apply()
        self.filters.patient.setFocus()

    def _refused(self, error: BaseException) -> None:
        self.count_label.setText("")
        self.messages.show_message(user_message(error))
        self._set_busy(False)

    # --- filtering ------------------------------------------------------------------------------------

    def _filter_changed(self, f: AuditFilter) -> None:
        self.model.set_filter(f)
        if self._count_handle is not None:
            self._count_handle.cancel()
        self.count_label.setText("Counting…")
        db = self._db
        self._count_handle = self._runner.submit(
            lambda _context: audit_log.count(db, f),
            on_done=self._counted,
            on_error=lambda error: self.count_label.setText(user_message(error)),
            owner=self,
        )

    def _counted(self, total: int) -> None:
        self._count_handle = None
        if total == 0:
            self.count_label.setText("No entries match.")
        else:
            self.count_label.setText(f"{total:,} entr{'y' if total == 1 else 'ies'}")

    def set_filter(self, f: AuditFilter) -> None:
        """Show ``f`` (as if typed into the bar; tests and callers who know what they look for)."""
        self.filters.person.set_value(f.staff_id)
        self.filters.patient.setText(f.patient or "")
        self.filters.action.set_value(f.action)
        self.filters.date_from.set_value(f.date_from)
        self.filters.date_to.set_value(f.date_to)
        self.filters.failures.blockSignals(True)
        self.filters.failures.setChecked(f.failures_only)
        self.filters.failures.blockSignals(False)
        self.filters.apply()

    # --- export and verify ----------------------------------------------------------------------------

    def export_csv(self) -> None:
        f = self.model.filter
        if f is None or self._stop is not None:
            return
        target = self.ask_export_path(f"audit-log-{date.today().isoformat()}.csv")
        if target is None:
            return
        db, actor = self._db, self._actor

        def work(_context: TaskContext, should_stop: Callable[[], bool]) -> int:
            return audit_log.export_csv(db, actor, f, target, should_stop=should_stop)

        def done(rows: int) -> None:
            self.messages.show_message(
                f"Exported {rows:,} row{'' if rows == 1 else 's'} to {target}.", "info"
            )

        self._start(work, done, "The export was cancelled: no file was written.")

    def ask_export_path(self, name: str) -> Path | None:
        """Where to save the export (tests replace this); None when cancelled."""
        return ask_save_path(self, self._prefs, LAST_FOLDER_KEY, "Export the audit log", name, CSV)

    def verify(self) -> None:
        if self._stop is not None or not self._allowed:
            return
        db, actor = self._db, self._actor
        self.verdict.hide()
        self.problems.clear()
        self.problems.hide()

        def work(context: TaskContext, should_stop: Callable[[], bool]) -> AuditVerdict:
            return audit_log.verify(db, actor, progress=context.progress, should_stop=should_stop)

        self._start(work, self._verified, "The check was cancelled.")

    def _verified(self, verdict: AuditVerdict) -> None:
        self.verdict.setText(verdict_text(verdict))
        self.verdict.show()
        lines = [
            f"Row {row_id}: {message}" if row_id is not None else message
            for row_id, message in verdict.problems
        ]
        lines += verdict.warnings if not verdict.ok else []
        if verdict.problem_count > len(verdict.problems):
            lines.append(f"… and {verdict.problem_count - len(verdict.problems):,} more.")
        self.problems.addItems(lines)
        self.problems.setVisible(bool(lines) and not verdict.ok)

    def _start(
        self,
        work: Callable[[TaskContext, Callable[[], bool]], Any],
        done: Callable[[Any], None],
        cancelled_text: str,
    ) -> None:
        stop = threading.Event()
        self._stop = stop
        self._set_busy(True)
        self.messages.clear()

        def finished(result: Any) -> None:
            self._set_busy(False)
            done(result)

        def failed(error: BaseException) -> None:
            self._set_busy(False)
            if isinstance(error, OperationCancelled):
                self.messages.show_message(cancelled_text, "info")
            else:
                self.messages.show_message(user_message(error))

        def progressed(done_count: int, total: int) -> None:
            if total > 0:
                self.progress.setRange(0, total)
                self.progress.setValue(min(done_count, total))

        self._runner.submit(
            lambda context: work(context, lambda: stop.is_set() or context.cancelled),
            on_done=finished,
            on_error=failed,
            on_progress=progressed,
            owner=self,
        )

    def cancel(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self.cancel_button.setEnabled(False)

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self._stop = None
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.export_button.setEnabled(self._allowed and not busy)
        self.verify_button.setEnabled(self._allowed and not busy)

    @property
    def busy(self) -> bool:
        return self._stop is not None

    def done(self, result: int) -> None:
        """Closing stops an export (no file is left) or a check, and waits for them to stop."""
        self.cancel()
        self._runner.wait()
        super().done(result)
