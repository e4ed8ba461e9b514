"""Backups as the desk meets them: made by themselves after the first change of each day and on closing,
and Settings → Backups (the folder, the list, Back up now, Restore…)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QProgressDialog, QWidget
from pytestqt.qtbot import QtBot

from refdesk.domain.vocab import PartnerCategory, StaffRole
from refdesk.errors import OperationCancelled
from refdesk.paths import default_backup_dir, workstation_setting
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.storage import Database
from refdesk.storage.backup import BackupInfo, list_backups, make_backup
from ui.backups import pending
from ui.backups.auto import AutoBackup
from ui.backups.model import BackupsModel
from ui.backups.page import BackupsDialog
from ui.startup.waiting import run_modal
from ui.tasks import InlineRunner, TaskRunner

MORNING = datetime(2026, 11, 23, 8, 15, 0)


class Clock:
    """The workstation's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def add_partner(db: Database, actor: Actor, name: str) -> int:
    return create_partner(db, actor, NewPartner(name=name, category=PartnerCategory.PRIMARY_CARE))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def auto(qtbot: QtBot, db: Database, folder: Path, clock: Clock) -> Iterator[AutoBackup]:
    watcher = AutoBackup(db, runner=TaskRunner(max_threads=1), folder=lambda: folder, clock=clock)
    yield watcher
    watcher.stop()
    watcher.wait()


def settle(qtbot: QtBot, auto: AutoBackup, writes: int) -> None:
    """Wait until the GUI thread has seen ``writes`` changes and no backup is running."""
    qtbot.waitUntil(lambda: auto.writes == writes and not auto.running)


# --- the automatic backup ---------------------------------------------------------------------------------


def test_the_first_change_of_a_day_makes_one_backup_and_later_changes_that_day_none(
    qtbot: QtBot, db: Database, actor: Actor, auto: AutoBackup, folder: Path, clock: Clock
) -> None:
    made: list[BackupInfo] = []
    auto.backed_up.connect(made.append)
    assert list_backups(folder) == []

    add_partner(db, actor, "Oak Street Primary Care")
    settle(qtbot, auto, 1)
    assert [info.taken_at for info in list_backups(folder)] == [MORNING]
    assert [info.partners for info in made] == [1]

    clock.now = MORNING + timedelta(hours=3)
    add_partner(db, actor, "Birch Family Medicine")
    settle(qtbot, auto, 2)
    assert len(list_backups(folder)) == 1  # the same day: no second backup
    assert auto.changed  # ... so closing will back up the afternoon's change

    clock.now = MORNING + timedelta(days=1)
    add_partner(db, actor, "Cedar Pediatrics")
    settle(qtbot, auto, 3)
    assert [info.partners for info in list_backups(folder)] == [3, 1]


def test_a_day_already_backed_up_elsewhere_makes_no_second_backup(
    qtbot: QtBot, db: Database, actor: Actor, auto: AutoBackup, folder: Path
) -> None:
    make_backup(db, folder, now=MORNING - timedelta(hours=1))  # e.g. a scheduled 'refdesk backup'
    add_partner(db, actor, "Oak Street Primary Care")
    settle(qtbot, auto, 1)
    assert len(list_backups(folder)) == 1
    assert auto.changed


def test_closing_after_changes_backs_up_once_more(
    qtbot: QtBot, db: Database, actor: Actor, auto: AutoBackup, folder: Path, clock: Clock
) -> None:
    add_partner(db, actor, "Oak Street Primary Care")
    settle(qtbot, auto, 1)
    assert not auto.changed
    clock.now = MORNING + timedelta(hours=8)
    add_partner(db, actor, "Birch Family Medicine")
    qtbot.waitUntil(lambda: auto.changed)

    outcome = auto.back_up_on_exit()

    assert outcome.result is not None and outcome.result.partners == 2
    # One backup a day is kept (the newest): the evening's, which holds the afternoon's change.
    assert [(info.taken_at, info.partners) for info in list_backups(folder)] == [(clock.now, 2)]
    assert not auto.changed


def test_closing_after_only_reading_makes_no_second_backup(
    qtbot: QtBot, db: Database, actor: Actor, auto: AutoBackup, folder: Path, clock: Clock
) -> None:
    """Opening referrals and signing out are audited (the audit trail is written) but change nothing the
    newest backup lacks: closing does not make the desk wait for another copy."""
    from refdesk.services.audit import record_view

    add_partner(db, actor, "Oak Street Primary Care")
    settle(qtbot, auto, 1)
    clock.now = MORNING + timedelta(hours=8)
    record_view(db, actor, 1)
    qtbot.waitUntil(lambda: auto.changed)  # a write happened ...

    outcome = auto.back_up_on_exit()

    assert outcome.result is None and outcome.error is None  # ... but only a read was recorded
    assert [info.taken_at for info in list_backups(folder)] == [MORNING]


