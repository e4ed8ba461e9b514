"""Backups of the database, and restoring one (reliability.md 4).

A backup is made with SQLite's backup API (never a file copy of a live database) into ``<name>.tmp``
in the backup folder, checked with ``PRAGMA integrity_check``, flushed to disk and only then renamed to
its final name (``refdesk-2026-11-23T153012.db``). A backup killed midway therefore leaves at most a
``.tmp`` file, which is never listed nor offered for restore. Backups are self-contained files (rollback
journal, no ``-wal`` beside them) readable by their owner only.

The copy runs inside one read transaction on the source: in WAL mode a reader never blocks a writer,
and a writer never forces the copy to start over, so a backup completes while the desk keeps working.
Pages are copied in steps, which keeps room for a progress report and cancel: a cancelled backup stops
between steps (or interrupts its check) and leaves no file. ``.tmp`` files that an interrupted backup left
(a crash, a power cut) are removed by ``remove_stale_temporaries`` once they are clearly nobody's work.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from refdesk.errors import OperationCancelled, StorageError
from refdesk.storage import migrate
from refdesk.storage.database import Database
from refdesk.storage.engine import BUSY_TIMEOUT_MS

#: ``refdesk-YYYY-MM-DDTHHMMSS.db``: the only files ``list_backups`` and ``prune`` ever look at.
BACKUP_NAME = re.compile(r"^refdesk-(\d{4}-\d{2}-\d{2}T\d{6})\.db$")
#: What an interrupted backup leaves behind: its temporary file (and that file's rollback journal).
TEMPORARY_NAME = re.compile(r"^refdesk-\d{4}-\d{2}-\d{2}T\d{6}\.db\.tmp(-journal)?$")
_STAMP = "%Y-%m-%dT%H%M%S"
#: Pages copied per step of the backup API (4 MiB at the default page size).
PAGES_PER_STEP = 1024
FILE_MODE = 0o600
#: SQLite virtual-machine steps between two looks at ``should_stop`` during the backup's check.
_STOP_CHECK_STEPS = 10_000
CANCELLED = "The backup was cancelled: no backup was made."

Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    size: int
    #: Referrals in the backup, read from the file read-only; ``None`` when the file cannot be read.
    referrals: int | None
    #: Partner practices in the backup, read the same way (the restore screen shows both).
    partners: int | None = None

    @property
    def day(self) -> date:
        return self.taken_at.date()


def backup_name(taken_at: datetime) -> str:
    return f"refdesk-{taken_at.strftime(_STAMP)}.db"


def make_backup(
    source: Database | Path,
    folder: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> BackupInfo:
    """Back up the database (an open ``Database`` or the path of its file) into ``folder``.

    ``progress(done, total)`` is called after each step of pages; ``should_stop()`` is asked between
    steps and during the check (for a Cancel button, or the window closing).

    Raises:
        StorageError: the folder cannot be written, the disk is full, or the source is damaged or is
            not a database; no backup file is left behind then.
        OperationCancelled: ``should_stop()`` said so; no backup file is left behind.
    """
    stop = should_stop or _never
    if stop():
        raise OperationCancelled(CANCELLED)
    source_path = _source_path(source)
    if not source_path.is_file():
        raise StorageError(f"No database at {source_path}.")
    taken_at = (now or datetime.now()).replace(microsecond=0)
    folder = Path(folder).expanduser()
    try:
        # A folder made here is the owner's only (it will hold every patient); one that exists is left
        # as its owner set it (a USB disk's folder), the backups in it are private anyway.
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"Cannot create the backup folder {folder}: {_reason(error)}.") from error
    final = folder / backup_name(taken_at)
    temporary = folder / f"{final.name}.tmp"
    try:
        _create_private(temporary)
        with _connect(source_path) as src, _connect(temporary) as dst:
            # One read snapshot for the whole copy: committed rows as of now, whatever is written later.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            src.backup(dst, pages=PAGES_PER_STEP, progress=_step_reporter(progress, stop))
            src.execute("COMMIT")
            # The copy carries the source's WAL flag; a backup is one self-contained file instead.
            dst.execute("PRAGMA journal_mode=DELETE").fetchone()
            dst.set_progress_handler(lambda: 1 if stop() else 0, _STOP_CHECK_STEPS)
            problems = _integrity_problems(dst)
        if stop():
            raise OperationCancelled(CANCELLED)
        if problems:
            raise StorageError(
                f"The backup of {source_path.name} failed its integrity check ({problems[0]}); "
                "the database itself may be damaged. Run 'refdesk check'."
            )
        _fsync_file(temporary)
        os.replace(temporary, final)
        _fsync_dir(folder)
    except sqlite3.Error as error:
        _remove_quietly(temporary)
        if stop():  # the check was interrupted on purpose
            raise OperationCancelled(CANCELLED) from None
        raise StorageError(_describe(source_path, error)) from error
    except OSError as error:
        _remove_quietly(temporary)
        raise StorageError(f"Cannot write the backup in {folder}: {_reason(error)}.") from error
    except BaseException:
        _remove_quietly(temporary)
        raise
    return _info(final, taken_at)


def list_backups(folder: Path) -> list[BackupInfo]:
    """The finished backups in ``folder`` (never a ``.tmp`` left by an interrupted one), newest first.

    Each file is opened read-only to count its rows; ``backup_files`` only reads the names."""
    return [_info(path, taken_at) for path, taken_at in backup_files(folder)]


def backup_info(path: Path) -> BackupInfo | None:
    """One finished backup's ``BackupInfo`` (rows counted read-only); None when the file is not named
    like one of RefDesk's backups or is gone."""
    path = Path(path)
    match = BACKUP_NAME.match(path.name)
    if match is None:
        return None
    try:
        return _info(path, datetime.strptime(match.group(1), _STAMP))
    except (ValueError, OSError):
        return None


