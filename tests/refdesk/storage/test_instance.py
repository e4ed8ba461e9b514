"""One RefDesk per database, without Qt (reliability.md 7): ``exclusive`` holds ``<db>.lock`` as
``QLockFile`` does, refuses a live holder in words, and takes over the lock of a dead one. Real
processes, killed with SIGKILL (tests/ui/test_instance.py checks the same lock against the GUI's)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from refdesk.errors import StorageError
from refdesk.storage.instance import exclusive, holder, in_use, lock_path, remove_stale
from tests.refdesk.storage.helpers import Child


@pytest.fixture
def holding(tmp_path: Path, db_path: Path) -> Iterator[Child]:
    """Another process inside ``exclusive(db_path)`` (as ``refdesk restore`` would be)."""
    with Child("hold_exclusive.py", str(db_path), log=tmp_path / "holder.log", stdin=True) as child:
        child.wait_for("held")
        yield child


def test_the_lock_is_a_file_next_to_the_database_naming_its_holder(db_path: Path) -> None:
    assert lock_path(db_path) == db_path.with_name("test.db.lock")
    assert not in_use(db_path)

    with exclusive(db_path):
        assert in_use(db_path)
        lines = lock_path(db_path).read_text().splitlines()
        assert lines[0] == str(os.getpid()) and lines[2] == socket.gethostname()
        assert str(holder(db_path)) == f"process {os.getpid()} on {socket.gethostname()}"

    assert not lock_path(db_path).exists()
    assert not in_use(db_path)


def test_a_second_holder_is_refused_in_plain_words(holding: Child, db_path: Path) -> None:
    assert in_use(db_path)

    with pytest.raises(StorageError) as refused, exclusive(db_path):
        pytest.fail("two holders of one lock")

    host = socket.gethostname()
    assert str(refused.value) == (
        f"RefDesk is open on this database (process {holding.process.pid} on {host}). Close it first."
    )
    holding.send("release")
    holding.wait_for("released")
    with exclusive(db_path):  # free once the holder let go
        assert in_use(db_path)


def test_the_lock_of_a_holder_killed_with_sigkill_is_taken_over(holding: Child, db_path: Path) -> None:
    holding.kill()

    assert lock_path(db_path).exists()  # nobody cleaned up: the kernel only dropped the file lock
    assert not in_use(db_path)
    with exclusive(db_path):
        assert holder(db_path).pid == os.getpid()
    assert not lock_path(db_path).exists()


def test_a_lock_naming_a_live_process_that_does_not_hold_it_is_stale(tmp_path: Path, db_path: Path) -> None:
    """After a reboot the dead holder's pid may belong to a live program: the file lock decides."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as stranger:
        try:
            lock_path(db_path).write_text(f"{stranger.pid}\npython3\n{socket.gethostname()}\n")
            assert not in_use(db_path)
            assert remove_stale(db_path)
            assert not lock_path(db_path).exists()
            lock_path(db_path).write_text(f"{stranger.pid}\npython3\n{socket.gethostname()}\n")
            with exclusive(db_path):
                assert holder(db_path).pid == os.getpid()
        finally:
            stranger.kill()


def test_remove_stale_never_removes_a_held_lock(holding: Child, db_path: Path) -> None:
    assert not remove_stale(db_path)
    assert holder(db_path).pid == holding.process.pid


def test_a_lock_file_being_written_counts_as_held_for_a_few_seconds(db_path: Path) -> None:
    """A starting RefDesk creates the file, then locks it, then writes its text: an empty new file is
    not a dead holder's. An old empty one is."""
    lock_path(db_path).write_bytes(b"")
    assert in_use(db_path)
    with pytest.raises(StorageError, match="another RefDesk"), exclusive(db_path):
        pytest.fail("took a lock that was being created")

    old = time.time() - 60
    os.utime(lock_path(db_path), (old, old))
    assert not in_use(db_path)
    with exclusive(db_path):
        assert holder(db_path).pid == os.getpid()


def test_a_lock_that_cannot_be_created_is_a_plain_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("I am a file")

    with pytest.raises(StorageError, match="Cannot create the lock file"), exclusive(not_a_folder / "x.db"):
        pytest.fail("locked inside a file")
