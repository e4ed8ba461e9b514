"""A damaged database at start, or found damaged by the full check while the desk works: the recovery
screen says what is wrong with which file, offers the newest good backup, restores it (the damaged file
kept aside) and the desk goes on to sign-in on a healthy database; never a traceback, never silent use."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from refdesk.demo import build_demo
from refdesk.domain.models import Referral
from refdesk.storage import Database
from refdesk.storage.backup import make_backup
from refdesk.storage.recovery import Health, full_check, quick_health
from tests.ui.test_startup import FakeSession, Sessions
from ui.startup import messages
from ui.startup.desk import Desk
from ui.startup.recovery import BackupPicker, RecoveryScreen
from ui.tasks import InlineRunner

PAGE = 4096
REFERRALS = 300
TAKEN = datetime(2026, 11, 23, 8, 15)
NOW = TAKEN + timedelta(days=2, hours=1)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database, closed and in rollback-journal mode (the file alone is the database)."""
    folder = tmp_path_factory.mktemp("recovery-template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REFDESK_HOME", str(folder / "home"))
        with Database.open(folder / "refdesk.db") as db:
            build_demo(db, referrals=REFERRALS, partners=6, seed=3)
    with sqlite3.connect(folder / "refdesk.db") as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return folder / "refdesk.db"


@pytest.fixture
def path(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "clinic" / "refdesk.db"
    target.parent.mkdir()
    shutil.copyfile(template, target)
    return target


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def good_backup(path: Path, folder: Path) -> Path:
    return make_backup(path, folder, now=TAKEN).path


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(messages, "tell", lambda text, **_kwargs: shown.append(text))
    return shown


@pytest.fixture(autouse=True)
def quit_on_last_window_closed_restored() -> Iterator[None]:
    yield
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setQuitOnLastWindowClosed(True)


def overwrite(path: Path, page: int, data: bytes = b"\xff" * PAGE) -> None:
    """Bytes over page ``page`` (numbered from 1), as a failing disk or a stray program would."""
    with path.open("r+b") as handle:
        handle.seek((page - 1) * PAGE)
        handle.write(data)


def damage_the_header(path: Path) -> None:
    overwrite(path, 1, b"\x00" * 100)


def damage_deep_inside(path: Path) -> None:
    """A leaf page of the referral table from the middle of its B-tree: the quick look (both ends of each
    table) cannot see it; the full check does."""
    with sqlite3.connect(path) as connection:
        pages = [
            int(row[0])
            for row in connection.execute(
                "SELECT pageno FROM dbstat WHERE name = 'referral' AND pagetype = 'leaf' ORDER BY pageno"
            )
        ]
    assert len(pages) > 4
    overwrite(path, pages[len(pages) // 2])


def referrals_in(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Referral)) or 0)


def when(condition: Callable[[], bool], action: Callable[[], None], *, tries: int = 1500) -> None:
    """Run ``action`` from the event loop once ``condition`` holds (start-up's dialogs block in exec()).
    After ``tries`` (30 s) it gives up and closes every dialog, so the run ends and the test fails."""

    def poll(left: int) -> None:
        if condition():
            action()
        elif left:
            QTimer.singleShot(20, lambda: poll(left - 1))
        else:
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, QDialog) and widget.isVisible():
                    widget.reject()

    QTimer.singleShot(0, lambda: poll(tries))


def shown_screen() -> RecoveryScreen | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, RecoveryScreen) and widget.isVisible():
            return widget
    return None


def open_screen(qtbot: QtBot, path: Path, folder: Path) -> RecoveryScreen:
    health = quick_health(path)
    assert not health.ok
    screen = RecoveryScreen(path, health, folder, runner=InlineRunner(), clock=lambda: NOW)
    qtbot.addWidget(screen)
    screen.show()
    return screen


# --- the screen ------------------------------------------------------------------------------------------


def test_the_screen_says_what_is_wrong_and_offers_the_newest_good_backup(
    qtbot: QtBot, path: Path, folder: Path, good_backup: Path
) -> None:
    make_backup(path, folder, now=TAKEN - timedelta(days=3))
    damage_the_header(path)
    screen = open_screen(qtbot, path, folder)

    assert screen.problem.text() == (
        f"RefDesk cannot open the database {path}.\n\n"
        "refdesk.db is damaged: it does not start like a database file. Restore it from a backup."
    )
    assert screen.backup_label.text() == (
        "The newest good backup:\n"
        f"Backup of Mon 23 Nov 2026, 08:15 — {REFERRALS} referrals, 6 partners (2 days ago)"
    )
    assert screen.restore_button.isEnabled() and screen.focusWidget() is screen.restore_button