def test_closing_without_changes_makes_no_backup(qtbot: QtBot, auto: AutoBackup, folder: Path) -> None:
    outcome = auto.back_up_on_exit()
    assert outcome.result is None and outcome.error is None
    assert list_backups(folder) == []


def test_a_failed_daily_backup_is_said_once_in_plain_words(
    qtbot: QtBot, db: Database, actor: Actor, tmp_path: Path, clock: Clock
) -> None:
    not_a_folder = tmp_path / "usb-disk"
    not_a_folder.write_text("a file where the backup folder should be")
    watcher = AutoBackup(db, runner=TaskRunner(max_threads=1), folder=lambda: not_a_folder, clock=clock)
    notes: list[str] = []
    watcher.note.connect(notes.append)
    add_partner(db, actor, "Oak Street Primary Care")
    qtbot.waitUntil(lambda: bool(notes))
    add_partner(db, actor, "Birch Family Medicine")
    settle(qtbot, watcher, 2)
    watcher.stop()

    assert len(notes) == 1
    assert notes[0].startswith("The automatic backup failed: ")
    assert "Traceback" not in notes[0] and str(not_a_folder) in notes[0]


def test_a_failed_backup_on_closing_is_shown_and_closing_goes_on(
    qtbot: QtBot, db: Database, actor: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "usb-disk"
    not_a_folder.write_text("a file")
    watcher = AutoBackup(db, runner=TaskRunner(max_threads=1), folder=lambda: not_a_folder)
    watcher.note.connect(lambda _text: None)
    shown: list[str] = []
    monkeypatch.setattr(watcher, "show_exit_failure", lambda _parent, error: shown.append(str(error)))
    add_partner(db, actor, "Oak Street Primary Care")
    qtbot.waitUntil(lambda: watcher.writes == 1 and not watcher.running)

    outcome = watcher.back_up_on_exit()

    assert outcome.error is not None
    assert len(shown) == 1 and str(not_a_folder) in shown[0]


def test_cancel_in_the_progress_dialog_stops_the_work(qtbot: QtBot) -> None:
    def work(_progress: object, should_stop: Callable[[], bool]) -> str:
        deadline = time.monotonic() + 20  # a Cancel that does not stop it fails the test, not hangs it
        while not should_stop():
            time.sleep(0.01)
            if time.monotonic() > deadline:
                return "never stopped"
        raise OperationCancelled("The backup was cancelled: no backup was made.")

    def press_escape_once_shown() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QProgressDialog) and dialog.isVisible():
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # the same as its Cancel button
        else:
            QTimer.singleShot(20, press_escape_once_shown)

    QTimer.singleShot(0, press_escape_once_shown)
    outcome = run_modal(work, runner=TaskRunner(max_threads=1), title="RefDesk", label="Backing up…")
    assert outcome.cancelled and outcome.result is None and outcome.error is None


# --- the Backups dialog ----------------------------------------------------------------------------------


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_staff(db, "ada", "Ada Admin", StaffRole.ADMIN)


def open_dialog(qtbot: QtBot, db: Database, actor: Actor, parent: QWidget | None = None) -> BackupsDialog:
    dialog = BackupsDialog(db, actor, parent, runner=InlineRunner())
    if parent is None:
        qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def table_rows(dialog: BackupsDialog) -> list[list[str]]:
    model = dialog.model
    return [
        [model.index(row, column).data() for column in range(model.columnCount())]
        for row in range(model.rowCount())
    ]


def test_the_dialog_lists_the_backups_newest_first_with_what_they_hold(
    qtbot: QtBot, db: Database, actor: Actor, admin: Actor
) -> None:
    folder = default_backup_dir()
    add_partner(db, actor, "Oak Street Primary Care")
    make_backup(db, folder, now=datetime(2026, 11, 20, 17, 30))
    add_partner(db, actor, "Birch Family Medicine")
    make_backup(db, folder, now=datetime(2026, 11, 23, 8, 15))
    dialog = open_dialog(qtbot, db, admin)

    assert dialog.folder_label.text() == (
        f"Backups are kept in {folder} (the default folder, in RefDesk's data folder)."
    )
    rows = table_rows(dialog)
    assert [row[0] for row in rows] == ["Mon 23 Nov 2026, 08:15", "Fri 20 Nov 2026, 17:30"]
    assert [row[3:] for row in rows] == [["0", "2"], ["0", "1"]]
    assert all(row[2].endswith(("KB", "MB")) for row in rows)
    assert not dialog.default_button.isEnabled()


