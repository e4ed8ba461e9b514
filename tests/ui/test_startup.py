"""Start-up as the desk meets it: one RefDesk per database, plain words when the folder or the file cannot
be used (never a traceback), the demo database filled on first use, the backup on closing, and a restore
asked for in the Backups dialog done between two sessions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from refdesk.cli import gui as cli_gui
from refdesk.cli.main import main
from refdesk.domain.models import Partner, Referral
from refdesk.domain.vocab import PartnerCategory
from refdesk.services.actor import ensure_staff
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.storage import Database
from refdesk.storage.backup import list_backups, make_backup
from ui import app as gui_app
from ui.backups import pending
from ui.instance import InstanceLock
from ui.startup import messages
from ui.startup.desk import Desk

ROOT = Path(__file__).resolve().parents[2]


class SessionWindow(QMainWindow):
    closed = Signal()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        super().closeEvent(event)
        self.closed.emit()


class FakeSession(QObject):
    """Stands in for ``SessionController``: ``start`` shows a window and runs ``script`` from the event
    loop; closing the window is quitting (``finished``)."""

    finished = Signal()

    def __init__(
        self, db: Database, script: Callable[[FakeSession], None] | None, signs_in: bool = True
    ) -> None:
        super().__init__()
        self.db, self._script, self._signs_in = db, script, signs_in
        self.window: QMainWindow | None = None
        self.closed_by_quit = False

    def start(self) -> bool:
        if not self._signs_in:
            return False
        window = SessionWindow()
        window.closed.connect(self._closed)
        self.window = window
        window.show()
        QTimer.singleShot(0, self._run_script)
        return True

    def _run_script(self) -> None:
        if self._script is not None:
            self._script(self)
        else:
            self.quit()

    def quit(self) -> None:
        if self.window is not None:
            self.window.close()

    def _closed(self) -> None:
        self.window = None
        self.finished.emit()


class Sessions:
    """The session factory handed to the desk: one ``FakeSession`` per sign-in, each with the next
    script."""

    def __init__(self, *scripts: Callable[[FakeSession], None] | None, signs_in: bool = True) -> None:
        self._scripts = list(scripts)
        self._signs_in = signs_in
        self.made: list[FakeSession] = []

    def __call__(self, db: Database) -> FakeSession:
        script = self._scripts.pop(0) if self._scripts else None
        session = FakeSession(db, script, self._signs_in)
        self.made.append(session)
        return session


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What start-up would show in its message boxes."""
    shown: list[str] = []
    monkeypatch.setattr(messages, "tell", lambda text, **_kwargs: shown.append(text))
    return shown


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "clinic" / "refdesk.db"


@pytest.fixture(autouse=True)
def quit_on_last_window_closed_restored() -> Iterator[None]:
    yield
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setQuitOnLastWindowClosed(True)


def count(db_path: Path, model: type) -> int:
    with Database.open(db_path) as db, db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_plain(text: str) -> None:
    assert text and "Traceback" not in text and "Error:" not in text and "sqlite3" not in text


# --- one RefDesk per database --------------------------------------------------------------------------


def test_a_second_refdesk_on_the_same_database_is_refused(qtbot: QtBot, path: Path, told: list[str]) -> None:
    first = InstanceLock(path)
    assert first.try_acquire()
    sessions = Sessions()
    try:
        code = gui_app.run(path, demo=False, argv=["refdesk"], sessions=sessions)
    finally:
        first.release()

    assert code == 1
    assert len(told) == 1
    assert told[0].startswith(f"RefDesk is already open on {path.name} (process {os.getpid()}")
    assert "Switch to that window" in told[0]
    assert sessions.made == [] and not path.exists()


def test_once_the_first_refdesk_has_closed_the_next_one_starts(
    qtbot: QtBot, path: Path, told: list[str]
) -> None:
    sessions = Sessions()
    assert gui_app.run(path, demo=False, argv=["refdesk"], sessions=sessions) == 0
    assert gui_app.run(path, demo=False, argv=["refdesk"], sessions=sessions) == 0
    assert len(sessions.made) == 2 and told == []


# --- plain words when the folder or the file cannot be used -------------------------------------------


@contextlib.contextmanager
def unwritable(target: Path) -> Iterator[bool]:
    """``target`` (a folder or a file) made read-only: chmod for a normal user; as root, who writes
    anyway, the immutable attribute. Yields False when neither works here."""
    if os.geteuid() != 0:
        mode = target.stat().st_mode
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield True
        finally:
            target.chmod(mode)
        return
    made = subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode == 0
    try:
        yield made
    finally:
        if made:
            subprocess.run(["chattr", "-i", str(target)], check=True)


