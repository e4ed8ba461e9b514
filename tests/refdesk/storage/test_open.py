"""Opening a database RefDesk cannot use is refused with a message for the person at the desk (a
StorageError, never a traceback), and the refusal leaves the file as it was and not held open."""

from __future__ import annotations

import os
import pwd
import random
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from refdesk.errors import StorageError
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
