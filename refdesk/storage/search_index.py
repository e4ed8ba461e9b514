"""The patient search index: an FTS5 trigram index over folded names and phone digits.

``LIKE '%term%'`` is quick for frequent terms (the first page fills from the time index) but scans all
referrals for a rare or absent one (2 s at a million); the trigram index answers those in milliseconds
(performance.md). The queue combines both. The index is external-content (no second copy of the
names) and kept current by triggers. Databases without FTS5 (another SQLite build, PostgreSQL) simply
have no index, and search falls back to LIKE.

Deleted patients (reliability.md 9). ``secure_delete`` zeroes deleted table rows, but FTS5 deletes by
adding a delete marker: the row's trigrams stay in the older index segments until those are merged,
which may be never for the oldest one. ``forget_deleted`` merges the whole index into one segment
('optimize': the markers and the entries they cancel are dropped, the old segments' pages zeroed),
about 0.7 s per 100,000 referrals here, so it runs once per deleted referral (``refdesk.services.erase``),
not per edit. FTS5's own 'secure-delete' option (SQLite 3.42 and later) would remove entries at once,
edits included, but it raises the index's file format: SQLite before 3.42 (Debian 12's 3.40, Python
3.11's) then refuses every statement that touches the index, adding a referral included, and cannot
even drop it. So it is not used. An edited name or phone number keeps its old trigrams in the index
until a merge; its old value is kept in the audit trail anyway (the ``referral.update`` detail).
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


def forget_deleted(connection: Connection) -> None:
    """Remove from the file what the index still holds of deleted and edited rows: its segments merged
    into one, and ANALYZE's samples of the name and phone indexes. Call inside the transaction that
    deleted the rows, so that they go together; the write lock is held for the merge (see above).

    The samples: SQLite builds with STAT4 keep about 24 sample keys per index in ``sqlite_stat4`` after
    ANALYZE (which runs after each bulk import), so a deleted patient's folded name or phone digits
    may be one of them; the referral table's samples are dropped (its ``sqlite_stat1`` counts, which
    the planner mostly uses, stay). Debian's SQLite has no STAT4; Python's own Windows build may.
    """
    if connection.dialect.name != "sqlite":
        return
    if exists(connection):
        connection.exec_driver_sql(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")
    stat4 = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'"
    if connection.exec_driver_sql(stat4).first() is not None:
        connection.exec_driver_sql("DELETE FROM sqlite_stat4 WHERE tbl = 'referral'")


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
