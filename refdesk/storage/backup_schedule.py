"""The automatic backup: once a day, after the first change of the day and on exit (reliability.md 4).

The desk never has to remember backups. The GUI asks ``backup_due_today`` after the first committed
change of each day (``Database.add_write_listener``) and when the window closes, and if one is due runs
``automatic_backup`` on a worker thread. Only finished backups count: a backup killed midway leaves a
``.tmp`` file, which is not a backup, so the next chance tries again (and clears the leftover once it
is an hour old).

No Qt here: the same calls serve a scheduled ``refdesk backup``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from refdesk.storage.backup import (
    BackupInfo,
    Progress,
    ShouldStop,
    backup_files,
    make_backup,
    prune,
    remove_stale_temporaries,
)
from refdesk.storage.database import Database

log = logging.getLogger(__name__)


def backup_due_today(folder: Path, now: datetime | None = None) -> bool:
    """True when ``folder`` holds no finished backup dated today (by the names alone: quick)."""
    today = (now or datetime.now()).date()
    return all(taken_at.date() != today for _, taken_at in backup_files(folder))


def automatic_backup(
    db: Database | Path,
    folder: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> BackupInfo:
    """Clear what interrupted backups left, back up (verified), then prune to 14 daily and 8 weekly.

    Pruning runs only after the new backup counts, so a failing backup never costs an old one; a
    backup that could not be pruned (a file another program holds) is still a good backup.

    Raises:
        StorageError: the backup could not be made (the message says why, in plain words).
        OperationCancelled: ``should_stop()`` said so; nothing was written and nothing pruned.
    """
    moment = now or datetime.now()
    remove_stale_temporaries(folder)
    info = make_backup(db, folder, now=moment, progress=progress, should_stop=should_stop)
    try:
        prune(folder, now=moment)
    except OSError as error:
        log.warning("old backups not pruned: %s", error.strerror or type(error).__name__)
    return info
