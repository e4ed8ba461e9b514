"""The referral import's fast writer: rows in stored form written with the driver's executemany, and the
bulk-load settings around a large import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Integer, Table, bindparam, func, insert, literal_column, select

from refdesk.domain.models import Referral, ReferralRecord, StatusEvent

#: A bulk load drops the secondary indexes of the tables it fills (rebuilt once at the end, in the same
#: transaction: a sorted build beats as many random B-tree inserts), when it writes at least as many
#: referrals as the database holds; the index the duplicate check reads stays.
_BULK_TABLES = (Referral.__tablename__, StatusEvent.__tablename__, ReferralRecord.__tablename__)
_KEPT_INDEXES = frozenset({"ix_referral_name_dob"})
#: Page cache of the importing connection while it loads (the indexes it maintains exceed the default).
CACHE_MIB = 64


@contextmanager
def bulk_load(connection: Connection, rows: int, existing_id: int, suspend_at: int) -> Iterator[None]:
    """The loading connection's page cache raised, and for a load of at least ``suspend_at`` rows that
    outnumbers the referrals already there, the secondary indexes dropped and rebuilt at the end."""
    if connection.dialect.name != "sqlite":
        yield
        return
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    cache_before = cursor.execute("PRAGMA cache_size").fetchone()[0]
    saved: list[str] = []
    try:
        cursor.execute(f"PRAGMA cache_size={-CACHE_MIB * 1024}")
        existing = (
            connection.execute(select(func.count()).select_from(Referral.__table__)).scalar()
            if existing_id
            else 0
        )
        if rows >= suspend_at and rows >= (existing or 0):
            names = ", ".join(f"'{table}'" for table in _BULK_TABLES)
            for name, sql in connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({names}) ORDER BY name"
            ).all():
                if name not in _KEPT_INDEXES:
                    connection.exec_driver_sql(f'DROP INDEX "{name}"')
                    saved.append(str(sql))
        yield
        for sql in saved:
            connection.exec_driver_sql(sql)
    finally:
        cursor.execute(f"PRAGMA cache_size={int(cache_before)}")
        cursor.close()


class BulkInsert:
    """One table's INSERT, built by Core from the table's metadata, run with the driver's executemany on
    rows already in stored form (``refdesk.demo.bulk`` measures why). Nullable text columns are written
    as ``NULLIF(?, '')`` so no None goes through sqlite3's adapter lookup; integers bind None as is (0 is
    a real value for them)."""

    def __init__(self, connection: Connection, table: Table, columns: tuple[str, ...]) -> None:
        self.connection = connection
        values: dict[str, Any] = {}
        for name in columns:
            column = table.c[name]
            value: Any = bindparam(name)
            if column.nullable and not column.primary_key and not isinstance(column.type, Integer):
                value = func.nullif(value, literal_column("''"))
            values[name] = value
        compiled = insert(table).values(values).compile(dialect=connection.dialect)
        if tuple(compiled.positiontup or ()) != columns:  # pragma: no cover - a change in SQLAlchemy
            raise RuntimeError(f"unexpected parameter order for {table.name}")
        self.sql = str(compiled)

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.connection.exec_driver_sql(self.sql, rows)
