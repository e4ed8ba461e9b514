"""Checking the database at start (reliability.md 5): the quick look catches a wrong, empty, cut-off or
newer file and a damaged first page; the full check finds a damaged page deep inside; the newest good
backup is found (a damaged or newer one skipped) and restoring it gives a healthy database."""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from refdesk.demo import build_demo
from refdesk.errors import OperationCancelled
from refdesk.storage import Database, migrate
from refdesk.storage.backup import make_backup, restore
from refdesk.storage.recovery import (
    Health,
    full_check,
    good_backups,
    known_revisions,
    newest_good_backup,
    quick_health,
)

PAGE = 4096
REFERRALS, PARTNERS = 2000, 10


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database of 2,000 referrals (about a thousand pages), built once for the module, closed
    and in rollback-journal mode, so the file alone is the whole database."""
    folder = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REFDESK_HOME", str(folder / "home"))
        with Database.open(folder / "demo.db") as db:
            build_demo(db, referrals=REFERRALS, partners=PARTNERS, seed=1)
    with sqlite3.connect(folder / "demo.db") as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return folder / "demo.db"


@pytest.fixture
def sound(template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the template, as ``copy.db``."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(template, copy)
    return copy


def overwrite(path: Path, page: int, data: bytes = b"\xff" * PAGE) -> None:
    """Put ``data`` over page ``page`` (numbered from 1, as SQLite does)."""
    with path.open("r+b") as handle:
        handle.seek((page - 1) * PAGE)
        handle.write(data)


def leaf_page_in_the_middle(path: Path, table: str) -> int:
    """A leaf page of ``table`` from the middle of its B-tree (``dbstat``; the file's middle without it)."""
    with sqlite3.connect(path) as connection:
        try:
            pages = [
                int(row[0])
                for row in connection.execute(
                    "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,)
                )
            ]
        except sqlite3.OperationalError:
            pages = [path.stat().st_size // PAGE // 2]
    return pages[len(pages) // 2]


def test_a_sound_database_is_ok_for_both_checks(sound: Path) -> None:
    before = sound.read_bytes()
    assert quick_health(sound) == Health(True, None, "ok")
    assert full_check(sound) == Health(True, None, "ok")
    assert sound.read_bytes() == before  # a check only reads


def test_a_damaged_table_page_deep_inside_is_found_by_the_full_check(sound: Path) -> None:
    overwrite(sound, leaf_page_in_the_middle(sound, "referral"))

    health = full_check(sound)

    assert (health.ok, health.kind) == (False, "damaged")
    assert health.problem is not None
    assert health.problem.startswith("copy.db is damaged: SQLite's check found ")
    assert health.problem.endswith(". Restore it from a backup.")


def test_a_damaged_first_page_is_found_by_the_quick_look(sound: Path) -> None:
    overwrite(sound, 1, b"SQLite format 3\x00" + b"\x10\x00" + b"\xff" * (PAGE - 18))

    health = quick_health(sound)

    assert (health.ok, health.kind) == (False, "damaged")
    assert full_check(sound) == health


def test_a_damaged_schema_page_is_found_by_the_quick_look(sound: Path) -> None:
    header = sound.read_bytes()[:100]
    overwrite(sound, 1, header + b"\xff" * (PAGE - 100))  # the header intact, the table of tables gone

    health = quick_health(sound)

    assert (health.ok, health.kind) == (False, "damaged")
    assert health.problem == "copy.db is damaged: its contents cannot be read. Restore it from a backup."


def test_a_file_cut_off_while_being_copied_is_found_by_the_quick_look(sound: Path) -> None:
    data = sound.read_bytes()
    sound.write_bytes(data[: len(data) // 2])

    health = quick_health(sound)

    assert health.kind == "damaged"
    assert health.problem is not None and "shorter than it should be" in health.problem


@pytest.mark.parametrize(
    ("make", "kind", "words"),
    [
        (lambda p: None, "missing", "There is no database at"),
        (lambda p: p.write_bytes(b""), "missing", "is empty"),
        (lambda p: p.mkdir(), "unreadable", "is a folder"),
        (
            lambda p: p.write_bytes(b"PK\x03\x04 a spreadsheet, perhaps" * 200),
            "damaged",
            "does not start like",
        ),
    ],
    ids=["missing", "empty", "folder", "not sqlite"],
)
def test_files_that_are_no_database_say_what_they_are(
    make: Callable[[Path], object], kind: str, words: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.db"
    make(path)

    health = quick_health(path)

    assert (health.ok, health.kind) == (False, kind)
    assert health.problem is not None and words in health.problem
    assert full_check(path) == health


def test_another_programs_database_is_not_taken_for_refdesk(tmp_path: Path) -> None:
    path = tmp_path / "recipes.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipe (name TEXT)")

    assert quick_health(path) == Health(
        False, "recipes.db is not a RefDesk database (it has no alembic_version table).", "damaged"
    )


def test_a_newer_schema_is_newer_and_an_older_known_one_is_ok(sound: Path) -> None:
    with sqlite3.connect(sound) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    assert quick_health(sound) == Health(
        False,
        "copy.db was written by a newer version of RefDesk (schema 9999). "
        "Install the newer version to open it.",
        "newer",
    )

    with sqlite3.connect(sound) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    assert quick_health(sound).ok  # opening upgrades it


def test_the_known_revisions_are_alembics(tmp_path: Path) -> None:
    assert known_revisions() == migrate.known_revisions()
    assert migrate.HEAD_REVISION in known_revisions()


def test_a_file_refdesk_may_not_read_is_unreadable(sound: Path) -> None:
    sound.chmod(0)
    try:
        result = (
            _as_unprivileged(lambda: repr(quick_health(sound)))
            if os.geteuid() == 0
            else repr(quick_health(sound))
        )
    finally:
        sound.chmod(0o600)
    assert "kind='unreadable'" in result and "cannot read" in result, result


def test_a_full_check_can_be_cancelled(sound: Path) -> None:
    with pytest.raises(OperationCancelled):
        full_check(sound, should_stop=lambda: True)


# -- the newest good backup ----------------------------------------------------------------------------


def test_the_newest_good_backup_skips_damaged_and_newer_ones_and_restores_healthy(
    sound: Path, tmp_path: Path
) -> None:
    db_path = sound
    db = Database.open(db_path)
    folder = tmp_path / "backups"
    monday = datetime(2026, 11, 23, 18, 0)
    oldest = make_backup(db, folder, now=monday - timedelta(days=3))
    good = make_backup(db, folder, now=monday - timedelta(days=2))
    newer = make_backup(db, folder, now=monday - timedelta(days=1))
    damaged = make_backup(db, folder, now=monday)
    with sqlite3.connect(newer.path) as connection:  # a backup from a newer RefDesk cannot be restored
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    overwrite(damaged.path, leaf_page_in_the_middle(damaged.path, "referral"))

    found = newest_good_backup(folder)

    assert found is not None and found.path == good.path
    assert (found.referrals, found.partners) == (REFERRALS, PARTNERS)
    assert [b.path for b in good_backups(folder)] == [good.path, oldest.path]

    # The database itself is damaged; restoring the newest good backup makes it healthy again.
    db.close()
    overwrite(db_path, leaf_page_in_the_middle(db_path, "referral"))
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    assert full_check(db_path).kind == "damaged"

    restore(found.path, db_path)

    assert quick_health(db_path).ok and full_check(db_path).ok
    with Database.open(db_path) as restored:
        assert restored.integrity_check() == ["ok"]


def test_no_good_backup_is_none(tmp_path: Path) -> None:
    assert newest_good_backup(tmp_path / "none") is None
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "refdesk-2026-11-23T080000.db").write_bytes(b"garbage" * 1000)
    assert newest_good_backup(folder) is None
    assert good_backups(folder) == []


def _as_unprivileged(work: Callable[[], str]) -> str:
    """Run ``work`` in a forked child that dropped root (root reads any file), and return its answer."""
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
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