def test_back_up_now_adds_a_backup_and_says_so(
    qtbot: QtBot, db: Database, actor: Actor, admin: Actor
) -> None:
    add_partner(db, actor, "Oak Street Primary Care")
    dialog = open_dialog(qtbot, db, admin)
    assert dialog.model.rowCount() == 0
    qtbot.mouseClick(dialog.backup_button, Qt.MouseButton.LeftButton)

    assert dialog.model.rowCount() == 1
    assert dialog.messages.text().startswith("Backup made: Backup of ")
    assert dialog.messages.text().endswith("— 0 referrals, 1 partner.")
    assert len(list_backups(default_backup_dir())) == 1
    assert dialog.progress.isHidden()


def test_a_chosen_folder_is_used_and_remembered_and_the_default_comes_back(
    qtbot: QtBot, db: Database, admin: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    dialog = open_dialog(qtbot, db, admin)
    monkeypatch.setattr(dialog, "ask_folder", lambda: usb)
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)

    assert dialog.folder_label.text() == f"Backups are kept in {usb} (chosen folder)."
    assert workstation_setting("backup_folder") == str(usb)
    qtbot.mouseClick(dialog.backup_button, Qt.MouseButton.LeftButton)
    assert len(list_backups(usb)) == 1

    qtbot.mouseClick(dialog.default_button, Qt.MouseButton.LeftButton)
    assert workstation_setting("backup_folder") is None
    assert str(default_backup_dir()) in dialog.folder_label.text()
    assert dialog.model.rowCount() == 0


def test_a_folder_that_cannot_be_used_is_warned_about(
    qtbot: QtBot, db: Database, admin: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "usb"
    not_a_folder.write_text("a file, not a folder")
    dialog = open_dialog(qtbot, db, admin)
    monkeypatch.setattr(dialog, "ask_folder", lambda: not_a_folder)
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)

    assert dialog.warning.isVisible()
    assert dialog.warning.text().startswith(f"RefDesk cannot use {not_a_folder}")
    qtbot.mouseClick(dialog.backup_button, Qt.MouseButton.LeftButton)
    assert "Traceback" not in dialog.messages.text() and dialog.messages.text()


def test_restore_asks_first_then_closes_the_session_for_start_up_to_restore(
    qtbot: QtBot, db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = make_backup(db, default_backup_dir(), now=MORNING)
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    dialog = open_dialog(qtbot, db, admin, parent=window)
    questions: list[str] = []
    monkeypatch.setattr(dialog, "confirm", lambda _title, text: questions.append(text) or False)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert window.isVisible() and pending.take(db.path) is None  # said no: nothing happens

    monkeypatch.setattr(dialog, "confirm", lambda _title, text: questions.append(text) or True)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)

    assert "Backup of Mon 23 Nov 2026, 08:15" in questions[-1]
    assert "test.db.before-restore-" in questions[-1]
    assert not window.isVisible() and not dialog.isVisible()
    request = pending.take(db.path)
    assert request is not None and request.backup == info.path.resolve()


def test_only_an_administrator_may_restore(qtbot: QtBot, db: Database, actor: Actor) -> None:
    make_backup(db, default_backup_dir(), now=MORNING)
    dialog = open_dialog(qtbot, db, actor)
    assert dialog.model.rowCount() == 1
    assert not dialog.restore_button.isEnabled()
    assert dialog.restore_button.toolTip() == "Only an administrator can restore a backup."
    assert dialog.backup_button.isEnabled()


def test_the_backups_model_passes_the_model_tester(qtmodeltester, db: Database) -> None:  # type: ignore[no-untyped-def]
    folder = default_backup_dir()
    make_backup(db, folder, now=MORNING)
    make_backup(db, folder, now=MORNING + timedelta(days=1))
    model = BackupsModel(clock=lambda: MORNING + timedelta(days=2))
    model.set_rows(list_backups(folder))
    qtmodeltester.check(model)
    assert [model.index(row, 1).data() for row in range(2)] == ["yesterday", "2 days ago"]


def test_restore_from_the_main_windows_settings_menu_ends_the_session(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings → Backups… in the real main window: Restore… closes the window (its ``closed`` tells
    the session, which tells start-up to restore)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction

    from refdesk.services import accounts
    from ui.main_window import MainWindow

    admin = accounts.set_up_clinic(
        db, clinic_name="Oak Clinic", username="ada", full_name="Ada Admin", password="blue heron 42"
    )
    info = make_backup(db, default_backup_dir(), now=MORNING)
    prefs = QSettings(str(tmp_path / "preferences.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, admin, demo=False, preferences=prefs)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    monkeypatch.setattr(BackupsDialog, "confirm", lambda _self, _title, _text: True)
    action = window.findChild(QAction, "settingsBackups")
    assert action is not None
    action.trigger()
    dialog = window.findChild(BackupsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.restore_button.isEnabled())

    with qtbot.waitSignal(window.closed):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert not window.isVisible()
    request = pending.take(db.path)
    assert request is not None and request.backup == info.path.resolve()
