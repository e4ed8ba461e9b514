"""The queue's indexes are used (performance.md, "Indexes, not code, decide the queue"): the open queue and
one partner's open page are answered from the partial indexes on open referrals, without sorting; and
those indexes cover exactly the lifecycle's open states, so changing the lifecycle without a migration
fails here rather than making the queue slow (or wrong) at a clinic."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, bindparam, event, insert, select

from refdesk.domain.lifecycle import OPEN_STATES, State
from refdesk.domain.models import Partner, Referral, ServiceLine
from refdesk.storage import Database

PARTNERS = 20
REFERRALS = 4000
PAGE = 200


@pytest.fixture(scope="module")
def queue_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A few thousand referrals over 20 partners, a quarter of them open, loaded in bulk and analysed."""
    db = Database.open(tmp_path_factory.mktemp("queue") / "queue.db")
    rng = random.Random(20240501)
    closed = [state for state in State if state not in OPEN_STATES]
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(
            insert(Partner),
            [
                {
                    "id": n,
                    "name": f"Partner {n}",
                    "name_key": f"partner {n}",
                    "category": "primary_care",
                    "agreement_status": "none",
                    "outreach_cadence": "none",
                    "active": True,
                    "created_at": start,
                }
                for n in range(1, PARTNERS + 1)
            ],
        )
        connection.execute(
            insert(ServiceLine),
            [
                {
                    "id": 1,
                    "name": "Physical therapy",
                    "required_records": [],
                    "ack_target_hours": 8,
                    "first_contact_target_hours": 16,
                    "max_attempts": 3,
                    "active": True,
                }
            ],
        )
        rows = []
        for n in range(REFERRALS):
            received = start + timedelta(minutes=rng.randrange(600_000))
            state = rng.choice(OPEN_STATES) if rng.random() < 0.25 else rng.choice(closed)
            rows.append(
                {
                    "partner_id": rng.randint(1, PARTNERS),
                    "service_line_id": 1,
                    "patient_first_name": "Pat",
                    "patient_last_name": f"Queue {n}",
                    "patient_dob": date(1950, 1, 1),
                    "phone": "(555) 201-4477",
                    "name_key": f"pat queue {n}",
                    "phone_digits": "5552014477",
                    "interpreter_needed": False,
                    "reason": "Queue test",
                    "urgency": "routine",
                    "channel": "fax",
                    "received_at": received,
                    "state": state.value,
                    "attempt_count": 0,
                    "created_at": received,
                    "updated_at": received,
                }
            )
        connection.execute(insert(Referral), rows)
    db.analyze()
    yield db
    db.close()


def plan(db: Database, statement: Select[Any]) -> list[str]:
    """SQLite's plan for ``statement`` exactly as SQLAlchemy sends it (IN lists rendered or bound as
    they would be), one line per step."""
    sent: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        sql, parameters = args[2], args[3]
        if sql.lstrip().upper().startswith("SELECT"):
            sent.append((sql, parameters))

    with db.engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", capture)
        connection.execute(statement).all()
        event.remove(connection, "before_cursor_execute", capture)
        [(sql, parameters)] = sent
        return [str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)]


def open_states_literal() -> Any:
    """The IN list rendered into the SQL: SQLite can match a partial index only against literal values."""
    return bindparam("open_states", [s.value for s in OPEN_STATES], expanding=True, literal_execute=True)


def open_queue(states: Any) -> Select[Any]:
    return (
        select(Referral.id, Referral.patient_last_name, Referral.received_at, Referral.state)
        .where(Referral.state.in_(states))
        .order_by(Referral.received_at.desc(), Referral.id.desc())
        .limit(PAGE)
    )


def partner_page(states: Any, partner_id: int) -> Select[Any]:
    return (
        select(Referral.id, Referral.patient_last_name, Referral.received_at)
        .where(Referral.partner_id == partner_id, Referral.state.in_(states))
        .order_by(Referral.received_at.desc())
        .limit(PAGE)
    )


def test_the_open_queue_reads_the_partial_index_in_order(queue_db: Database) -> None:
    steps = plan(queue_db, open_queue(open_states_literal()))
    assert any("USING INDEX ix_referral_open_received" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps  # no sort of all open rows


def test_one_partners_open_page_reads_its_partial_index(queue_db: Database) -> None:
    steps = plan(queue_db, partner_page(open_states_literal(), partner_id=7))
    assert any("USING INDEX ix_referral_open_partner_received (partner_id=?)" in step for step in steps), (
        steps
    )
    assert not any("TEMP B-TREE" in step for step in steps), steps


def test_the_pages_hold_the_right_rows(queue_db: Database) -> None:
    """The fast plan answers the question: the newest open referrals, newest first."""
    open_values = {s.value for s in OPEN_STATES}
    with queue_db.engine.connect() as connection:
        everything = connection.execute(select(Referral.id, Referral.received_at, Referral.state)).all()
        page = connection.execute(open_queue(open_states_literal())).all()
    expected = sorted(
        (row for row in everything if row.state in open_values),
        key=lambda r: (r.received_at, r.id),
        reverse=True,
    )[:PAGE]
    assert [row.id for row in page] == [row.id for row in expected]


def test_bound_parameters_would_miss_the_partial_index(queue_db: Database) -> None:
    """The control: the plan check above can tell. With ``IN (?, ?, ...)`` SQLite cannot prove the query
    only wants open rows, and falls back to the full index."""
    steps = plan(queue_db, open_queue([s.value for s in OPEN_STATES]))
    assert not any("ix_referral_open_received" in step for step in steps), steps


def test_the_partial_indexes_cover_exactly_the_open_states(queue_db: Database) -> None:
    with queue_db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'referral'"
            " AND sql LIKE '%WHERE%state IN%'"
        ).all()
    partial = {str(name): str(sql) for name, sql in rows}
    assert {"ix_referral_open_received", "ix_referral_open_partner_received"} <= partial.keys()
    for name, sql in partial.items():
        match = re.search(r"WHERE\s+state\s+IN\s*\(([^)]*)\)\s*$", sql, re.IGNORECASE)
        assert match, f"{name}: unexpected WHERE clause in {sql}"
        listed = re.findall(r"'([^']*)'", match.group(1))
        assert sorted(listed) == sorted(s.value for s in OPEN_STATES), (
            f"{name} covers {listed}, the lifecycle's open states are {[s.value for s in OPEN_STATES]}: "
            "a change of OPEN_STATES needs a migration that recreates this index"
        )
