"""Opening a database RefDesk cannot use is refused with a message for the person at the desk (a
StorageError, never a traceback), and the refusal leaves the file as it was and not held open."""

from __future__ import annotations

import os
import pwd
import random
import resource
import shutil
import signal
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event, exc, text

from refdesk.errors import StorageError
from refdesk.services.actor import Actor
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.refdesk.storage.helpers import open_handles

needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")


def assert_plain(message: str) -> None:
    """Words for a person: no traceback, no exception class names, no SQL."""
    assert message and "\n" not in message
    for technical in ("Traceback", "sqlite3.", "sqlalchemy", "Error:", "[SQL", 'File "'):
        assert technical not in message


@needs_proc
def test_a_database_from_a_newer_refdesk_is_refused_and_left_alone(db_path: Path) -> None:
    with Database.open(db_path) as db, db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = db_path.read_bytes()

    with pytest.raises(StorageError) as refused:
        Database.open(db_path)

    message = str(refused.value)
    assert "newer version of RefDesk" in message and "9999_from_the_future" in message
    assert_plain(message)
    # Not held open (on Windows an open handle would block restoring or moving the file), not changed.
    assert open_handles(db_path) == []
    assert db_path.read_bytes() == before
    with Database.open(db_path, upgrade=False) as db:
        assert db.schema_revision() == "9999_from_the_future"


@needs_proc
@pytest.mark.parametrize("size", [100, 4096, 65536])
def test_a_file_that_is_not_a_database_is_refused_plainly(tmp_path: Path, size: int) -> None:
    path = tmp_path / "x.db"
    garbage = random.Random(size).randbytes(size)
    path.write_bytes(garbage)

    with pytest.raises(StorageError) as refused:
        Database.open(path)

    message = str(refused.value)
    assert_plain(message)
    assert "x.db" in message and "not a RefDesk database" in message
    assert path.read_bytes() == garbage  # never "repaired" or overwritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]  # no -wal or -shm left behind
    assert open_handles(path) == []