def test_a_folder_that_cannot_be_written_gives_a_plain_message(
    qtbot: QtBot, path: Path, told: list[str], tmp_path: Path
) -> None:
    path.parent.mkdir(parents=True)
    sessions = Sessions()
    with unwritable(path.parent) as read_only:
        where = path if read_only else tmp_path / "a-file" / "refdesk.db"
        if not read_only:  # neither chmod nor chattr works here: a path "inside" a plain file
            where.parent.write_text("a file, not a folder")
        code = gui_app.run(where, demo=False, argv=["refdesk"], sessions=sessions)

    assert code == 1 and sessions.made == []
    assert len(told) == 1
    assert_plain(told[0])
    assert str(where.parent) in told[0]


def test_a_database_file_that_cannot_be_written_gives_a_plain_message(
    qtbot: QtBot, path: Path, told: list[str]
) -> None:
    Database.open(path).close()
    for leftover in path.parent.glob("refdesk.db-*"):
        leftover.unlink()
    sessions = Sessions()
    with unwritable(path) as read_only:
        assert read_only, "this test needs chmod (or, as root, chattr) to make a file read-only"
        code = gui_app.run(path, demo=False, argv=["refdesk"], sessions=sessions)

    assert code == 1 and sessions.made == []
    assert len(told) == 1
    assert_plain(told[0])
    assert told[0].startswith(f"Cannot write to {path}")


def test_a_database_from_a_newer_refdesk_gives_a_plain_message(
    qtbot: QtBot, path: Path, told: list[str]
) -> None:
    Database.open(path).close()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00d_from_the_future'")
        connection.commit()
    before = path.read_bytes()
    sessions = Sessions()
    assert gui_app.run(path, demo=False, argv=["refdesk"], sessions=sessions) == 1

    assert sessions.made == []
    assert told == [
        "refdesk.db was written by a newer version of RefDesk (schema f00d_from_the_future). "
        "Install the newer version to open it."
    ]
    assert path.read_bytes() == before


def test_refdesk_without_a_display_says_so_in_one_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["REFDESK_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "refdesk"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "refdesk: RefDesk's window needs a desktop session, and none was found (DISPLAY is not set). "
        "Start RefDesk from the desktop; the commands work anywhere: see 'refdesk --help'."
    )
    assert not (tmp_path / "home" / "refdesk.db").exists()


def test_a_display_is_found_on_every_platform_that_has_one() -> None:
    cli_gui.require_display({"DISPLAY": ":0"}, "linux")
    cli_gui.require_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    cli_gui.require_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    cli_gui.require_display({}, "win32")
    cli_gui.require_display({}, "darwin")
    with pytest.raises(cli_gui.NoDisplay):
        cli_gui.require_display({}, "freebsd14")


# --- the demo, sessions, the backup on closing ---------------------------------------------------------


def test_the_demo_database_is_filled_on_first_use_only(
    qtbot: QtBot, tmp_path: Path, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_gui, "DEFAULT_REFERRALS", 40)
    monkeypatch.setattr(cli_gui, "DEFAULT_PARTNERS", 4)
    demo = tmp_path / "refdesk-demo.db"
    seen: list[int] = []

    def look(session: FakeSession) -> None:
        with session.db.session() as reading:
            seen.append(int(reading.scalar(select(func.count()).select_from(Referral)) or 0))
        session.quit()

    sessions = Sessions(look, look)
    for _ in range(2):
        code = gui_app.run(demo, demo=True, argv=["refdesk"], prepare=cli_gui.fill_demo, sessions=sessions)
        assert code == 0
    assert seen == [40, 40] and told == []


