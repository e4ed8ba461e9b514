"""The desk's run, from the database file to quitting: check, recover, open, sign in, work, back up.

``Desk.run()`` holds the loop that start-up, the recovery screen and a restore share:

1. A restore asked for in the Backups dialog (``ui.backups.pending``) is done first, with the database
   closed (one left from a run that ended before it, a crash say, is asked about first).
2. ``quick_health`` looks at the file (milliseconds): a damaged or unreadable file gets the recovery
   screen and is never opened; a file from a newer RefDesk gets a plain message.
3. ``Database.open``; a ``StorageError`` (a read-only folder, a full disk) is a plain message, exit 1.
4. The demo data on first use of the demo database.
5. The session (first run or sign-in, then the main window) with the automatic backup watching its
   writes, and the full check on a worker. If the check finds damage, the session is closed (the desk
   stops using the database) and the loop goes back to 2 with the recovery screen over everything.
6. When the person quits: the backup on exit. When they asked for a restore: back to 1.

Every way out is an exit code: 0 after a normal quit (or a sign-in cancelled), 1 when RefDesk could not
open the database.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSettings, SignalInstance
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow

from refdesk.errors import StorageError
from refdesk.paths import backup_dir
from refdesk.storage import Database
from refdesk.storage.backup import BackupInfo, backup_info, restore
from refdesk.storage.recovery import Health, quick_health
from ui.backups import pending, words
from ui.backups.auto import AutoBackup, backed_up_text
from ui.errors import user_message
from ui.startup import messages
from ui.startup.check import BackgroundCheck
from ui.startup.recovery import RecoveryScreen
from ui.startup.waiting import Progress, run_modal
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

#: Prepares a freshly opened database before sign-in (the demo data on first use), on a worker.
Prepare = Callable[[Database, Progress], None]


class Session(Protocol):
    """What the desk needs of ``ui.session.controller.SessionController``."""

    @property
    def finished(self) -> SignalInstance: ...

    @property
    def window(self) -> QMainWindow | None: ...

    def start(self) -> bool: ...


SessionFactory = Callable[[Database], Session]


class Ending(enum.Enum):
    QUIT = "quit"
    DAMAGED = "damaged"
    RESTORE = "restore"


class Desk:
    """One run of RefDesk on one database file (the caller holds its instance lock)."""

    def __init__(
        self,
        db_path: Path,
        *,
        demo: bool,
        prepare: Prepare | None = None,
        sessions: SessionFactory | None = None,
        runner: TaskRunner | None = None,
        preferences: QSettings | None = None,
        backup_folder: Callable[[], Path] = backup_dir,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.db_path = Path(db_path).expanduser().resolve()
        self._demo, self._prepare = demo, prepare
        self._sessions = sessions or self._default_sessions(preferences)
        self._runner = runner or TaskRunner(max_threads=1)
        self._backup_folder, self._clock = backup_folder, clock
        self._damage: Health | None = None
        self._restore_request: pending.PendingRestore | None = None
        #: The automatic backup of the session that ran last (tests look at it).
        self.auto: AutoBackup | None = None

    def _default_sessions(self, preferences: QSettings | None) -> SessionFactory:
        demo = self._demo

        def make(db: Database) -> Session:
            from ui.session.controller import SessionController

            return SessionController(db, demo=demo, preferences=preferences)

        return make

    # --- the loop -------------------------------------------------------------------------------------

    def run(self) -> int:
        """Run until the person quits; returns the exit code."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # The session says when the person quit (``finished``); a dialog closing between two windows
            # (sign-in, the recovery screen) must not end the run.
            app.setQuitOnLastWindowClosed(False)
        self._restore_request = self._left_from_last_time()
        prepared = False
        while True:
            if self._restore_request is not None:
                self._restore_requested(self._restore_request)
                self._restore_request = None
            health = self._damage or quick_health(self.db_path)
            self._damage = None
            full_check = True
            if not health.ok and health.kind == "newer":
                messages.tell(health.problem or "This database was written by a newer RefDesk.")
                return 1
            if not health.ok and health.kind != "missing":
                if not self.recover(health):
                    return 1
                full_check = False  # the restored backup was checked in full before it was offered
            try:
                db = Database.open(self.db_path)
            except StorageError as error:
                messages.tell(str(error))
                return 1
            try:
                if not prepared and self._prepare is not None and not self._run_prepare(db):
                    return 1
                prepared = True
                ending = self._session(db, full_check=full_check)
            finally:
                db.close()
            if ending is Ending.QUIT:
                return 0

    def recover(self, health: Health) -> bool:
        """The recovery screen; True once a backup was restored (start-up goes on), False on Quit."""
        screen = RecoveryScreen(self.db_path, health, self._backup_folder_or_default(), clock=self._clock)
        accepted = screen.exec() == QDialog.DialogCode.Accepted
        screen.deleteLater()
        return accepted

    def _backup_folder_or_default(self) -> Path:
        try:
            return self._backup_folder()
        except OSError:  # a chosen USB disk that is not plugged in: the screen can look elsewhere
            from refdesk.paths import default_backup_dir

            return default_backup_dir()

    def _run_prepare(self, db: Database) -> bool:
        prepare = self._prepare
        assert prepare is not None
        outcome = run_modal(
            lambda progress, _stop: prepare(db, progress),
            runner=self._runner,
            title="RefDesk",
            label="Creating the demo database…",
            cancellable=False,
        )
        if outcome.error is not None:
            messages.tell(f"The demo database could not be created: {user_message(outcome.error)}")
            return False
        return True

    # --- one session ----------------------------------------------------------------------------------

    def _session(self, db: Database, *, full_check: bool) -> Ending:
        session = self._sessions(db)
        auto = AutoBackup(db, folder=self._backup_folder, clock=self._clock)
        self.auto = auto
        if not session.start():
            auto.stop()
            return Ending.QUIT
        ending = [Ending.QUIT]
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        session.finished.connect(app.quit)
        auto.note.connect(lambda text: self._status(session, text, 0))
        auto.backed_up.connect(lambda info: self._status(session, backed_up_text(info), 8000))
        check = BackgroundCheck(self.db_path)

        def damaged(health: Health) -> None:
            ending[0] = Ending.DAMAGED
            self._damage = health
            window = session.window
            if window is not None:
                window.close()  # the session ends, and with it every use of the database
            else:
                app.quit()

        check.damaged.connect(damaged)
        if full_check:
            check.start()
        app.exec()
        check.stop()
        request = pending.take(self.db_path)
        if ending[0] is Ending.DAMAGED:
            auto.stop()
            return Ending.DAMAGED
        if request is not None:
            # The current database is kept aside by the restore: no backup on exit is needed first.
            auto.stop()
            self._restore_request = request
            return Ending.RESTORE
        auto.back_up_on_exit()
        return Ending.QUIT

    @staticmethod
    def _status(session: Session, text: str, timeout_ms: int) -> None:
        window = session.window
        if window is not None:
            window.statusBar().showMessage(text, timeout_ms)

    # --- restoring a backup asked for -----------------------------------------------------------------

    def _left_from_last_time(self) -> pending.PendingRestore | None:
        """A restore asked for in a run that ended before doing it: asked about again, never done
        silently days later."""
        request = pending.take(self.db_path)
        if request is None:
            return None
        info = backup_info(request.backup)
        what = words.describe(info) if info is not None else str(request.backup)
        if messages.ask(
            f"When RefDesk last closed, a restore of the {what} was asked for but not done. Restore it now?"
        ):
            return request
        return None

    def _restore_requested(self, request: pending.PendingRestore) -> None:
        """Restore with the database closed; say where the previous database was kept."""
        target = self.db_path

        def work(_progress: Progress, _stop: Callable[[], bool]) -> tuple[Path | None, BackupInfo | None]:
            info = backup_info(request.backup)  # opens the backup to count its rows: not on the GUI thread
            return restore(request.backup, target), info

        outcome = run_modal(
            work, runner=self._runner, title="RefDesk", label="Restoring the backup…", cancellable=False
        )
        if outcome.error is not None:
            messages.tell(f"The backup {request.backup.name} was not restored: {user_message(outcome.error)}")
            return
        assert outcome.result is not None
        aside, info = outcome.result
        what = words.title(info) if info is not None else f"backup {request.backup.name}"
        kept = f" The previous database is kept as {aside}." if aside is not None else ""
        messages.tell(f"The {what} is restored.{kept} Sign in to go on.", warning=False)
