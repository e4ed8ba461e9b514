"""One RefDesk per database (reliability.md 7), with real processes: a second RefDesk is refused with a
message naming the first; after ``kill -9`` of the first a new one starts; ``refdesk restore`` refuses
while RefDesk runs, and a RefDesk starting during a restore refuses too."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from refdesk.errors import StorageError
from refdesk.services.actor import Actor
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from refdesk.storage.backup import make_backup
from refdesk.storage.instance import exclusive, in_use, lock_path
from tests.refdesk.cli_helpers import run
from tests.refdesk.storage.helpers import Child
from ui.instance import InstanceLock

HOLDER = str(Path(__file__).resolve().parent / "hold_instance_lock.py")
HOST = socket.gethostname()


def start(db_path: Path, log: Path) -> Child:
    """A RefDesk starting on ``db_path``, as far as its instance lock."""
    return Child(HOLDER, str(db_path), log=log, stdin=True)


def outcome(child: Child) -> str:
    """``held`` or ``refused: ...``: the first thing the starting RefDesk says."""
    child.wait(lambda lines: bool(lines), "held or refused")
    return child.lines[0]


@pytest.fixture
def first(tmp_path: Path, db_path: Path) -> Iterator[Child]:
    """A RefDesk running on ``db_path``."""
    with start(db_path, tmp_path / "first.log") as child:
        assert outcome(child) == "held"
        yield child


def test_a_second_refdesk_on_the_same_database_is_refused_naming_the_first(
    first: Child, tmp_path: Path, db_path: Path
) -> None:
    with start(db_path, tmp_path / "second.log") as second:
        said = outcome(second)
        assert second.process.wait(timeout=60) == 0

    assert said == (
        f"refused: RefDesk is already open on test.db (process {first.process.pid} on {HOST}). "
        "Switch to that window, or close it and start RefDesk again."
    )
    assert in_use(db_path)  # the first still holds it
    first.send("release")
    first.wait_for("released")
    with start(db_path, tmp_path / "third.log") as third:
        assert outcome(third) == "held"


def test_after_kill_9_of_the_first_a_new_refdesk_takes_the_stale_lock_over(
    first: Child, tmp_path: Path, db_path: Path
) -> None:
    first.kill()
    assert lock_path(db_path).exists()  # left behind: a dead holder cannot clean up

    with start(db_path, tmp_path / "after.log") as after:
        assert outcome(after) == "held"
        assert lock_path(db_path).read_text().splitlines()[0] == str(after.process.pid)


def test_a_live_holder_is_not_taken_over_even_if_its_program_name_looks_wrong(
    first: Child, tmp_path: Path, db_path: Path
) -> None:
    """Qt calls a lock stale when the holder's pid runs a program of another name than the one recorded
    (a frozen ``RefDesk.exe`` against ``python3.11``); its file lock must still protect the holder."""
    lines = lock_path(db_path).read_text().splitlines()
    lines[1] = "RefDesk.exe"
    lock_path(db_path).write_text("\n".join(lines) + "\n")  # same file: the first's flock stays

    with start(db_path, tmp_path / "second.log") as second:
        assert outcome(second).startswith(
            f"refused: RefDesk is already open on test.db (process {first.process.pid}"
        )
    assert lock_path(db_path).read_text().splitlines()[0] == str(first.process.pid)


def test_a_dead_holders_pid_reused_by_a_live_python_does_not_block_the_start(
    tmp_path: Path, db_path: Path
) -> None:
    """Qt trusts a recorded pid whose process has the same program name: after a reboot that can be
    someone else. Nobody holds the file lock, so the lock is stale and RefDesk starts."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as stranger:
        try:
            program = Path(sys.executable).resolve().name
            lock_path(db_path).write_text(f"{stranger.pid}\n{program}\n{HOST}\n")
            lock = InstanceLock(db_path)
            assert lock.try_acquire()
            assert lock_path(db_path).read_text().splitlines()[0] != str(stranger.pid)
            lock.release()
            assert not lock_path(db_path).exists()
        finally:
            stranger.kill()


def test_restore_is_refused_while_refdesk_runs_and_works_once_it_closed(
    db: Database,
    actor: Actor,
    new_referral: NewReferral,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_log_handlers_left: None,
) -> None:
    create_referral(db, actor, new_referral)
    backup = make_backup(db, tmp_path / "backups").path
    create_referral(db, actor, new_referral)
    db.close()
    before = db_path.read_bytes()

    with start(db_path, tmp_path / "gui.log") as gui:
        assert outcome(gui) == "held"
        code, out, err = run(["restore", str(backup), "--db", str(db_path)], capsys)

        assert (code, out) == (1, "")
        assert err == (
            f"refdesk: RefDesk is open on this database (process {gui.process.pid} on {HOST}). "
            "Close it first.\n"
        )
        assert db_path.read_bytes() == before
        assert sorted(p.name for p in db_path.parent.glob("test.db.*")) == ["test.db.lock"]
        gui.send("release")
        gui.wait_for("released")

    code, out, _ = run(["restore", str(backup), "--db", str(db_path)], capsys)
    assert code == 0 and out.startswith("Restored")
    assert not lock_path(db_path).exists()


def test_refdesk_starting_during_a_restore_is_refused(tmp_path: Path, db_path: Path) -> None:
    with exclusive(db_path), start(db_path, tmp_path / "gui.log") as gui:
        said = outcome(gui)
    assert said.startswith(f"refused: RefDesk is already open on test.db (process {os.getpid()} on {HOST})")


def test_a_lock_that_cannot_be_created_is_a_plain_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("I am a file")

    with pytest.raises(StorageError, match="Cannot create the folder"):
        InstanceLock(not_a_folder / "x.db").try_acquire()
