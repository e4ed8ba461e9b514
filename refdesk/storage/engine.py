"""The SQLAlchemy engine, with the per-connection settings the reliability promises depend on.

Every SQLite connection gets WAL, synchronous=FULL, foreign_keys=ON, a busy timeout and secure_delete
(reliability.md 2 and 9). pysqlite's own transaction handling is switched off (``isolation_level =
None``) and RefDesk emits BEGIN itself: that makes DDL transactional (a failed migration changes
nothing), lets ``PRAGMA foreign_keys`` take effect (it is ignored inside a transaction), and works the
same on Python 3.11 and 3.12+ without reading ``dbapi_connection.autocommit``, which 3.11 lacks.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

BUSY_TIMEOUT_MS = 5000

#: (pragma, value) applied in this order to every new connection; ``read_pragmas`` reads them back.
CONNECTION_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", str(BUSY_TIMEOUT_MS)),
    ("secure_delete", "ON"),
)

#: Execution option naming the BEGIN to emit; writers use IMMEDIATE so two writers queue on the
#: busy timeout instead of failing when a deferred read transaction tries to upgrade to a write.
BEGIN_OPTION = "refdesk_begin"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite URLs get the connection hooks, other databases their defaults."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for name, value in CONNECTION_PRAGMAS:
            cursor.execute(f"PRAGMA {name}={value}")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def read_pragmas(connection: Connection) -> dict[str, str]:
    """The current value of each connection pragma, as text (for tests and ``refdesk check``)."""
    values: dict[str, str] = {}
    for name, _ in CONNECTION_PRAGMAS:
        row = connection.exec_driver_sql(f"PRAGMA {name}").first()
        values[name] = "" if row is None else str(row[0])
    return values