def backup_files(folder: Path) -> list[tuple[Path, datetime]]:
    """The finished backups' files and times, newest first, from their names alone (no file opened)."""
    return sorted(_backup_files(Path(folder)), key=lambda item: item[1], reverse=True)


def remove_stale_temporaries(folder: Path, older_than: timedelta = timedelta(hours=1)) -> list[Path]:
    """Delete what interrupted backups left in ``folder`` (``refdesk-<time>.db.tmp`` and its journal)
    when untouched for ``older_than``; returns the deleted files.

    A younger ``.tmp`` may be a backup running right now in another process (a scheduled
    ``refdesk backup``): a running backup writes its file step after step, so an hour of silence means
    nobody is writing it. Nothing else in the folder is touched.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    limit = datetime.now().timestamp() - older_than.total_seconds()
    removed = []
    try:
        names = [path for path in folder.iterdir() if TEMPORARY_NAME.match(path.name)]
    except OSError:
        return []  # housekeeping only: an unreadable folder fails the backup itself, in plain words
    for path in names:
        try:
            if path.is_file() and path.stat().st_mtime <= limit:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def prune(folder: Path, *, daily: int = 14, weekly: int = 8, now: datetime | None = None) -> list[Path]:
    """Delete the backups that are not kept; returns the deleted files.

    Kept: the newest backup of each of the last ``daily`` days that have a backup, and the newest of
    each of the last ``weekly`` ISO weeks that have one. Days without a backup (the desk closed for a
    holiday) do not use up the allowance, so a long pause never deletes the last good backups. Backups
    dated after ``now`` (a clock set wrong) are kept and not counted. Only files named like RefDesk's
    backups are touched.
    """
    now = now or datetime.now()
    files = sorted(_backup_files(Path(folder)), key=lambda item: item[1], reverse=True)
    counted = [(path, taken_at) for path, taken_at in files if taken_at <= now]
    keep: set[Path] = {path for path, taken_at in files if taken_at > now}
    keep |= _newest_per_period(counted, lambda moment: moment.date(), daily)
    keep |= _newest_per_period(counted, lambda moment: moment.isocalendar()[:2], weekly)
    deleted = []
    for path, _ in counted:
        if path not in keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            deleted.append(path)
    return deleted


def restore(backup: Path, target_db: Path, *, now: datetime | None = None) -> Path | None:
    """Put ``backup`` in place of ``target_db``; returns where the previous database was put aside
    (``<target>.before-restore-<time>``, with its ``-wal``/``-shm``), or ``None`` when there was none.

    RefDesk must not be running on ``target_db``. The backup is copied next to the target and verified
    there (integrity, RefDesk schema of a known version) before anything is moved; a refusal leaves the
    current database exactly as it was.

    Raises:
        StorageError: the backup is missing, damaged, not a RefDesk database or from a newer RefDesk,
            or the folder cannot be written.
    """
    backup = Path(backup).expanduser()
    target_db = Path(target_db).expanduser()
    if not backup.is_file():
        raise StorageError(f"No backup at {backup}.")
    if target_db.exists() and backup.resolve() == target_db.resolve():
        raise StorageError("That file is the database itself; choose a backup to restore.")
    moment = (now or datetime.now()).replace(microsecond=0)
    staged = target_db.with_name(f"{target_db.name}.restore.tmp")
    try:
        target_db.parent.mkdir(parents=True, exist_ok=True)
        _create_private(staged)
        with _connect(backup, read_only=True) as src, _connect(staged) as dst:
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=DELETE").fetchone()
            _verify_refdesk(dst, backup)
        _fsync_file(staged)
        aside = _put_aside(target_db, moment)
        os.replace(staged, target_db)
        _fsync_dir(target_db.parent)
    except sqlite3.Error as error:
        _remove_quietly(staged)
        raise StorageError(
            f"{backup.name} is damaged or is not a RefDesk backup ({error}); "
            "the current database was not changed."
        ) from error
    except OSError as error:
        _remove_quietly(staged)
        raise StorageError(f"Cannot restore into {target_db.parent}: {_reason(error)}.") from error
    except BaseException:
        _remove_quietly(staged)
        raise
    return aside


# -- the pieces ---------------------------------------------------------------------------------------


def _source_path(source: Database | Path) -> Path:
    if isinstance(source, Database):
        if source.path is None:
            raise StorageError("Only a database file can be backed up this way.")
        return source.path
    return Path(source).expanduser()


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection in autocommit mode (RefDesk writes its own BEGIN), closed at the end."""
    if read_only:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.isolation_level = None
    try:
        yield connection
    finally:
        connection.close()


