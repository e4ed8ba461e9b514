"""The open database: one object per file, handed to every service.

Reads use ``session()``; every write goes through ``transaction()``, which commits when the block ends
(each edit is saved when it is made, reliability promise 6) and rolls back everything on an error.

A database that cannot be written (a read-only file or folder, a full disk, a failing disk) is a
``StorageError`` in plain words, from ``open()`` and from ``transaction()`` alike; SQLite rolls the
change back, so the file keeps everything committed before. SQL parameters never appear in error
messages (``hide_parameters``): a bug's traceback goes to the log, and the log carries no patient data.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, exc, text
from sqlalchemy.orm import Session, sessionmaker

from refdesk.errors import StorageError
from refdesk.storage import migrate
from refdesk.storage.engine import BEGIN_OPTION, make_engine, sqlite_url


class Database:
    """An open RefDesk database (SQLite file by default; any SQLAlchemy URL for the server mode)."""

    def __init__(self, engine: Engine, path: Path | None = None) -> None:
        self.engine = engine
        self.path = path
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        self._write_sessions = sessionmaker(bind=self._writer, expire_on_commit=False)
        self._write_listeners: list[Callable[[], None]] = []

    @classmethod
    def open(cls, path: Path, *, upgrade: bool = True) -> Database:
        """Open (creating if needed) the SQLite file at ``path`` and bring its schema up to date.

        Raises:
            StorageError: the folder cannot be written, the file is not a RefDesk database or is
                damaged, or it comes from a newer RefDesk. The message is for the user.
        """
        path = Path(path).expanduser().resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:
            raise StorageError(
                f"Cannot create the folder {path.parent}: part of that path is a file."
            ) from error
        except OSError as error:
            raise StorageError(f"Cannot create the folder {path.parent}: {error.strerror}.") from error
        if path.is_dir():
            raise StorageError(f"{path} is a folder, not a database file.")
        _make_private(path)
        database = cls(make_engine(sqlite_url(path), hide_parameters=True), path)
        try:
            if upgrade:
                migrate.ensure_current(database.engine)
                database._check_writable()
            else:
                with database.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        except (exc.OperationalError, exc.DatabaseError) as error:
            database.close()
            raise StorageError(describe_sqlite_error(path, error)) from error
        except BaseException:
            # A refusal (a newer RefDesk's file) or a failed migration must not leave the file open: the
            # traceback keeps ``database`` alive, and an open handle blocks restoring the file on Windows.
            database.close()
            raise
        return database

    def session(self) -> Session:
        """A session for reading (use as a context manager)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE): committed at the end of the block, or not at all.

        Raises:
            StorageError: the change could not be saved because the disk is full, failing, or the file
                or its folder is read-only (nothing of it was saved). Other errors pass unchanged.
        """
        try:
            with self._write_sessions() as session, session.begin():
                yield session
        except exc.OperationalError as error:
            problem = describe_write_error(self.path, error)
            if problem is None:
                raise
            raise StorageError(problem) from error
        for listener in list(self._write_listeners):
            listener()

    def _check_writable(self) -> None:
        """Write the header's ``user_version`` back unchanged and roll back (nothing reaches the file):
        SQLite opens a read-only file for reading without a word, and even grants it ``BEGIN
        IMMEDIATE`` in WAL mode, so the refusal must come now, not at the first save of the day."""
        with self._writer.connect() as connection, connection.begin() as transaction:
            version = int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())
            connection.exec_driver_sql(f"PRAGMA user_version = {version}")
            transaction.rollback()

    def add_write_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every committed ``transaction()`` (on the writer's thread): the
        GUI's automatic backup starts on the first change of the day this way. A listener must be quick
        and must not raise."""
        self._write_listeners.append(listener)

    def remove_write_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._write_listeners:
            self._write_listeners.remove(listener)

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return migrate.current_revision(connection)

    def integrity_check(self, *, quick: bool = False) -> list[str]:
        """SQLite's own verdict on the file: ``["ok"]`` when sound, else the problems it lists."""
        pragma = "quick_check" if quick else "integrity_check"
        with self.engine.connect() as connection:
            return [str(row[0]) for row in connection.exec_driver_sql(f"PRAGMA {pragma}")]

    def analyze(self) -> None:
        """Refresh the planner's statistics; run after bulk loads so the queue's indexes are chosen."""
        with self.engine.begin() as connection:
            connection.execute(text("ANALYZE"))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _make_private(path: Path) -> None:
    """Create the database file readable by its owner only before SQLite first writes it (SQLite gives
    its ``-wal`` and ``-shm`` the same permissions), and tighten an existing file (reliability.md 10).
    An existing file that cannot be changed (another owner, a read-only disk) is left to SQLite's own
    error on open."""
    if os.name != "posix":
        return  # Windows: the local, non-roaming profile folder is private to its user already.
    try:
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
    except FileExistsError:
        pass
    except PermissionError:
        pass
    except OSError as error:
        raise StorageError(f"Cannot create {path}: {error.strerror}.") from error


def describe_write_error(path: Path | None, error: exc.DBAPIError) -> str | None:
    """Plain words for a change that could not be saved because of the disk or the file's permissions;
    None for any other error (a constraint, a bug), which the caller lets through unchanged."""
    message = _sqlite_message(error)
    where = str(path) if path is not None else "the database"
    if "full" in message:
        return f"The disk holding {where} is full: the change was not saved. Free some space and try again."
    if "readonly" in message or "read-only" in message or "unable to open" in message:
        return (
            f"Cannot save to {where}: the file or its folder is read-only, or you may not write there. "
            "The change was not saved."
        )
    if "disk i/o error" in message:
        return (
            f"The disk holding {where} could not be written (a disk error, or no room left): the change "
            "was not saved. Check the disk, then try again."
        )
    return None


def _sqlite_message(error: exc.DBAPIError) -> str:
    original = error.orig
    return str(original).lower() if original is not None else str(error).lower()


def describe_sqlite_error(path: Path, error: exc.DBAPIError) -> str:
    """Plain words for the SQLite errors a person can meet when opening a file (no patient data)."""
    original = error.orig
    message = _sqlite_message(error)
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return f"{path.name} is damaged or is not a RefDesk database. Restore it from a backup."
    if "readonly" in message or "read-only" in message or "unable to open" in message:
        return (
            f"Cannot write to {path}: check that the folder exists and that you may write to it and to "
            "the file."
        )
    if "disk is full" in message or "full" in message:
        return f"The disk holding {path} is full. Free some space and try again."
    if "disk i/o error" in message:
        return f"The disk holding {path} could not be written (a disk error, or no room left)."
    if "locked" in message or "busy" in message:
        return f"{path.name} is in use by another program. Close it and try again."
    if isinstance(original, sqlite3.Error):
        return f"Cannot open {path.name}: {original}."
    return f"Cannot open {path.name}."
