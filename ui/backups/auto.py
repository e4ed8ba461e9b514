"""The automatic backup: once a day after the first change, and when RefDesk closes after changes.

Nobody at a front desk remembers to back up, so the desk does it itself:

* After every committed write the database calls a listener on the writer's thread. The listener only
  emits a queued signal; the GUI thread then decides. The first change of a day for which the backup
  folder holds no backup yet starts ``automatic_backup`` on a worker (at most one at a time). Once a day
  is settled (backed up, or found backed up already) later changes that day cost nothing.
* On closing, if anything was changed since the last backup of this session, a small modal "Backing
  up…" dialog with Cancel runs one more backup. A failure is shown and closing goes on.

A failure of the daily backup is said once (``note``), in plain words, never as a traceback; it is tried
again an hour later, or on closing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from refdesk.paths import backup_dir
from refdesk.services.audit import changed_since, last_audit_id
from refdesk.storage import Database
from refdesk.storage.backup import BackupInfo
from refdesk.storage.backup_schedule import automatic_backup, backup_due_today
from ui.backups.words import title
from ui.errors import user_message
from ui.startup.waiting import Outcome, run_modal
from ui.tasks import TaskContext, TaskRunner

#: After a failed daily backup (the USB disk unplugged) the next change tries again only this much later.
RETRY_AFTER_S = 3600.0

_this_thread = threading.local()


def _in_backup() -> bool:
    """True on a thread that is making a backup: what it writes (its audit row) is not a desk change."""
    return bool(getattr(_this_thread, "backing_up", False))


class AutoBackup(QObject):
    """Watches one open database and keeps it backed up (see the module's docstring).

    Signals:
        backed_up(object): a backup was made (its ``BackupInfo``), daily or on closing.
        note(str): something the desk should read once in the status bar (a failed daily backup).
    """

    backed_up = Signal(object)
    note = Signal(str)
    _written = Signal()

    def __init__(
        self,
        db: Database,
        *,
        runner: TaskRunner | None = None,
        folder: Callable[[], Path] = backup_dir,
        clock: Callable[[], datetime] = datetime.now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._folder, self._clock = db, folder, clock
        self._runner = runner or TaskRunner(max_threads=1)
        self._writes = 0  # changes seen in this session
        self._saved_writes = 0  # changes that the newest backup of this session holds
        self._running = False
        self._settled_day: date | None = None
        self._retry_at = 0.0
        self._told = False
        #: The newest audit row a backup of this session holds (at start: what the last one may hold).
        self._bookmark = last_audit_id(db)
        self._written.connect(self._on_written, Qt.ConnectionType.QueuedConnection)
        db.add_write_listener(self._listener)

    # --- watching -------------------------------------------------------------------------------------

    def _listener(self) -> None:
        """On the writer's thread, right after its commit: hand over to the GUI thread, nothing more."""
        if _in_backup():
            return
        try:
            self._written.emit()
        except RuntimeError:  # this object is gone (the session ended while a worker still wrote)
            self._db.remove_write_listener(self._listener)

    def _on_written(self) -> None:
        self._writes += 1
        if self._running or self._settled_day == self._clock().date():
            return
        if time.monotonic() < self._retry_at:
            return
        self._start_daily()

    @property
    def changed(self) -> bool:
        """True when this session changed something that no backup of this session holds yet."""
        return self._writes > self._saved_writes

    @property
    def writes(self) -> int:
        """Changes seen in this session (on the GUI thread)."""
        return self._writes

    @property
    def running(self) -> bool:
        return self._running

    def stop(self) -> None:
        """Stop watching (the session is over); a backup already running finishes on its own."""
        self._db.remove_write_listener(self._listener)

    # --- the daily backup -----------------------------------------------------------------------------

    def _start_daily(self) -> None:
        now, writes = self._clock(), self._writes
        db, folder_of = self._db, self._folder

        def job(context: TaskContext) -> tuple[BackupInfo | None, int]:
            _this_thread.backing_up = True
            try:
                folder = folder_of()
                if not backup_due_today(folder, now):
                    return None, 0
                mark = last_audit_id(db)
                info = automatic_backup(
                    db, folder, now=now, progress=context.progress, should_stop=lambda: context.cancelled
                )
                return info, mark
            finally:
                _this_thread.backing_up = False

        self._running = True
        self._runner.submit(
            job,
            on_done=lambda done: self._daily_done(now.date(), writes, *done),
            on_error=self._daily_failed,
        )

    def _daily_done(self, day: date, writes: int, info: BackupInfo | None, mark: int) -> None:
        self._running = False
        self._settled_day = day
        if info is not None:
            self._saved_writes = max(self._saved_writes, writes)
            self._bookmark = max(self._bookmark, mark)
            self.backed_up.emit(info)

    def _daily_failed(self, error: BaseException) -> None:
        self._running = False
        self._retry_at = time.monotonic() + RETRY_AFTER_S
        if not self._told:
            self._told = True
            self.note.emit(f"The automatic backup failed: {user_message(error)}")

    # --- on closing -----------------------------------------------------------------------------------

    def wait(self) -> None:
        """Let a daily backup that is running finish (closing never cuts one off)."""
        self._runner.wait()

    def back_up_on_exit(self, parent: QWidget | None = None) -> Outcome[BackupInfo]:
        """Back up once more if this session changed anything since its last backup, behind a modal
        "Backing up…" dialog with Cancel; a failure is shown. Returns how it ended (an empty outcome
        when nothing needed backing up)."""
        self.stop()
        self.wait()
        QCoreApplication.processEvents()  # the finished daily backup's result, so it counts
        if not self.changed or not changed_since(self._db, self._bookmark):
            # Only reads since the last backup (opening referrals, signing in and out, printing): the
            # newest backup already holds everything, so closing does not wait for another copy.
            return Outcome()
        writes, db, folder_of, now = self._writes, self._db, self._folder, self._clock()

        def work(progress: Callable[[int, int], None], should_stop: Callable[[], bool]) -> BackupInfo:
            _this_thread.backing_up = True
            try:
                return automatic_backup(db, folder_of(), now=now, progress=progress, should_stop=should_stop)
            finally:
                _this_thread.backing_up = False

        outcome = run_modal(
            work,
            runner=self._runner,
            title="RefDesk",
            label="Backing up…",
            parent=parent,
        )
        if outcome.result is not None:
            self._saved_writes = writes
            self.backed_up.emit(outcome.result)
        elif outcome.error is not None:
            self.show_exit_failure(parent, outcome.error)
        return outcome

    def show_exit_failure(self, parent: QWidget | None, error: BaseException) -> None:
        """Say that the backup on closing failed (tests replace this); RefDesk closes anyway."""
        QMessageBox.warning(
            parent,
            "Backup not made",
            f"The backup on closing failed: {user_message(error)}\n\n"
            "Your work is saved in the database; only the backup copy is missing. "
            "RefDesk will close now.",
        )


def backed_up_text(info: BackupInfo) -> str:
    """The status bar's line after a backup: ``Backed up: Backup of Mon 23 Nov 2026, 08:15``."""
    return f"Backed up ({title(info).removeprefix('Backup of ')})."
