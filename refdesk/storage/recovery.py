"""Is this database fit to use, and which backup would bring it back? (reliability.md 5)

SQLite's ``PRAGMA quick_check`` reads every page: about 1 s at 100,000 referrals, but 100 s on the
1.7 GB million-referral file when the disk cache is cold. Start-up cannot wait for that, so the check
comes in two parts:

* ``quick_health`` (milliseconds at any size, run before the window opens): the file is there and
  readable, starts like a database, is not shorter than its header says, its schema reads, it is a
  RefDesk database no newer than this RefDesk, and the main tables answer a query at both ends of their
  B-trees. It catches a wrong file, a truncated copy, a damaged first page and a newer schema.
* ``full_check`` (``quick_check`` on a read-only connection, cancellable): for a worker thread right
  after start; a damaged page deep in the file shows up here.

Both return a ``Health`` and never raise for a bad file: the recovery screen shows ``problem`` (plain
words, never patient data) and offers ``newest_good_backup``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from refdesk.errors import OperationCancelled
from refdesk.storage import migrate
from refdesk.storage.backup import BackupInfo, ShouldStop, backup_files, backup_info

Kind = Literal["ok", "missing", "damaged", "unreadable", "newer"]

SQLITE_MAGIC = b"SQLite format 3\x00"
#: The tables whose first and last rows ``quick_health`` reads: what the desk shows first.
MAIN_TABLES = ("referral", "partner", "staff", "status_event", "contact_attempt", "audit_event")
#: SQLite virtual-machine steps between two looks at ``should_stop`` during ``quick_check``.
_STOP_CHECK_STEPS = 10_000
_TIMEOUT_SECONDS = 2.0
_REVISION_LINE = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@dataclass(frozen=True)
class Health:
    """The verdict on one file: ``ok``, or the ``kind`` of problem and a sentence for the user."""

    ok: bool
    problem: str | None
    kind: Kind

    @classmethod
    def good(cls) -> Health:
        return cls(True, None, "ok")

    @classmethod
    def bad(cls, kind: Kind, problem: str) -> Health:
        return cls(False, problem, kind)


def quick_health(path: Path) -> Health:
    """A fast look at the database file at ``path`` (milliseconds whatever its size); never raises.

    An empty file counts as ``missing``: it holds nothing (a first start interrupted before any table
    was written), and opening it creates a new database.
    """
    path = Path(path).expanduser()
    try:
        header = _read_header(path)
    except FileNotFoundError:
        return Health.bad("missing", f"There is no database at {path}.")
    except IsADirectoryError:
        return Health.bad("unreadable", f"{path} is a folder, not a database file.")
    except OSError as error:
        return Health.bad("unreadable", _unreadable(path, error))
    if not header:
        return Health.bad("missing", f"{path.name} is empty: it holds no data yet.")
    problem = _header_problem(path, header)
    if problem:
        return Health.bad("damaged", _damaged(path, problem))
    try:
        with _read_only(path) as connection:
            return _schema_health(path, connection)
    except sqlite3.Error as error:
        return _from_sqlite_error(path, error, "its contents cannot be read")


def full_check(path: Path, *, should_stop: ShouldStop | None = None) -> Health:
    """``quick_health``, then SQLite's ``quick_check`` of every page on a read-only connection.

    For a worker thread: seconds to minutes on a large file. Never raises for a bad file.

    Raises:
        OperationCancelled: ``should_stop()`` said so (the window closed, say).
    """
    path = Path(path).expanduser()
    health = quick_health(path)
    if not health.ok:
        return health
    stop = should_stop or (lambda: False)
    try:
        with _read_only(path) as connection:
            connection.set_progress_handler(lambda: 1 if stop() else 0, _STOP_CHECK_STEPS)
            problems = [str(row[0]) for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.Error as error:
        if stop():
            raise OperationCancelled("The check of the database was cancelled.") from None
        return _from_sqlite_error(path, error, "SQLite's check found a page it cannot read")
    if problems != ["ok"]:
        count = len(problems)
        found = f"{count} problem{'' if count == 1 else 's'}" if count < 100 else "many problems"
        return Health.bad("damaged", _damaged(path, f"SQLite's check found {found} in its pages"))
    return Health.good()


def newest_good_backup(folder: Path, *, should_stop: ShouldStop | None = None) -> BackupInfo | None:
    """The newest backup in ``folder`` that passes ``full_check`` (a damaged or newer one is skipped),
    or ``None``. Checks the candidates newest first and stops at the first good one."""
    return next(_good_backups(folder, should_stop), None)


def good_backups(folder: Path, *, should_stop: ShouldStop | None = None) -> list[BackupInfo]:
    """Every backup in ``folder`` that passes ``full_check``, newest first (each file read in full)."""
    return list(_good_backups(folder, should_stop))


def known_revisions() -> set[str]:
    """The schema revisions this RefDesk knows, read from the migration scripts' text: the same answer
    as ``migrate.known_revisions()`` without importing Alembic (about 2 s on a cold start), which an
    older database would otherwise cost the quick look."""
    found: set[str] = set()
    try:
        for script in (migrate.MIGRATIONS_DIR / "versions").glob("*.py"):
            match = _REVISION_LINE.search(script.read_text(encoding="utf-8"))
            if match:
                found.add(match.group(1))
    except OSError:
        found = set()
    return found or migrate.known_revisions()


# -- the pieces ---------------------------------------------------------------------------------------


def _good_backups(folder: Path, should_stop: ShouldStop | None) -> Iterator[BackupInfo]:
    for path, _taken_at in backup_files(folder):
        if full_check(path, should_stop=should_stop).ok:
            info = backup_info(path)
            if info is not None:
                yield info


def _read_header(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(100)


def _header_problem(path: Path, header: bytes) -> str | None:
    """What the first 100 bytes (SQLite's file header) say is wrong, or None."""
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "it does not start like a database file"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "its first page is damaged"
    # The page count in the header is valid when its change counter matches (SQLite 3.7.0 and later).
    pages, counter, valid_for = (int.from_bytes(header[i : i + 4], "big") for i in (28, 24, 92))
    wal = Path(f"{path}-wal")
    wal_empty = not wal.exists() or wal.stat().st_size == 0
    if pages and counter == valid_for and wal_empty and path.stat().st_size < pages * page_size:
        return "it is shorter than it should be (cut off while being copied?)"
    return None


def _schema_health(path: Path, connection: sqlite3.Connection) -> Health:
    tables = {str(row[0]) for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = [name for name in ("alembic_version", *MAIN_TABLES) if name not in tables]
    if missing:
        return Health.bad("damaged", f"{path.name} is not a RefDesk database (it has no {missing[0]} table).")
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    revision = None if row is None else str(row[0])
    if revision is None:
        return Health.bad("damaged", _damaged(path, "its schema version is missing"))
    if revision != migrate.HEAD_REVISION and revision not in known_revisions():
        return Health.bad(
            "newer",
            f"{path.name} was written by a newer version of RefDesk (schema {revision}). "
            "Install the newer version to open it.",
        )
    for table in MAIN_TABLES:
        # Both ends of each table's B-tree: a damaged root or edge page fails here, in microseconds.
        for order in ("ASC", "DESC"):
            connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid {order} LIMIT 1').fetchall()
    return Health.good()


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=_TIMEOUT_SECONDS)) as connection:
        yield connection


def _from_sqlite_error(path: Path, error: sqlite3.Error, what: str) -> Health:
    message = str(error).lower()
    if "locked" in message or "busy" in message:
        return Health.bad("unreadable", f"{path.name} is in use by another program. Try again in a moment.")
    if "unable to open" in message or "readonly" in message or "permission" in message:
        return Health.bad("unreadable", _unreadable(path, None))
    return Health.bad("damaged", _damaged(path, what))


def _damaged(path: Path, why: str) -> str:
    return f"{path.name} is damaged: {why}. Restore it from a backup."


def _unreadable(path: Path, error: OSError | None) -> str:
    reason = f" ({(error.strerror or str(error)).lower()})" if error is not None else ""
    return f"RefDesk cannot read {path}{reason}: check that the file and its folder may be read and written."
