"""``refdesk backup`` and ``refdesk restore``: the database's backups, from a scheduled task or a terminal.

    refdesk backup [--to DIR] [--db PATH]      (default folder: "backups" in the data folder)
    refdesk restore FILE [--db PATH]           (refused while RefDesk is open on the database)

A backup is verified before it counts, then the folder is pruned to the last 14 daily and 8 weekly
backups (and the leftovers of interrupted backups are removed). A restore holds the database's instance
lock, so it refuses while RefDesk runs on it and no RefDesk starts meanwhile; it verifies the backup
first and keeps the current database aside, next to it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from refdesk.cli.report import DbOption
from refdesk.errors import StorageError
from refdesk.paths import backup_dir, default_database_path


def register(commands: Any, db_option: DbOption) -> None:
    """Add ``backup`` and ``restore`` to the ``refdesk`` parser's subcommands."""
    backup = commands.add_parser(
        "backup", help="back up the database now (verified), and prune the old backups"
    )
    backup.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="the backup folder (default: 'backups' in your data folder)",
    )
    db_option(backup, argparse.SUPPRESS)
    backup.set_defaults(command=run_backup)

    restore = commands.add_parser(
        "restore",
        help="put a backup in place of the database (close RefDesk first)",
        description=(
            "Put a backup in place of the database. Close RefDesk first: a restore is refused while "
            "RefDesk is open on the database. The backup is checked before anything changes, and the "
            "current database is kept aside next to it (.before-restore-<time>)."
        ),
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup file to restore")
    db_option(restore, argparse.SUPPRESS)
    restore.set_defaults(command=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from refdesk.storage.backup import make_backup, prune, remove_stale_temporaries

    source = getattr(args, "db", None) or default_database_path()
    folder = args.to if args.to is not None else backup_dir()
    remove_stale_temporaries(folder)
    info = make_backup(Path(source), folder)
    pruned = prune(folder)
    count = info.referrals or 0
    print(
        f"Wrote {info.path} ({count:,} referral{'' if count == 1 else 's'}); "
        f"pruned {len(pruned)} older backup{'' if len(pruned) == 1 else 's'}"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from refdesk.storage.backup import restore
    from refdesk.storage.instance import exclusive

    target = Path(getattr(args, "db", None) or default_database_path()).expanduser()
    if not Path(args.file).expanduser().is_file():
        raise StorageError(f"No backup at {args.file}.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"Cannot create the folder {target.parent}: {error.strerror}.") from error
    with exclusive(target):
        aside = restore(args.file, target)
    where = f"; the previous database is kept as {aside}" if aside else " (there was no database before)"
    print(f"Restored {args.file} to {target}{where}")
    return 0