def test_restoring_keeps_the_damaged_file_aside_and_leaves_a_healthy_database(
    qtbot: QtBot,
    path: Path,
    folder: Path,
    good_backup: Path,
    told: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    damage_the_header(path)
    damaged = path.read_bytes()
    screen = open_screen(qtbot, path, folder)
    questions: list[str] = []
    monkeypatch.setattr(screen, "confirm", lambda _title, text: questions.append(text) or True)
    with qtbot.waitSignal(screen.accepted):
        screen.restore_button.click()

    assert "Changes made after Mon 23 Nov 2026, 08:15 are not in this backup" in questions[0]
    assert f"refdesk.db.before-restore-<date and time>, in {path.parent}" in questions[0]
    assert screen.kept_as is not None and screen.kept_as.read_bytes() == damaged
    assert told == [
        f"The Backup of Mon 23 Nov 2026, 08:15 is restored. The damaged file is kept as {screen.kept_as}."
    ]
    assert quick_health(path).ok and full_check(path).ok
    with Database.open(path) as db:
        assert referrals_in(db) == REFERRALS


def test_without_a_good_backup_it_says_where_it_looked_and_never_opens_the_file(
    qtbot: QtBot, path: Path, folder: Path
) -> None:
    folder.mkdir()
    (folder / "refdesk-2026-11-22T080000.db").write_bytes(b"not a database at all" * 50)  # a bad backup
    damage_the_header(path)
    before = path.read_bytes()
    screen = open_screen(qtbot, path, folder)

    assert screen.backup_label.text().startswith(f"No good backup was found in {folder}.")
    assert "USB disk" in screen.backup_label.text()
    assert "IT contact" in screen.help.text()
    assert not screen.restore_button.isEnabled()
    with qtbot.waitSignal(screen.rejected):
        screen.quit_button.click()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["refdesk.db"]  # no -wal: never opened


def test_another_backup_can_be_chosen_from_another_folder(
    qtbot: QtBot,
    path: Path,
    folder: Path,
    good_backup: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    told: list[str],
) -> None:
    usb = tmp_path / "usb"
    older = make_backup(path, usb, now=TAKEN - timedelta(days=10))
    damage_the_header(path)
    screen = open_screen(qtbot, path, folder)
    monkeypatch.setattr(screen, "confirm", lambda _title, _text: True)
    picker = screen.choose_backup()
    assert isinstance(picker, BackupPicker)
    assert [info.taken_at for info in picker.backups()] == [TAKEN]
    monkeypatch.setattr(picker, "ask_folder", lambda: usb)
    picker.other_button.click()
    assert [info.path for info in picker.backups()] == [older.path]
    assert picker.list.item(0).text().startswith("Backup of Fri 13 Nov 2026, 08:15 —")

    with qtbot.waitSignal(screen.accepted):
        picker.pick_button.click()
    assert screen.restored is not None and screen.restored.path == older.path
    assert quick_health(path).ok


# --- the desk: at start, and while it works -------------------------------------------------------------


def restore_when_offered(monkeypatch: pytest.MonkeyPatch, seen: list[str]) -> None:
    monkeypatch.setattr(RecoveryScreen, "confirm", lambda _self, _title, _text: True)

    def ready() -> bool:
        screen = shown_screen()
        return screen is not None and screen.restore_button.isEnabled()

    def restore() -> None:
        screen = shown_screen()
        assert screen is not None
        seen.append(screen.problem.text())
        screen.restore_button.click()

    when(ready, restore)


def test_a_damaged_file_at_start_gets_the_screen_and_the_desk_goes_on_after_the_restore(
    qtbot: QtBot,
    path: Path,
    folder: Path,
    good_backup: Path,
    told: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    damage_the_header(path)
    problems: list[str] = []
    restore_when_offered(monkeypatch, problems)
    counts: list[int] = []

    def work(session: FakeSession) -> None:
        counts.append(referrals_in(session.db))
        session.quit()

    sessions = Sessions(work)
    assert Desk(path, demo=False, sessions=sessions, backup_folder=lambda: folder).run() == 0

    assert len(problems) == 1 and "does not start like a database file" in problems[0]
    assert counts == [REFERRALS]
    assert len(told) == 1 and told[0].startswith("The Backup of Mon 23 Nov 2026, 08:15 is restored.")
    assert quick_health(path).ok


def test_quitting_the_screen_quits_refdesk_without_opening_the_file(
    qtbot: QtBot, path: Path, folder: Path, told: list[str]
) -> None:
    damage_the_header(path)
    before = path.read_bytes()
    when(lambda: shown_screen() is not None, lambda: shown_screen().quit_button.click())  # type: ignore[union-attr]
    sessions = Sessions()
    assert Desk(path, demo=False, sessions=sessions, backup_folder=lambda: folder).run() == 1
    assert sessions.made == [] and path.read_bytes() == before and told == []


def test_damage_found_by_the_full_check_closes_the_desk_and_shows_the_screen(
    qtbot: QtBot,
    path: Path,
    folder: Path,
    good_backup: Path,
    told: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    damage_deep_inside(path)
    assert quick_health(path) == Health.good()  # start-up's quick look lets it through ...
    problems: list[str] = []
    restore_when_offered(monkeypatch, problems)
    counts: list[int] = []

    def keep_working(session: FakeSession) -> None:
        """The first session just works, until the desk closes it."""

    def after_restore(session: FakeSession) -> None:
        counts.append(referrals_in(session.db))
        session.quit()

    sessions = Sessions(keep_working, after_restore)
    assert Desk(path, demo=False, sessions=sessions, backup_folder=lambda: folder).run() == 0

    assert len(sessions.made) == 2 and sessions.made[0].window is None  # the damaged session was closed
    assert len(problems) == 1 and "SQLite's check found" in problems[0]  # ... the full check did not
    assert counts == [REFERRALS]
    assert full_check(path).ok
    assert list((path.parent).glob("refdesk.db.before-restore-*"))