@pytest.fixture
def unwritable_location(tmp_path: Path) -> Iterator[Path]:
    """A database path whose folder cannot be written: a chmod 0o500 folder, unless this runs as root
    (root writes anyway), in which case a path "inside" a plain file, which fails for everyone."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
        except PermissionError:
            yield folder / "x.db"
        else:  # chmod is not enforced for this user
            probe.unlink()
            not_a_folder = tmp_path / "somefile"
            not_a_folder.write_text("I am a file")
            yield not_a_folder / "x.db"
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_folder_that_cannot_be_written_is_refused(unwritable_location: Path) -> None:
    with pytest.raises(StorageError) as refused:
        Database.open(unwritable_location)
    message = str(refused.value)
    assert_plain(message)
    assert str(unwritable_location.parent) in message
    assert not unwritable_location.exists()


def test_a_folder_given_as_the_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a folder") as refused:
        Database.open(tmp_path)
    assert_plain(str(refused.value))


def test_an_existing_database_in_a_read_only_folder_is_refused() -> None:
    """WAL needs to create ``x.db-wal`` beside the file: a read-only folder is refused at open, not at the
    first save. Root may write anywhere, so as root the open runs in a forked child that has dropped to
    an unprivileged user (after the imports it needs, since it may not read root's files)."""
    base = Path(tempfile.mkdtemp(prefix="refdesk-ro-", dir="/tmp"))
    try:
        base.chmod(0o755)
        folder = base / "shared"
        folder.mkdir()
        path = folder / "x.db"
        Database.open(path).close()
        for leftover in folder.glob("x.db-*"):
            leftover.unlink()
        path.chmod(0o644)
        folder.chmod(0o555)
        message = _open_as_unprivileged(path) if os.geteuid() == 0 else _open_here(path)
        assert message.startswith("refused: "), message
        assert_plain(message.removeprefix("refused: "))
    finally:
        for item in (base / "shared", base):
            if item.exists():
                item.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def _open_here(path: Path) -> str:
    try:
        Database.open(path).close()
    except StorageError as error:
        return f"refused: {error}"
    return "opened"


def _open_as_unprivileged(path: Path) -> str:
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            result = _open_here(path)
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the test
            result = f"error: {type(error).__name__}: {error}"
        os.write(write_end, result.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        result = pipe.read().decode()
    os.waitpid(child, 0)
    return result


# -- a database that cannot be written: a read-only file, a full disk, a failing disk -------------------


def referral_names(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [
            str(row[0]) for row in connection.execute("SELECT patient_last_name FROM referral ORDER BY id")
        ]
    finally:
        connection.close()


def integrity(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def with_pragma(db: Database, pragma: str) -> None:
    """Every connection the database makes from now on runs ``pragma`` first (the pool is emptied)."""
    db.engine.dispose()

    def apply(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute(pragma)

    event.listen(db.engine, "connect", apply)


def add(db: Database, actor: Actor, form: NewReferral, last_name: str) -> None:
    create_referral(db, actor, replace(form, patient_last_name=last_name))


def test_an_existing_read_only_database_file_is_refused_at_open() -> None:
    """SQLite opens a file it may not write for reading, without a word (and grants it ``BEGIN
    IMMEDIATE`` in WAL mode): the refusal must come at open, not at the first save."""
    base = Path(tempfile.mkdtemp(prefix="refdesk-rofile-", dir="/tmp"))
    try:
        base.chmod(0o755)
        folder = base / "shared"
        folder.mkdir()
        folder.chmod(0o777)  # the folder may be written; the file may not
        path = folder / "x.db"
        Database.open(path).close()
        path.chmod(0o444)
        before = path.read_bytes()
        message = _open_as_unprivileged(path) if os.geteuid() == 0 else _open_here(path)
        assert message.startswith("refused: Cannot write to "), message
        assert_plain(message.removeprefix("refused: "))
        assert path.read_bytes() == before
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_full_disk_is_a_plain_error_and_keeps_every_earlier_row(
    db: Database, actor: Actor, new_referral: NewReferral, db_path: Path
) -> None:
    for n in range(3):
        add(db, actor, new_referral, f"Before-{n}")
    with db.engine.connect() as connection:
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
    with_pragma(db, f"PRAGMA max_page_count = {pages}")  # not one page more: the disk is full

    with pytest.raises(StorageError) as refused:
        for n in range(200):  # until a new page is needed
            add(db, actor, replace(new_referral, reason="x" * 2000), f"After-{n}")

    message = str(refused.value)
    assert message == (
        f"The disk holding {db_path} is full: the change was not saved. Free some space and try again."
    )
    assert_plain(message)
    db.close()
    assert integrity(db_path) == ["ok"]
    names = referral_names(db_path)
    assert names[:3] == ["Before-0", "Before-1", "Before-2"]
    assert Database.open(db_path).integrity_check() == ["ok"]


def test_a_database_that_turned_read_only_is_a_plain_error_and_keeps_its_rows(
    db: Database, actor: Actor, new_referral: NewReferral, db_path: Path
) -> None:
    add(db, actor, new_referral, "Before")
    with_pragma(db, "PRAGMA query_only = ON")  # SQLite's own "attempt to write a readonly database"

    with pytest.raises(StorageError) as refused:
        add(db, actor, new_referral, "After")

    assert str(refused.value).startswith(f"Cannot save to {db_path}: the file or its folder is read-only")
    assert_plain(str(refused.value))
    db.close()
    assert referral_names(db_path) == ["Before"]
    assert integrity(db_path) == ["ok"]


def test_other_database_errors_pass_through_transaction_unchanged(db: Database) -> None:
    with pytest.raises(exc.OperationalError, match="no such table"), db.transaction() as session:
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))


def test_a_file_size_limit_hit_while_saving_or_creating_is_a_plain_error(
    db: Database, actor: Actor, new_referral: NewReferral, db_path: Path, tmp_path: Path
) -> None:
    """A real write failure (``RLIMIT_FSIZE``: the kernel refuses to grow a file, as a quota would), in
    a forked child so the limit stays there: saving is refused in words, nothing is half-written, and
    creating a new database under the limit is refused at open."""
    for n in range(3):
        add(db, actor, new_referral, f"Before-{n}")
    db.close()
    limit = db_path.stat().st_size + 64 * 1024
    new_path = tmp_path / "new.db"

    def work() -> str:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG for the writer, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        said = []
        try:
            with Database.open(db_path) as again:
                for n in range(500):
                    add(again, actor, replace(new_referral, reason="x" * 4000), f"After-{n}")
            said.append("saved everything")
        except StorageError as error:
            said.append(f"refused: {error}")
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))
        try:
            Database.open(new_path).close()
            said.append("created")
        except StorageError as error:
            said.append(f"refused: {error}")
        return "\n".join(said)

    saving, creating = _in_child(work).splitlines()

    assert saving.startswith(f"refused: The disk holding {db_path} could not be written"), saving
    assert creating.startswith("refused: The disk holding"), creating
    assert_plain(saving.removeprefix("refused: "))
    assert_plain(creating.removeprefix("refused: "))
    assert integrity(db_path) == ["ok"]
    names = referral_names(db_path)
    assert names[:3] == ["Before-0", "Before-1", "Before-2"] and all(
        n.startswith("After-") for n in names[3:]
    )
    with Database.open(new_path) as created:  # without the limit, the same path makes a sound database
        assert created.integrity_check() == ["ok"]


def _in_child(work: Callable[[], str]) -> str:
    """Run ``work`` in a forked child (its limits stay there) and return what it answered."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            result = work()
        except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the test
            result = f"error: {type(error).__name__}: {error}"
        os.write(write_end, result.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        result = pipe.read().decode()
    os.waitpid(child, 0)
    return result
