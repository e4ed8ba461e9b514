"""Bring a database's schema to the current revision with Alembic, atomically.

Alembic is imported only when the schema is not already current: a normal start reads one row of
``alembic_version`` and moves on (performance.md: start-up is dominated by imports).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from refdesk.errors import StorageError
from refdesk.storage.engine import BEGIN_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest revision in ``migrations/versions``; a test checks that Alembic agrees.
HEAD_REVISION = "0005"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade(engine: Engine, target: str = "head", *, config: Config | None = None) -> None:
    """Upgrade to ``target`` in one transaction; a failure leaves the schema exactly as it was.

    ``config`` defaults to RefDesk's own migrations; tests pass another script location.
    """
    _run(engine, "upgrade", target, config)


def downgrade(engine: Engine, target: str, *, config: Config | None = None) -> None:
    _run(engine, "downgrade", target, config)


def ensure_current(engine: Engine) -> None:
    """Upgrade when behind; refuse a database written by a newer RefDesk."""
    with engine.connect() as connection:
        revision = current_revision(connection)
    if revision == HEAD_REVISION:
        return
    if revision is not None and revision not in known_revisions():
        raise StorageError(
            f"This database was written by a newer version of RefDesk (schema {revision}). "
            "Install the newer version to open it."
        )
    upgrade(engine)
    with engine.connect() as connection:
        reached = current_revision(connection)
    if reached != HEAD_REVISION:
        # An installation missing its migration scripts "upgrades" to nothing; never use such a file.
        raise StorageError(
            f"This installation of RefDesk is incomplete: the database could not be brought to schema "
            f"{HEAD_REVISION} (it is at {reached or 'none'}). Reinstall RefDesk."
        )


def _run(engine: Engine, direction: str, target: str, config: Config | None = None) -> None:
    from alembic import command

    if config is None:
        config = alembic_config()
    # IMMEDIATE: a migration waits for another writer (busy timeout) instead of failing on upgrade.
    with engine.connect() as connection:
        connection = connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            # Batch migrations rebuild tables (copy, drop, rename). With foreign keys on, the DROP would
            # cascade into child rows, so they go off for the migration (outside the transaction, where
            # the pragma takes effect) and the result is checked before commit (SQLite's 12-step recipe).
            _set_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                getattr(command, direction)(config, target)
                if is_sqlite:
                    _restore_search_index(connection)
                    _check_foreign_keys(connection)
        finally:
            if is_sqlite:
                _set_foreign_keys(connection, on=True)


def _set_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Straight to the DBAPI connection: through SQLAlchemy it would autobegin, and SQLite ignores
    ``PRAGMA foreign_keys`` inside a transaction."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _restore_search_index(connection: Connection) -> None:
    """A batch rebuild of ``referral`` (copy, drop, rename) silently drops the triggers that keep the
    search index current, so rows changed afterwards would go unindexed. Whatever the migrations did,
    the index comes out complete: triggers recreated (IF NOT EXISTS) and contents rebuilt from referral
    (seconds at a million rows; migrations are rare, and the alternative is wrong search results)."""
    from refdesk.storage import search_index

    if search_index.exists(connection):
        search_index.create(connection)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise StorageError(f"Migration left rows with broken references in: {', '.join(tables)}")
