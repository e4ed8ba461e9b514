"""Backups (reliability.md 4): made with the backup API while the desk keeps writing, verified, private;
pruned to the last 14 daily and 8 weekly; restored only from a sound RefDesk file, the old one kept aside."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from refdesk import paths
from refdesk.errors import OperationCancelled, StorageError
from refdesk.services.actor import Actor
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database, backup, backup_schedule
from refdesk.storage.backup import (
    backup_name,
    list_backups,
    make_backup,
    prune,
    remove_stale_temporaries,
    restore,
)
from refdesk.storage.recovery import good_backups, newest_good_backup
from tests.refdesk.storage.helpers import Child


def referral_count(path: Path) -> int:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM referral").fetchone()[0])
    finally:
        connection.close()


def integrity(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def add_referrals(db: Database, actor: Actor, form: NewReferral, n: int) -> None:
    for i in range(n):
        create_referral(db, actor, replace(form, patient_last_name=f"Nguyễn-{i}"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_taken_while_another_thread_writes_opens_sound_with_the_rows_committed_before(
    db: Database, actor: Actor, new_referral: NewReferral, tmp_path: Path
) -> None:
    add_referrals(db, actor, new_referral, 50)
    before = referral_count(db.path)  # type: ignore[arg-type]
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                written.append(create_referral(db, actor, new_referral))
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:  # the writer is really going
            threading.Event().wait(0.01)
        info = make_backup(db, tmp_path / "backups")
        written_by_then = len(written)
    finally:
        stop.set()
        thread.join(timeout=60)

    assert errors == [] and written_by_then >= 5
    assert info.path.name.startswith("refdesk-") and info.path.suffix == ".db"
    assert integrity(info.path) == ["ok"]
    assert referral_count(info.path) >= before + 5
    assert info.referrals == referral_count(info.path)
    assert mode(info.path) == 0o600
    assert [p.name for p in info.path.parent.iterdir()] == [info.path.name]  # no .tmp, no -wal left
    with Database.open(info.path) as copy:
        assert copy.integrity_check() == ["ok"]


def test_a_backup_of_a_path_is_named_by_its_time_and_listed_newest_first(
    db: Database, referral_id: int, db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    first = make_backup(db_path, folder, now=datetime(2026, 11, 23, 15, 30, 12))
    second = make_backup(db, folder, now=datetime(2026, 11, 24, 8, 0, 0))
    (folder / "refdesk-2026-11-25T080000.db.tmp").write_bytes(b"half a backup")
    (folder / "holiday.jpg").write_bytes(b"not ours")

    assert first.path == folder / "refdesk-2026-11-23T153012.db"
    listed = list_backups(folder)
    assert [b.path for b in listed] == [second.path, first.path]
    assert listed[0].referrals == 1 and listed[0].size == second.path.stat().st_size
    assert listed[0].taken_at == datetime(2026, 11, 24, 8, 0, 0)


def test_a_backup_of_a_file_that_is_not_a_database_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 500)
    folder = tmp_path / "backups"

    with pytest.raises(StorageError, match="no backup was made"):
        make_backup(junk, folder)
    assert list(folder.iterdir()) == []
    with pytest.raises(StorageError, match="No database at"):
        make_backup(tmp_path / "missing.db", folder)


def test_prune_keeps_the_newest_of_the_last_14_days_and_of_the_last_8_weeks(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime(2026, 11, 23, 18, 0)  # a Monday
    moments = [now - timedelta(days=d, hours=h) for d in range(120) for h in (1, 5)]
    moments.append(now + timedelta(days=2))  # a clock set wrong: kept, never counted
    for moment in moments:
        (folder / backup_name(moment)).write_bytes(b"")
    strangers = ["refdesk.db", "refdesk-2020-01-01T000000.db.tmp", "notes-2020-01-01T000000.db"]
    for name in strangers:
        (folder / name).write_bytes(b"")

    deleted = prune(folder, now=now)

    daily = {backup_name(now - timedelta(days=d, hours=1)) for d in range(14)}
    # the newest backup of each ISO week: the Sunday 17:00 one, except this week's (today, 17:00)
    sundays = {backup_name(datetime(2026, 11, 22, 17) - timedelta(weeks=w)) for w in range(7)}
    weekly = {backup_name(now - timedelta(hours=1))} | sundays
    expected = daily | weekly | {backup_name(now + timedelta(days=2))} | set(strangers)
    assert {p.name for p in folder.iterdir()} == expected
    assert len(deleted) == len(moments) - len(daily | weekly) - 1
    assert prune(folder, now=now) == []  # a second run has nothing left to do


def test_prune_never_deletes_the_last_backups_after_a_long_pause(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [datetime(2025, 1, 1) + timedelta(days=d) for d in range(3)]
    for moment in old:
        (folder / backup_name(moment)).write_bytes(b"")

    assert prune(folder, now=datetime(2026, 11, 23)) == []


def test_restore_brings_back_the_backups_rows_and_keeps_the_old_database_aside(
    db_path: Path, actor: Actor, new_referral: NewReferral, db: Database, tmp_path: Path
) -> None:
    add_referrals(db, actor, new_referral, 3)
    backup = make_backup(db, tmp_path / "backups").path
    add_referrals(db, actor, new_referral, 4)
    db.close()

    aside = restore(backup, db_path, now=datetime(2026, 11, 23, 15, 30))

    assert aside == db_path.with_name("test.db.before-restore-2026-11-23T153000")
    assert referral_count(aside) == 7
    assert referral_count(db_path) == 3
    assert mode(db_path) == 0o600
    assert not Path(f"{db_path}-wal").exists()
    assert sorted(p.name for p in db_path.parent.glob("test.db.restore*")) == []
    with Database.open(db_path) as restored:
        assert restored.integrity_check() == ["ok"]
        create_referral(restored, actor, new_referral)  # usable at once
    assert referral_count(db_path) == 4


def damage(path: Path) -> None:
    """Overwrite pages in the middle of the file with garbage."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2 - 8192)
        handle.write(bytes(range(256)) * 64)