def test_a_cancelled_sign_in_quits_without_a_backup(qtbot: QtBot, path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    desk = Desk(path, demo=False, sessions=Sessions(signs_in=False), backup_folder=lambda: folder)
    assert desk.run() == 0
    assert list_backups(folder) == []


def test_closing_after_a_change_leaves_a_backup_holding_it(
    qtbot: QtBot, path: Path, tmp_path: Path, told: list[str]
) -> None:
    folder = tmp_path / "backups"

    def work(session: FakeSession) -> None:
        actor = ensure_staff(session.db, "maria", "Maria Lopez")
        create_partner(
            session.db,
            actor,
            NewPartner(name="Oak Street Primary Care", category=PartnerCategory.PRIMARY_CARE),
        )
        session.quit()

    desk = Desk(path, demo=False, sessions=Sessions(work), backup_folder=lambda: folder)
    assert desk.run() == 0
    backups = list_backups(folder)
    assert len(backups) == 1 and backups[0].partners == 1
    assert desk.auto is not None and not desk.auto.changed


def test_the_real_sign_in_can_be_cancelled(
    qtbot: QtBot, path: Path, told: list[str], no_log_handlers_left: None
) -> None:
    """``refdesk --db PATH`` with the real session: cancelling the first-run screen quits, exit code 0."""

    def cancel_whatever_asks() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            dialog.reject()
        else:
            QTimer.singleShot(20, cancel_whatever_asks)

    QTimer.singleShot(0, cancel_whatever_asks)
    assert main(["--db", str(path)]) == 0
    assert told == [] and path.exists()


# --- a restore asked for in the Backups dialog -----------------------------------------------------------


def test_a_restore_asked_for_is_done_between_two_sessions(
    qtbot: QtBot, path: Path, tmp_path: Path, told: list[str]
) -> None:
    folder = tmp_path / "backups"
    with Database.open(path) as db:
        actor = ensure_staff(db, "maria", "Maria Lopez")
        create_partner(db, actor, NewPartner(name="Oak Street", category=PartnerCategory.PRIMARY_CARE))
        backup = make_backup(db, folder, now=datetime(2026, 11, 23, 8, 15))
        create_partner(db, actor, NewPartner(name="Birch Family", category=PartnerCategory.PRIMARY_CARE))
    partners: list[int] = []

    def ask_for_restore(session: FakeSession) -> None:
        with session.db.session() as reading:
            partners.append(int(reading.scalar(select(func.count()).select_from(Partner)) or 0))
        pending.request(path, backup.path)  # what Settings → Backups → Restore… does, then it closes
        session.quit()

    def look(session: FakeSession) -> None:
        with session.db.session() as reading:
            partners.append(int(reading.scalar(select(func.count()).select_from(Partner)) or 0))
        session.quit()

    sessions = Sessions(ask_for_restore, look)
    assert Desk(path, demo=False, sessions=sessions, backup_folder=lambda: folder).run() == 0

    assert partners == [2, 1]
    assert len(told) == 1
    assert told[0].startswith(
        "The Backup of Mon 23 Nov 2026, 08:15 is restored. The previous database is kept as "
    )
    kept = Path(told[0].split("kept as ")[1].split(". Sign in")[0])
    assert kept.exists() and kept.name.startswith("refdesk.db.before-restore-")
    assert count(kept, Partner) == 2
    assert pending.take(path) is None


def test_a_restore_left_from_last_time_is_asked_about_first(
    qtbot: QtBot, path: Path, tmp_path: Path, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    with Database.open(path) as db:
        backup = make_backup(db, folder, now=datetime(2026, 11, 23, 8, 15))
        actor = ensure_staff(db, "maria", "Maria Lopez")
        create_partner(db, actor, NewPartner(name="Oak Street", category=PartnerCategory.PRIMARY_CARE))
    pending.request(path, backup.path)  # and then RefDesk stopped before restoring
    questions: list[str] = []
    monkeypatch.setattr(messages, "ask", lambda text, **_kwargs: questions.append(text) or False)

    assert Desk(path, demo=False, sessions=Sessions(), backup_folder=lambda: folder).run() == 0

    assert len(questions) == 1 and "Backup of Mon 23 Nov 2026, 08:15" in questions[0]
    assert count(path, Partner) == 1  # not restored: the person said no
    assert pending.take(path) is None and told == []


def test_a_restore_that_fails_leaves_the_database_as_it_was(
    qtbot: QtBot, path: Path, tmp_path: Path, told: list[str]
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    broken = folder / "refdesk-2026-11-23T081500.db"
    broken.write_bytes(b"this backup was cut off" * 100)
    partners: list[int] = []

    def ask_for_restore(session: FakeSession) -> None:
        actor = ensure_staff(session.db, "maria", "Maria Lopez")
        create_partner(session.db, actor, NewPartner(name="Oak", category=PartnerCategory.PRIMARY_CARE))
        pending.request(path, broken)
        session.quit()

    def look(session: FakeSession) -> None:
        with session.db.session() as reading:
            partners.append(int(reading.scalar(select(func.count()).select_from(Partner)) or 0))
        session.quit()

    assert (
        Desk(path, demo=False, sessions=Sessions(ask_for_restore, look), backup_folder=lambda: folder).run()
        == 0
    )
    assert partners == [1]
    assert len(told) == 1 and told[0].startswith(f"The backup {broken.name} was not restored: ")
    assert_plain(told[0])
    assert not list(path.parent.glob("refdesk.db.before-restore-*"))
