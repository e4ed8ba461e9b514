"""Settings → Backups: where backups go, the backups there, "Back up now" and "Restore…".

The folder is the default (``backups`` in RefDesk's data folder) or one the administrator chose: a USB
disk or a second drive, so that a failed disk does not take the backups with it. The choice is kept in
the workstation file (``refdesk.paths.set_backup_dir``), which the recovery screen reads when the
database itself is what is damaged. A folder RefDesk cannot write to is accepted but warned about.

Restoring replaces the whole database, so it cannot happen under the open session: "Restore…" writes
down the request (``ui.backups.pending``) and closes the main window; start-up then restores with the
database closed, says where the previous database was kept, and opens the sign-in again. Every read of
the folder (each backup is opened to count its rows) and every backup runs on a worker.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import StaffRole
from refdesk.errors import OperationCancelled
from refdesk.paths import backup_dir, default_backup_dir, set_backup_dir, workstation_setting
from refdesk.services.actor import Actor
from refdesk.storage import Database
from refdesk.storage.backup import BackupInfo, list_backups
from refdesk.storage.backup_schedule import automatic_backup
from ui.backups import pending, words
from ui.backups.model import BackupsModel
from ui.detail.bars import MessageBar
from ui.errors import user_message
from ui.tasks import TaskContext, TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.questions import confirm
from ui.widgets.tables import fit_columns, read_only_rows

AUTOMATIC = (
    "RefDesk backs up by itself after the first change of each day and when it closes, and keeps the "
    "last 14 daily and 8 weekly backups."
)
ADMIN_ONLY = "Only an administrator can restore a backup."


@dataclass(frozen=True)
class FolderState:
    """The backup folder as found by the worker: where, whether chosen, whether writable, what is in it."""

    folder: Path
    chosen: bool
    problem: str | None
    backups: list[BackupInfo]


def read_folder() -> FolderState:
    """The backup folder and its backups (for a worker: every backup is opened to count its rows)."""
    chosen = bool(workstation_setting("backup_folder"))
    try:
        folder = backup_dir()
    except OSError as error:
        named_folder = workstation_setting("backup_folder")
        where = Path(str(named_folder)) if chosen else default_backup_dir()
        reason = (error.strerror or type(error).__name__).lower()
        return FolderState(
            where,
            chosen,
            f"RefDesk cannot use {where} ({reason}). If it is a USB disk, plug it in; or choose another "
            "folder. Until then no backup can be made.",
            [],
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return FolderState(
            folder,
            chosen,
            f"RefDesk cannot write in {folder}: backups will fail until you choose a folder you may "
            "write to.",
            list_backups(folder),
        )
    return FolderState(folder, chosen, None, list_backups(folder))


class BackupsDialog(QDialog):
    """The backup folder, its backups, Back up now and Restore….

    Children by object name: ``backupFolder``, ``backupFolderWarning``, ``chooseFolder``,
    ``defaultFolder``, ``backupsTable``, ``backUpNow``, ``restoreBackup``, ``backupProgress``,
    ``cancelBackup``, ``messageBar``. No signals of its own.
    """

    def __init__(
        self, db: Database, actor: Actor, parent: QWidget | None = None, *, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self._db, self._actor = db, actor
        self._runner = runner or TaskRunner(max_threads=1)
        self._state: FolderState | None = None
        self._stop: threading.Event | None = None
        self.setObjectName("backupsDialog")
        self.setWindowTitle("Backups")

        self.folder_label = plain_label("backupFolder", hide_empty=False, selectable=True)
        self.warning = plain_label("backupFolderWarning", selectable=True)
        self.choose_button = named(QPushButton("C&hoose folder…"), "chooseFolder")
        self.default_button = named(QPushButton("Use the &default"), "defaultFolder")
        self.choose_button.clicked.connect(self.choose_folder)
        self.default_button.clicked.connect(self.use_default_folder)

        self.model = BackupsModel(self)
        self.table = named(QTableView(), "backupsTable")
        self.table.setModel(self.model)
        read_only_rows(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.backup_button = named(QPushButton("&Back up now"), "backUpNow")
        self.restore_button = named(QPushButton("&Restore…"), "restoreBackup")
        self.backup_button.clicked.connect(self.back_up_now)
        self.restore_button.clicked.connect(self.restore_selected)
        self.progress = named(QProgressBar(), "backupProgress")
        self.progress.setTextVisible(False)
        self.cancel_button = named(QPushButton("&Cancel backup"), "cancelBackup")
        self.cancel_button.clicked.connect(self.cancel_backup)
        for button in (
            self.choose_button,
            self.default_button,
            self.backup_button,
            self.restore_button,
            self.cancel_button,
        ):
            button.setAutoDefault(False)
        self.messages = MessageBar(self)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.choose_button)
        folder_row.addWidget(self.default_button)
        actions = QHBoxLayout()
        actions.addWidget(self.backup_button)
        actions.addWidget(self.restore_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        actions.addStretch(0)
        layout = QVBoxLayout(self)
        layout.addLayout(folder_row)
        layout.addWidget(self.warning)
        layout.addWidget(plain_label("backupsAutomatic", AUTOMATIC))
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.messages)
        layout.addWidget(close)
        fit_columns(
            self.table, {0: "Wed 30 Sep 2026, 08:15", 1: "12 hours ago", 2: "1,234.5 MB", 3: "1,000,000"}
        )
        self.resize(760, 440)

        self._is_admin = actor.role is StaffRole.ADMIN
        if not self._is_admin:
            self.restore_button.setToolTip(ADMIN_ONLY)
        self._set_running(False)
        self.reload()

    # --- the folder and its backups -------------------------------------------------------------------

    def reload(self, select: Path | None = None) -> None:
        """Read the folder again on the worker (keeping ``select`` selected when given)."""
        self.folder_label.setText("Looking at the backup folder…")
        self._runner.submit(
            lambda _context: read_folder(),
            on_done=lambda state: self._show(state, select),
            on_error=lambda error: self.messages.show_message(user_message(error)),
            owner=self,
        )

    def _show(self, state: FolderState, select: Path | None) -> None:
        self._state = state
        where = "chosen folder" if state.chosen else "the default folder, in RefDesk's data folder"
        self.folder_label.setText(f"Backups are kept in {state.folder} ({where}).")
        self.default_button.setEnabled(state.chosen)
        self.warning.setText(state.problem or "")
        self.warning.setVisible(bool(state.problem))
        self.model.set_rows(state.backups)
        rows = [info.path for info in state.backups]
        row = rows.index(select) if select in rows else (0 if rows else None)
        if row is not None:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, 0))
        self._update_buttons()

    def selected(self) -> BackupInfo | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def choose_folder(self) -> None:
        folder = self.ask_folder()
        if folder is None:
            return
        set_backup_dir(folder)
        self.messages.clear()
        self.reload()

    def ask_folder(self) -> Path | None:
        """Where backups should go from now on (tests replace this); None when cancelled."""
        start = str(self._state.folder) if self._state is not None else str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Backup folder", start)
        return Path(chosen) if chosen else None

    def use_default_folder(self) -> None:
        set_backup_dir(None)
        self.messages.clear()
        self.reload()

    # --- back up now ----------------------------------------------------------------------------------

    def back_up_now(self) -> None:
        if self._stop is not None:
            return
        stop = threading.Event()
        self._stop = stop
        self._set_running(True)
        self.messages.clear()
        db = self._db

        def job(context: TaskContext) -> BackupInfo:
            return automatic_backup(
                db,
                backup_dir(),
                now=datetime.now(),
                progress=context.progress,
                should_stop=lambda: stop.is_set() or context.cancelled,
            )

        self._runner.submit(
            job,
            on_done=self._backed_up,
            on_error=self._backup_failed,
            on_progress=self._progressed,
            owner=self,
        )

    def cancel_backup(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self.cancel_button.setEnabled(False)

    def _progressed(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _backed_up(self, info: BackupInfo) -> None:
        self._set_running(False)
        self.messages.show_message(f"Backup made: {words.describe(info)}.", "info")
        self.reload(select=info.path)

    def _backup_failed(self, error: BaseException) -> None:
        self._set_running(False)
        if isinstance(error, OperationCancelled):
            self.messages.show_message("The backup was cancelled: no backup was made.", "info")
        else:
            self.messages.show_message(user_message(error))
        self.reload()

    def _set_running(self, running: bool) -> None:
        if not running:
            self._stop = None
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)  # busy until the first step reports
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self._stop is not None
        self.backup_button.setEnabled(not running and self._state is not None)
        self.choose_button.setEnabled(not running)
        self.restore_button.setEnabled(
            not running and self._is_admin and self.selected() is not None and self._db.path is not None
        )

    # --- restore --------------------------------------------------------------------------------------

    def restore_selected(self) -> None:
        """Restore the selected backup: after a confirmation, RefDesk closes this session, restores with
        the database closed, and opens the sign-in again."""
        info = self.selected()
        if info is None or not self.restore_button.isEnabled() or self._db.path is None:
            return
        name = self._db.path.name
        if not self.confirm(
            "Restore a backup",
            f"Restore the {words.describe(info)}?\n\n"
            f"RefDesk will close, put this backup in place of the database, and open again for sign-in. "
            f"Changes made after {words.when(info.taken_at)} are not in this backup.\n\n"
            f"The current database is not deleted: it is kept next to it as "
            f"{name}.before-restore-<date and time>, in {self._db.path.parent}.",
        ):
            return
        pending.request(self._db.path, info.path)
        main = self._main_window()
        if main is not None:
            main.close()
            if main.isVisible():  # something refused to close: no restore behind anyone's back
                pending.cancel()
                self.messages.show_message("RefDesk could not close, so the backup was not restored.")
                return
        self.accept()

    def _main_window(self) -> QWidget | None:
        """The main window this dialog belongs to, directly or through the Settings dialog it sits in."""
        widget = self.parentWidget()
        while widget is not None and not isinstance(widget, QMainWindow):
            widget = widget.parentWidget()
        return widget

    def confirm(self, title: str, text: str) -> bool:
        """Ask before restoring (tests replace this)."""
        return confirm(self, title, text)

    def done(self, result: int) -> None:
        """Closing stops a backup that is running (it leaves no file) and waits for it to stop."""
        self.cancel_backup()
        self._runner.wait()
        super().done(result)