@pytest.mark.parametrize("kind", ["damaged", "foreign", "newer", "not sqlite"])
def test_restore_refuses_a_damaged_or_foreign_file_and_leaves_the_database_untouched(
    kind: str, db: Database, actor: Actor, new_referral: NewReferral, db_path: Path, tmp_path: Path
) -> None:
    add_referrals(db, actor, new_referral, 80 if kind == "damaged" else 1)  # pages to damage
    bad = make_backup(db, tmp_path / "backups").path
    db.close()
    if kind == "damaged":
        damage(bad)
    elif kind == "foreign":
        bad.unlink()
        other = sqlite3.connect(bad)
        other.execute("CREATE TABLE recipe (name TEXT)")
        other.commit()
        other.close()
    elif kind == "newer":
        newer = sqlite3.connect(bad)
        newer.execute("UPDATE alembic_version SET version_num = '9999'")
        newer.commit()
        newer.close()
    else:
        bad.write_bytes(b"PK\x03\x04 a spreadsheet, perhaps" * 100)
    before = db_path.read_bytes()
    folder_before = sorted(p.name for p in db_path.parent.iterdir())

    with pytest.raises(StorageError, match="current database was not changed") as refused:
        restore(bad, db_path)

    assert bad.name in str(refused.value)
    expected = {"damaged": "damaged", "foreign": "not a RefDesk", "newer": "newer version", "not sqlite": ""}
    assert expected[kind] in str(refused.value)
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == folder_before


def test_the_default_backup_folder_is_in_the_data_folder_and_private(refdesk_home: Path) -> None:
    folder = paths.backup_dir()
    assert folder == refdesk_home / "backups" and folder.is_dir()
    assert mode(folder) == 0o700


# -- cancel, leftovers of interrupted backups, what a backup holds ---------------------------------------


