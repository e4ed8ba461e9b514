"""A restore asked for while RefDesk is open, done by start-up once the database is closed.

A restore must not happen under an open database (on Windows the file cannot even be moved while open),
and the desk's windows, workers and caches all hold the database. So the Backups dialog does not
restore by itself: it writes down which backup to restore for which database and closes the session.
Start-up (``ui.startup.desk``) takes the request once the session has ended and the database is closed,
restores, and opens the database again for sign-in, all in the same run of RefDesk.

The request is kept in the workstation file rather than in memory, so that if RefDesk stops in between
(a crash, a power cut), the next start finds it and asks before doing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from refdesk.paths import set_workstation_setting, workstation_setting

KEY = "pending_restore"


@dataclass(frozen=True)
class PendingRestore:
    backup: Path
    database: Path
    asked_at: datetime


def request(database: Path, backup: Path, *, now: datetime | None = None) -> None:
    """Ask for ``backup`` to be put in place of ``database`` when its session ends."""
    moment = (now or datetime.now()).replace(microsecond=0)
    set_workstation_setting(
        KEY,
        {
            "backup": str(Path(backup).resolve()),
            "database": str(Path(database).resolve()),
            "asked_at": moment.isoformat(),
        },
    )


def cancel() -> None:
    """Forget the request (the session could not be closed, or the person said no)."""
    set_workstation_setting(KEY, None)


def take(database: Path) -> PendingRestore | None:
    """The request for ``database``, removed from the file; None when there is none for it (a request
    for another database file is left for that one)."""
    value = workstation_setting(KEY)
    if not isinstance(value, dict):
        return None
    try:
        found = PendingRestore(
            backup=Path(str(value["backup"])),
            database=Path(str(value["database"])),
            asked_at=datetime.fromisoformat(str(value["asked_at"])),
        )
    except (KeyError, ValueError):
        cancel()  # unreadable: no restore happens by accident
        return None
    if found.database != Path(database).resolve():
        return None
    cancel()
    return found
