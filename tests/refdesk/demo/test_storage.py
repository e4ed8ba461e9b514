"""The demo bypasses the column types for speed; these tests prove nobody could tell: every row reads back
through the ORM, every stored value is byte for byte what the column type would have written, and the
file is as sound, indexed and searchable as one the services filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, select

from refdesk.domain.models import (
    Appointment,
    AuditEvent,
    Base,
    ChecklistAnswer,
    ContactAttempt,
    IntakeItem,
    IntakeScript,
    MetricCell,
    MetricFact,
    Partner,
    PartnerContact,
    PartnerTouch,
    Referral,
    ReferralRecord,
    ServiceLine,
    Staff,
    StatusEvent,
)
from refdesk.storage import Database, search_index
from refdesk.storage.engine import CONNECTION_PRAGMAS, read_pragmas
from tests.refdesk.demo.conftest import REFERRALS

_SCHEMA_OBJECTS = (
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name"
)
BULK_MODELS = (Referral, StatusEvent, ContactAttempt, Appointment, ChecklistAnswer, ReferralRecord)
ALL_MODELS = (
    *BULK_MODELS,
    Partner,
    PartnerContact,
    PartnerTouch,
    ServiceLine,
    IntakeScript,
    IntakeItem,
    Staff,
    MetricFact,
    MetricCell,
)


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__tablename__)
def test_every_row_reads_back_and_is_stored_as_its_column_type_writes_it(demo: Database, model: Any) -> None:
    table: Table = model.__table__
    dialect = demo.engine.dialect
    processors = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns}
    names = [c.name for c in table.columns]
    with demo.engine.connect() as connection:
        raw = {
            row[0]: row
            for row in connection.exec_driver_sql(f'SELECT {", ".join(names)} FROM "{table.name}"')
        }
    with demo.session() as session:
        objects = list(session.scalars(select(model)))
    assert objects and len(objects) == len(raw)
    for obj in objects:
        stored = raw[obj.id]
        for position, name in enumerate(names):
            value = getattr(obj, name)
            process = processors[name]
            expected = process(value) if process is not None and value is not None else value
            assert stored[position] == expected, (table.name, obj.id, name, stored[position], expected)
            assert type(stored[position]) is type(expected), (table.name, name)


def test_the_file_is_sound_and_indexed_like_a_new_database(demo: Database, tmp_path: Path) -> None:
    assert demo.integrity_check() == ["ok"]
    with demo.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        indexes = connection.exec_driver_sql(_SCHEMA_OBJECTS).fetchall()
        analysed = connection.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar()
    with Database.open(tmp_path / "fresh.db") as fresh, fresh.engine.connect() as connection:
        expected = connection.exec_driver_sql(_SCHEMA_OBJECTS).fetchall()
    assert indexes == expected
    assert analysed


def test_the_loading_connection_gives_back_the_reliability_pragmas(demo: Database) -> None:
    for _ in range(3):  # whichever pooled connection comes back
        with demo.engine.connect() as connection:
            pragmas = read_pragmas(connection)
            assert pragmas["synchronous"] == "2"  # FULL
            assert dict(CONNECTION_PRAGMAS)["synchronous"] == "FULL"


def test_patients_can_be_found_through_the_search_index(demo: Database) -> None:
    with demo.engine.connect() as connection:
        if not search_index.exists(connection):
            pytest.skip("this SQLite has no FTS5 trigram tokenizer")
        rid, key = connection.exec_driver_sql(
            "SELECT id, name_key FROM referral ORDER BY id DESC LIMIT 1"
        ).one()
        found = connection.exec_driver_sql(
            "SELECT rowid FROM referral_search WHERE referral_search MATCH ?", (f'"{key}"',)
        ).scalars()
        assert rid in set(found)
        count = connection.exec_driver_sql("SELECT count(*) FROM referral_search").scalar()
        assert count == REFERRALS


def test_one_audit_row_records_the_load(demo: Database) -> None:
    with demo.session() as session:
        rows = list(session.scalars(select(AuditEvent)))
    assert [(r.action, r.entity, r.success) for r in rows] == [("demo.load", "database", True)]
    detail = rows[0].detail or {}
    assert detail["referral"] == REFERRALS and detail["seed"] == 7
    assert detail["status_event"] > REFERRALS


def test_every_table_the_demo_writes_is_covered_here() -> None:
    written = {m.__tablename__ for m in ALL_MODELS}
    untouched = {"letter_sent", "setting", "audit_event", "alembic_version"}
    assert {t for t in Base.metadata.tables} <= written | untouched