def _integrity_problems(connection: sqlite3.Connection) -> list[str]:
    return [str(row[0]) for row in connection.execute("PRAGMA integrity_check") if row[0] != "ok"]


def _verify_refdesk(connection: sqlite3.Connection, backup: Path) -> None:
    unchanged = "the current database was not changed"
    problems = _integrity_problems(connection)
    if problems:
        raise StorageError(f"{backup.name} is damaged ({problems[0]}); {unchanged}.")
    tables = {str(row[0]) for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"referral", "alembic_version"} <= tables:
        raise StorageError(f"{backup.name} is not a RefDesk database; {unchanged}.")
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    revision = None if row is None else str(row[0])
    if revision != migrate.HEAD_REVISION and revision not in migrate.known_revisions():
        raise StorageError(
            f"{backup.name} was written by a newer version of RefDesk (schema {revision}); {unchanged}."
        )


def _put_aside(target_db: Path, moment: datetime) -> Path | None:
    """Move the current database and its ``-wal``/``-shm`` aside under one name, the WAL first: the old
    WAL must never meet the restored file."""
    if not target_db.exists():
        for suffix in ("-wal", "-shm"):
            _remove_quietly(Path(f"{target_db}{suffix}"))
        return None
    aside = target_db.with_name(f"{target_db.name}.before-restore-{moment.strftime(_STAMP)}")
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{target_db}{suffix}")
        if companion.exists():
            os.replace(companion, f"{aside}{suffix}")
    os.replace(target_db, aside)
    return aside


def _backup_files(folder: Path) -> list[tuple[Path, datetime]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file():
            try:
                found.append((path, datetime.strptime(match.group(1), _STAMP)))
            except ValueError:  # a name that looks right but is no real date: not RefDesk's
                continue
    return found


def _newest_per_period(
    files: list[tuple[Path, datetime]], period: Callable[[datetime], object], count: int
) -> set[Path]:
    """``files`` newest first: the first file of each of the first ``count`` distinct periods."""
    kept: dict[object, Path] = {}
    for path, taken_at in files:
        key = period(taken_at)
        if key not in kept:
            if len(kept) == count:
                break
            kept[key] = path
    return set(kept.values())


def _info(path: Path, taken_at: datetime) -> BackupInfo:
    referrals, partners = _counts(path)
    return BackupInfo(path, taken_at, path.stat().st_size, referrals, partners)


def _counts(path: Path) -> tuple[int | None, int | None]:
    """Referrals and partners in a backup, read read-only (``None`` each when unreadable)."""
    found: list[int | None] = []
    try:
        with _connect(path, read_only=True) as connection:
            for table in ("referral", "partner"):
                try:
                    found.append(int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]))
                except sqlite3.Error:
                    found.append(None)
    except sqlite3.Error:
        return None, None
    return found[0], found[1]


def _never() -> bool:
    return False


def _step_reporter(progress: Progress | None, stop: ShouldStop) -> Callable[[int, int, int], object]:
    """The backup API's per-step callback: cancel between steps (the exception aborts the copy), then
    report how far it got."""

    def report(_status: int, remaining: int, total: int) -> None:
        if stop():
            raise OperationCancelled(CANCELLED)
        if progress is not None:
            progress(total - remaining, total)

    return report


def _create_private(path: Path) -> None:
    """An empty file readable by its owner only (an empty file is a valid empty SQLite database), so
    the data is never, even for a moment, in a file others may read."""
    _remove_quietly(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    if os.name == "posix":
        os.chmod(path, FILE_MODE)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to flush)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_quietly(path: Path) -> None:
    for candidate in (path, Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def _describe(path: Path, error: sqlite3.Error) -> str:
    message = str(error).lower()
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return f"{path.name} is damaged or is not a database: no backup was made. Run 'refdesk check'."
    if "full" in message:
        return "The backup disk is full: no backup was made. Free some space or choose another folder."
    if "locked" in message or "busy" in message:
        return f"{path.name} is busy: no backup was made. Try again in a moment."
    return f"The backup of {path.name} failed ({error}): no backup was made."
