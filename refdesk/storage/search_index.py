"""The patient search index: an FTS5 trigram index over folded names and phone digits.

``LIKE '%term%'`` is quick for frequent terms (the first page fills from the time index) but scans all
referrals for a rare or absent one (2 s at a million); the trigram index answers those in milliseconds
(performance.md). The queue combines both. The index is external-content (no second copy of the
names) and kept current by triggers. Databases without FTS5 (another SQLite build, PostgreSQL) simply
have no index, and search falls back to LIKE.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc, inspect
from sqlalchemy.engine import Connection

TABLE = "referral_search"
_TRIGGERS = ("referral_search_insert", "referral_search_delete", "referral_search_update")

_CREATE_TABLE = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(
    name_key, phone_digits, content='referral', content_rowid='id', tokenize='trigram'
)"""

_CREATE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS referral_search_insert AFTER INSERT ON referral BEGIN
        INSERT INTO {TABLE}(rowid, name_key, phone_digits) VALUES (new.id, new.name_key, new.phone_digits);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS referral_search_delete AFTER DELETE ON referral BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, name_key, phone_digits)
        VALUES ('delete', old.id, old.name_key, old.phone_digits);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS referral_search_update
        AFTER UPDATE OF name_key, phone_digits ON referral BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, name_key, phone_digits)
        VALUES ('delete', old.id, old.name_key, old.phone_digits);
        INSERT INTO {TABLE}(rowid, name_key, phone_digits) VALUES (new.id, new.name_key, new.phone_digits);
    END""",
)


def is_search_table(name: str) -> bool:
    """The index's own tables (FTS5 keeps shadow tables beside it); Alembic must not manage them."""
    return name == TABLE or name.startswith(f"{TABLE}_")


def exists(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite" and inspect(connection).has_table(TABLE)


def create(connection: Connection) -> bool:
    """Create the index, its triggers, and fill it from existing referrals. False when FTS5 is missing."""
    if connection.dialect.name != "sqlite":
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(_CREATE_TABLE)
    except exc.OperationalError:  # no fts5 module, or no trigram tokenizer (SQLite < 3.34)
        return False
    _create_triggers(connection)
    rebuild(connection)
    return True


def drop(connection: Connection) -> None:
    for trigger in _TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")


def rebuild(connection: Connection) -> None:
    connection.exec_driver_sql(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")


@contextmanager
def suspended(connection: Connection) -> Iterator[None]:
    """For bulk loads: no per-row trigger work while inside; the index is rebuilt once at the end."""
    if not exists(connection):
        yield
        return
    for trigger in _TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    yield
    _create_triggers(connection)
    rebuild(connection)


def _create_triggers(connection: Connection) -> None:
    for statement in _CREATE_TRIGGERS:
        connection.exec_driver_sql(statement)