def big_database(path: Path, megabytes: int) -> None:
    """A RefDesk database made large with a filler table (what matters to a backup is the page count)."""
    Database.open(path).close()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE filler (b BLOB)")
    connection.executemany("INSERT INTO filler VALUES (randomblob(1048576))", [()] * megabytes)
    connection.commit()
    connection.close()


@pytest.mark.parametrize("when", ["before", "between steps", "during the check"])
def test_a_cancelled_backup_stops_and_leaves_no_file(
    when: str, db: Database, referral_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "PAGES_PER_STEP", 4)
    folder = tmp_path / "backups"
    steps: list[tuple[int, int]] = []
    asked: list[bool] = []

    def should_stop() -> bool:
        if when == "before":
            stop = True
        elif when == "between steps":
            stop = len(steps) == 2
        else:  # the copy is complete: only the check is left
            stop = bool(steps) and steps[-1][0] == steps[-1][1]
        asked.append(stop)
        return stop

    with pytest.raises(OperationCancelled, match="no backup was made"):
        make_backup(
            db, folder, progress=lambda done, total: steps.append((done, total)), should_stop=should_stop
        )

    assert not folder.exists() or list(folder.iterdir()) == []
    assert list_backups(folder) == []
    if when == "between steps":
        assert len(steps) == 2 and steps[-1][0] < steps[-1][1]  # stopped before the copy was done
    make_backup(db, folder)  # nothing left in the way of the next one


def test_a_backup_counts_its_referrals_and_partners(
    db: Database, referral_id: int, partner_id: int, tmp_path: Path
) -> None:
    info = make_backup(db, tmp_path / "backups")

    assert (info.referrals, info.partners) == (1, 1)
    [listed] = list_backups(tmp_path / "backups")
    assert (listed.referrals, listed.partners) == (1, 1)
    info.path.write_bytes(b"not a database any more")
    [broken] = list_backups(tmp_path / "backups")
    assert (broken.referrals, broken.partners) == (None, None)


def test_stale_temporaries_are_removed_but_a_running_backups_file_and_strangers_are_kept(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    names = {
        "old": "refdesk-2026-11-20T080000.db.tmp",
        "old journal": "refdesk-2026-11-20T080000.db.tmp-journal",
        "young": "refdesk-2026-11-23T080000.db.tmp",
        "backup": "refdesk-2026-11-19T080000.db",
        "stranger": "holiday-2026-11-20T080000.db.tmp",
    }
    for name in names.values():
        (folder / name).write_bytes(b"x")
    two_hours_ago = datetime.now().timestamp() - 7200
    for key in ("old", "old journal", "backup", "stranger"):
        os.utime(folder / names[key], (two_hours_ago, two_hours_ago))

    removed = remove_stale_temporaries(folder)

    assert sorted(p.name for p in removed) == sorted([names["old"], names["old journal"]])
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [names["young"], names["backup"], names["stranger"]]
    )
    assert remove_stale_temporaries(folder, older_than=timedelta(0)) == [folder / names["young"]]
    assert remove_stale_temporaries(tmp_path / "no such folder") == []


@pytest.mark.slow
def test_a_backup_killed_midway_is_never_listed_nor_offered(tmp_path: Path) -> None:
    source = tmp_path / "big.db"
    big_database(source, 24)
    folder = tmp_path / "backups"

    with Child("backup_child.py", str(source), str(folder), log=tmp_path / "child.log") as child:
        child.wait(lambda lines: len(lines) >= 5, "five steps")
        child.kill()
    steps = [line.split() for line in child.lines]
    assert all(word == "step" for word, *_ in steps) and int(steps[-1][1]) < int(steps[-1][2])

    leftovers = sorted(folder.iterdir())  # the unfinished copy, and its rollback journal
    assert leftovers[0].name.endswith(".db.tmp")
    assert all(p.name.startswith(leftovers[0].name) for p in leftovers)
    assert list_backups(folder) == []
    assert newest_good_backup(folder) is None and good_backups(folder) == []
    assert backup_schedule.backup_due_today(folder)

    assert sorted(remove_stale_temporaries(folder, older_than=timedelta(0))) == leftovers
    assert list(folder.iterdir()) == []
