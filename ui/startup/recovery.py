"""The recovery screen: the database file is damaged, and this is what can be done about it.

It says in plain words what is wrong with which file, offers the newest good backup (its date, age and
what it holds), restores it after a confirmation (the damaged file is kept aside, and the screen says
where), lets the person choose another backup or look in another folder (a USB disk), or quit. With no
good backup it says so, says where backups were looked for and how to get help. It never opens the
damaged database: the only ways out are a restore or Quit.

Looking for a good backup reads each candidate in full (``recovery.newest_good_backup``: seconds, or a
minute or two for a very large database), and a restore copies and checks the whole backup: both run on
a worker while the screen stays responsive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from refdesk.storage.backup import BackupInfo, restore
from refdesk.storage.recovery import Health, good_backups, newest_good_backup
from ui.backups import words
from ui.detail.bars import MessageBar
from ui.errors import user_message
from ui.startup import messages
from ui.startup.waiting import run_modal
from ui.tasks import TaskRunner
from ui.widgets import named, plain_label
from ui.widgets.questions import confirm

HELP = (
    "If you need help, call your IT contact and tell them this message and the file's name. "
    "Do not delete the damaged file: it may still be repaired."
)


def backup_line(info: BackupInfo, now: datetime) -> str:
    """``Backup of Mon 23 Nov 2026, 08:15 — 10,234 referrals, 120 partners (2 days ago)``."""
    return f"{words.describe(info)} ({words.age(info.taken_at, now)})"


class RecoveryScreen(QDialog):
    """Shown instead of the desk when the database is damaged. ``exec()`` is Accepted once a backup was
    restored (start-up goes on to sign-in), Rejected on Quit.

    After a restore, ``restored`` is the backup and ``kept_as`` where the damaged file was put aside.
    Children by object name: ``recoveryProblem``, ``recoveryBackup``, ``restoreNewest``, ``chooseBackup``,
    ``quitRecovery``, ``recoveryHelp``, ``messageBar``. No signals of its own.
    """

    def __init__(
        self,
        db_path: Path,
        health: Health,
        folder: Path,
        *,
        runner: TaskRunner | None = None,
        clock: Callable[[], datetime] = datetime.now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db_path, self._folder, self._clock = Path(db_path), Path(folder), clock
        self._runner = runner or TaskRunner(max_threads=1)
        # The picker checks backups on a runner of its own: closing it must not wait for this search.
        self._picker_runner = runner or TaskRunner(max_threads=1)
        self._stop = threading.Event()
        self.newest: BackupInfo | None = None
        self.restored: BackupInfo | None = None
        self.kept_as: Path | None = None
        self.picker: BackupPicker | None = None
        self.setObjectName("recoveryScreen")
        self.setWindowTitle("RefDesk cannot open the database")

        problem = health.problem or f"{self._db_path.name} cannot be used."
        self.problem = plain_label(
            "recoveryProblem",
            f"RefDesk cannot open the database {self._db_path}.\n\n{problem}",
            selectable=True,
        )
        self.backup_label = plain_label("recoveryBackup", hide_empty=False, selectable=True)
        self.help = plain_label("recoveryHelp", HELP, selectable=True)
        self.restore_button = named(QPushButton("&Restore this backup"), "restoreNewest")
        self.choose_button = named(QPushButton("&Choose another backup…"), "chooseBackup")
        self.quit_button = named(QPushButton("&Quit"), "quitRecovery")
        self.restore_button.clicked.connect(lambda: self.restore_backup(self.newest))
        self.choose_button.clicked.connect(self.choose_backup)
        self.quit_button.clicked.connect(self.reject)
        self.restore_button.setEnabled(False)
        self.restore_button.setProperty("primary", True)  # styled (bold) before it is first laid out
        self.messages = MessageBar(self)

        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.choose_button)
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.problem)
        layout.addWidget(self.backup_label)
        layout.addWidget(self.messages)
        layout.addWidget(self.help)
        layout.addLayout(buttons)
        self.setMinimumWidth(70 * self.fontMetrics().averageCharWidth())
        self.quit_button.setFocus()
        self._look()

    # --- finding the newest good backup ---------------------------------------------------------------

    def _look(self) -> None:
        self.backup_label.setText(
            f"Looking for the newest good backup in {self._folder}… (each backup is checked before it is "
            "offered; a large one takes a minute)"
        )
        folder, stop = self._folder, self._stop
        self._runner.submit(
            lambda _context: newest_good_backup(folder, should_stop=stop.is_set),
            on_done=self._found,
            on_error=lambda error: self._found(None, error),
            owner=self,
        )

    def _found(self, info: BackupInfo | None, error: BaseException | None = None) -> None:
        self.newest = info
        self.restore_button.setEnabled(info is not None)
        if info is not None:
            self.backup_label.setText(f"The newest good backup:\n{backup_line(info, self._clock())}")
            self.restore_button.setFocus()  # Enter restores (after the confirmation)
            return
        why = f" ({user_message(error)})" if error is not None else ""
        self.backup_label.setText(
            f"No good backup was found in {self._folder}{why}. If your backups are on a USB disk or "
            "another drive, plug it in and choose “Choose another backup…” to look there."
        )
        self.choose_button.setFocus()

    # --- restoring ------------------------------------------------------------------------------------

    def choose_backup(self) -> BackupPicker:
        """The good backups in the folder (or another one), to pick one to restore."""
        picker = BackupPicker(self._folder, runner=self._picker_runner, clock=self._clock, parent=self)
        picker.chosen.connect(self.restore_backup)
        self.picker = picker
        picker.open()
        return picker

    def restore_backup(self, info: BackupInfo | None) -> None:
        """Confirm, then put ``info`` in place of the damaged database (kept aside) and accept."""
        if info is None:
            return
        if not self.confirm(
            "Restore this backup",
            f"Put the {words.describe(info)} in place of {self._db_path.name}?\n\n"
            f"Changes made after {words.when(info.taken_at)} are not in this backup. The damaged file is "
            f"not deleted: it is kept as {self._db_path.name}.before-restore-<date and time>, in "
            f"{self._db_path.parent}.",
        ):
            return
        target = self._db_path
        outcome = run_modal(
            lambda _progress, _stop: restore(info.path, target),
            runner=self._runner,
            title="RefDesk",
            label="Restoring the backup…",
            parent=self,
            cancellable=False,
        )
        if outcome.error is not None:
            self.messages.show_message(user_message(outcome.error))
            return
        self.restored, self.kept_as = info, outcome.result
        kept = f" The damaged file is kept as {self.kept_as}." if self.kept_as is not None else ""
        messages.tell(f"The {words.title(info)} is restored.{kept}", parent=self, warning=False)
        self.accept()

    def confirm(self, title: str, text: str) -> bool:
        """Ask before restoring (tests replace this)."""
        return confirm(self, title, text)

    def done(self, result: int) -> None:
        """Leaving stops a search still reading backups (it checks between pages) and waits for it."""
        self._stop.set()
        self._runner.wait()
        super().done(result)


class BackupPicker(QDialog):
    """The list behind "Choose another backup…": every good backup in a folder, newest first, and
    "Look in another folder…" for a USB disk or another drive.

    Signals:
        chosen(object): the ``BackupInfo`` picked (the dialog then closes).
    """

    chosen = Signal(object)

    def __init__(
        self,
        folder: Path,
        *,
        runner: TaskRunner,
        clock: Callable[[], datetime] = datetime.now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner, self._clock = runner, clock
        self._stop = threading.Event()
        self._backups: list[BackupInfo] = []
        self.setObjectName("backupPicker")
        self.setWindowTitle("Choose a backup")
        self.where = plain_label("pickerFolder", hide_empty=False, selectable=True)
        self.list = named(QListWidget(), "pickerList")
        self.list.itemActivated.connect(lambda _item: self.pick())
        self.other_button = named(QPushButton("&Look in another folder…"), "pickerOtherFolder")
        self.pick_button = named(QPushButton("&Restore this backup"), "pickerRestore")
        cancel = named(QPushButton("Cancel"), "pickerCancel")
        self.other_button.clicked.connect(self.other_folder)
        self.pick_button.clicked.connect(self.pick)
        cancel.clicked.connect(self.reject)
        for button in (self.other_button, self.pick_button, cancel):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        buttons.addWidget(self.pick_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.resize(640, 360)
        self.load(folder)

    def load(self, folder: Path) -> None:
        """Check every backup in ``folder`` on the worker and list the good ones."""
        self._folder = folder
        self.list.clear()
        self.pick_button.setEnabled(False)
        self.where.setText(f"Checking the backups in {folder}…")
        stop = self._stop
        self._runner.submit(
            lambda _context: good_backups(folder, should_stop=stop.is_set),
            on_done=self._show,
            on_error=lambda error: self.where.setText(user_message(error)),
            owner=self,
        )

    def _show(self, backups: list[BackupInfo]) -> None:
        self._backups = backups
        now = self._clock()
        for info in backups:
            self.list.addItem(QListWidgetItem(backup_line(info, now)))
        if backups:
            self.where.setText(f"Good backups in {self._folder}, newest first:")
            self.list.setCurrentRow(0)
            self.list.setFocus()
        else:
            self.where.setText(f"No good backup in {self._folder}.")
        self.pick_button.setEnabled(bool(backups))

    def other_folder(self) -> None:
        folder = self.ask_folder()
        if folder is not None:
            self.load(folder)

    def ask_folder(self) -> Path | None:
        """Another folder to look in (tests replace this); None when cancelled."""
        chosen = QFileDialog.getExistingDirectory(self, "Look for backups in", str(self._folder))
        return Path(chosen) if chosen else None

    def backups(self) -> list[BackupInfo]:
        return list(self._backups)

    def pick(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._backups):
            info = self._backups[row]
            self.accept()
            self.chosen.emit(info)

    def done(self, result: int) -> None:
        self._stop.set()
        self._runner.wait()
        super().done(result)
