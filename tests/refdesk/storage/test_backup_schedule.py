"""The automatic backup (reliability.md 4): one finished backup a day is enough; each run clears what
interrupted backups left, makes a verified backup and prunes; a cancelled run changes nothing."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from refdesk.errors import OperationCancelled, StorageError
from refdesk.storage import Database
from refdesk.storage.backup import backup_name, list_backups
from refdesk.storage.backup_schedule import automatic_backup, backup_due_today

NOW = datetime(2026, 11, 23, 9, 15)  # a Monday morning


def test_a_backup_is_due_until_one_finished_today(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    assert backup_due_today(folder, NOW)  # no folder yet

    folder.mkdir()
    (folder / backup_name(NOW - timedelta(days=1))).write_bytes(b"")  # yesterday's
    (folder / f"{backup_name(NOW.replace(hour=8))}.tmp").write_bytes(b"")  # today's, unfinished
    assert backup_due_today(folder, NOW)

    automatic_backup(db, folder, now=NOW)

    assert not backup_due_today(folder, NOW)
    assert not backup_due_today(folder, NOW.replace(hour=23, minute=59))
    assert backup_due_today(folder, NOW + timedelta(days=1))


def test_the_automatic_backup_clears_leftovers_backs_up_and_prunes(
    db: Database, referral_id: int, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    for days in range(1, 21):  # three weeks of daily backups (empty files: only their names matter)
        (folder / backup_name(NOW - timedelta(days=days))).write_bytes(b"")
    leftover = folder / f"{backup_name(NOW - timedelta(days=2))}.tmp"
    leftover.write_bytes(b"half a backup")
    hours_ago = datetime.now().timestamp() - 3 * 3600
    os.utime(leftover, (hours_ago, hours_ago))

    info = automatic_backup(db, folder, now=NOW)

    assert info.path == folder / backup_name(NOW)
    assert info.referrals == 1
    assert not leftover.exists()
    kept = list_backups(folder)
    assert kept[0].path == info.path
    assert len({b.day for b in kept}) == len(kept)  # one a day at most
    # today and the 13 days before it that have a backup, plus older weeks' newest
    assert {b.day for b in kept} >= {(NOW - timedelta(days=d)).date() for d in range(14)}
    assert len(kept) < 21


def test_a_cancelled_automatic_backup_writes_nothing_and_prunes_nothing(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / backup_name(NOW - timedelta(days=d)) for d in range(1, 40)]
    for path in old:
        path.write_bytes(b"")

    with pytest.raises(OperationCancelled):
        automatic_backup(db, folder, now=NOW, should_stop=lambda: True)

    assert sorted(folder.iterdir()) == sorted(old)
    assert backup_due_today(folder, NOW)


def test_a_failed_automatic_backup_is_a_plain_error_and_prunes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / backup_name(NOW - timedelta(days=d)) for d in range(1, 40)]
    for path in old:
        path.write_bytes(b"")

    with pytest.raises(StorageError, match="No database at"):
        automatic_backup(tmp_path / "gone.db", folder, now=NOW)

    assert sorted(folder.iterdir()) == sorted(old)


def test_progress_is_reported_to_the_end(db: Database, referral_id: int, tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []

    automatic_backup(
        db, tmp_path / "backups", now=NOW, progress=lambda done, total: steps.append((done, total))
    )

    assert steps and steps[-1][0] == steps[-1][1] > 0
