"""The queue's filters, sorts and search, as the front desk uses them, and the indexes they rely on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import Referral
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, Channel, Urgency
from refdesk.services import queue
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.catalog import NewPartner, create_partner
from refdesk.services.queue import QueueFilter, QueueSort, SortKey
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.services.workflow import close
from refdesk.storage import Database

NOW = datetime.now(UTC)


@pytest.fixture
def people(db: Database, actor: Actor, new_referral: NewReferral) -> dict[str, int]:
    """Five referrals the tests tell apart by name."""
    other = create_partner(db, actor, NewPartner(name="Riverside Cardiology"))
    specs = {
        # ten days ago: past every business-hour target whatever weekday the test runs on
        "zoe": dict(
            patient_first_name="Zoë", patient_last_name="Nguyễn", received_at=NOW - timedelta(days=10)
        ),
        "olga": dict(
            patient_first_name="Ольга", patient_last_name="Петрова", phone="555-301-1111",
            patient_dob=date(1990, 7, 14), received_at=NOW - timedelta(days=2), partner_id=other,
        ),
        "jose": dict(
            patient_first_name="José", patient_last_name="Núñez", phone="555-401-2222",
            patient_dob=date(1971, 1, 30), urgency=Urgency.URGENT, received_at=NOW - timedelta(hours=5),
        ),
        "obrien": dict(
            patient_first_name="Siobhan", patient_last_name="O'Brien", phone="555-501-3333",
            patient_dob=date(2001, 12, 1), urgency=Urgency.STAT, received_at=NOW - timedelta(hours=1),
        ),
        "closed": dict(
            patient_first_name="Closed", patient_last_name="Case", phone="555-601-4444",
            patient_dob=date(1950, 5, 5), received_at=NOW - timedelta(days=12),
        ),
    }  # fmt: skip
    ids = {key: create_referral(db, actor, replace(new_referral, **spec)) for key, spec in specs.items()}  # type: ignore[arg-type]
    close(db, actor, ids["closed"], CloseReason.DUPLICATE_REFERRAL)
    log_attempt(db, actor, ids["jose"], AttemptMethod.CALL, AttemptOutcome.NO_ANSWER)
    return ids


def names(db: Database, flt: QueueFilter, sort: QueueSort | None = None) -> list[str]:
    rows = queue.first_page(db, flt, sort or QueueSort())
    assert [r.id for r in rows] == queue.matching_ids(db, flt, sort or QueueSort())[: len(rows)]
    assert queue.count(db, flt) == len(rows)
    return [r.patient_last_name for r in rows]


def test_the_default_view_is_every_open_referral_newest_first(db: Database, people: dict[str, int]) -> None:
    assert names(db, QueueFilter()) == ["O'Brien", "Núñez", "Петрова", "Nguyễn"]


def test_rows_carry_what_the_columns_show(db: Database, people: dict[str, int]) -> None:
    row = queue.rows_by_id(db, [people["jose"]])[people["jose"]]
    assert row.patient_name == "José Núñez" and row.phone == "(555) 401-2222"
    assert row.partner_name == "Oak Street Primary Care" and row.service_line_name == "Physical therapy"
    assert row.state is State.CONTACT_ATTEMPTED and row.attempt_count == 1 and row.urgency is Urgency.URGENT
    assert row.next_action is not None and row.next_action_at is not None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"states": frozenset({State.CONTACT_ATTEMPTED})}, ["Núñez"]),
        ({"states": frozenset({State.DUPLICATE})}, ["Case"]),
        ({"states": frozenset({State.RECEIVED, State.DUPLICATE})}, ["O'Brien", "Петрова", "Nguyễn", "Case"]),
        ({"urgencies": frozenset({Urgency.STAT, Urgency.URGENT})}, ["O'Brien", "Núñez"]),
        (
            {"received_from": (NOW - timedelta(days=2, hours=1)).astimezone().date()},
            ["O'Brien", "Núñez", "Петрова"],
        ),
        ({"received_to": (NOW - timedelta(days=3)).astimezone().date()}, ["Nguyễn"]),
        ({"received_to": (NOW - timedelta(days=11)).astimezone().date()}, []),
    ],
)
def test_filters_narrow_the_queue(
    db: Database, people: dict[str, int], change: dict[str, object], expected: list[str]
) -> None:
    assert names(db, replace(QueueFilter(), **change)) == expected  # type: ignore[arg-type]


def test_filter_by_partner_and_owner(db: Database, actor: Actor, people: dict[str, int]) -> None:
    olga = queue.rows_by_id(db, [people["olga"]])[people["olga"]]
    from refdesk.services.catalog import find_partner

    partner = find_partner(db, olga.partner_name)
    assert partner is not None
    assert names(db, QueueFilter(partner_ids=frozenset({partner.id}))) == ["Петрова"]
    assert names(db, QueueFilter(owner_ids=frozenset({actor.staff_id}))) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("zoe", ["Nguyễn"]),
        ("NGUYEN", ["Nguyễn"]),
        ("ngu zo", ["Nguyễn"]),
        ("ольг", ["Петрова"]),
        ("o'br", ["O'Brien"]),
        ("nobody", []),
        ("3333", ["O'Brien"]),
        ("(555) 401", ["Núñez"]),
        ("01/30/1971", ["Núñez"]),
        ("1971-01-30", ["Núñez"]),
        ("a%", []),
        ("_", []),
    ],
)
def test_search_by_name_phone_or_birth_date(
    db: Database, people: dict[str, int], typed: str, expected: list[str]
) -> None:
    assert names(db, QueueFilter(search=typed)) == expected


def test_search_by_referral_number(db: Database, people: dict[str, int]) -> None:
    from refdesk.domain.formats import referral_number

    assert names(db, QueueFilter(search=referral_number(people["olga"]))) == ["Петрова"]


def test_search_and_filters_combine(db: Database, people: dict[str, int]) -> None:
    assert names(db, QueueFilter(search="555", urgencies=frozenset({Urgency.STAT}))) == ["O'Brien"]


@pytest.mark.parametrize(
    ("key", "descending", "expected"),
    [
        (SortKey.PATIENT, False, ["Nguyễn", "Núñez", "O'Brien", "Петрова"]),
        (SortKey.URGENCY, False, ["O'Brien", "Núñez", "Nguyễn", "Петрова"]),
        (SortKey.DOB, True, ["O'Brien", "Петрова", "Núñez", "Nguyễn"]),
        (SortKey.PARTNER, False, ["Nguyễn", "Núñez", "O'Brien", "Петрова"]),
        (SortKey.ATTEMPTS, True, ["Núñez", "O'Brien", "Петрова", "Nguyễn"]),
        (SortKey.RECEIVED, False, ["Nguyễn", "Петрова", "Núñez", "O'Brien"]),
    ],
)
def test_every_column_sorts(
    db: Database, people: dict[str, int], key: SortKey, descending: bool, expected: list[str]
) -> None:
    assert names(db, QueueFilter(), QueueSort(key, descending)) == expected


def test_overdue_only_and_the_status_counts(db: Database, people: dict[str, int]) -> None:
    # Referrals received days ago with no contact are past their first-contact target.
    overdue = names(db, QueueFilter(overdue_only=True))
    assert "Nguyễn" in overdue and "O'Brien" not in overdue and "Case" not in overdue
    counts = queue.status_counts(db)
    assert counts.open == 4 and counts.overdue == len(overdue) and counts.due_today >= counts.overdue


# --- the plans the speed depends on ----------------------------------------------------------------


@pytest.fixture
def many(db: Database, partner_id: int, service_line_id: int) -> Database:
    """Five thousand referrals, a quarter open, inserted in bulk, statistics refreshed."""
    states = [State.RECEIVED, State.COMPLETED, State.UNABLE_TO_REACH, State.SEEN_ELSEWHERE]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        dict(
            partner_id=partner_id, service_line_id=service_line_id, patient_first_name="Pat",
            patient_last_name=f"N{i}", patient_dob=date(1980, 1, 1), phone="(555) 201-0000",
            name_key=f"pat n{i}", phone_digits="5552010000", reason="x", urgency=Urgency.ROUTINE,
            channel=Channel.FAX, received_at=start + timedelta(minutes=i), state=states[i % 4],
            attempt_count=0, interpreter_needed=False, created_at=start, updated_at=start,
            next_action_at=start + timedelta(minutes=i) if i % 4 == 0 else None,
        )
        for i in range(5000)
    ]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Referral), rows)
    db.analyze()
    return db


def plan(db: Database, query: object) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"render_postcompile": True})  # type: ignore[attr-defined]
    with db.engine.connect() as connection:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    ("sort", "indexes"),
    [
        # SQLite may take the partial open index or the full time index: both walk in order, no sort step.
        (QueueSort(), ("ix_referral_open_received", "ix_referral_received_at")),
        (QueueSort(SortKey.DUE, False), ("ix_referral_open_due",)),
    ],
)
def test_a_queue_page_is_read_in_index_order_without_sorting(
    many: Database, sort: QueueSort, indexes: tuple[str, ...]
) -> None:
    from sqlalchemy import select

    from refdesk.domain.times import utc_now
    from refdesk.services.queue import _conditions, _order_by

    query = select(Referral.id).where(*_conditions(many, QueueFilter(), utc_now())).order_by(*_order_by(sort))
    text = plan(many, query.limit(200))
    assert any(f"USING INDEX {index}" in text or f"COVERING INDEX {index}" in text for index in indexes), text
    assert "TEMP B-TREE" not in text, text


def test_counting_open_referrals_uses_the_partial_index(many: Database) -> None:
    from sqlalchemy import func, select

    from refdesk.services.queue import open_states_term

    text = plan(many, select(func.count()).select_from(Referral).where(open_states_term()))
    assert "COVERING INDEX" in text and "SCAN referral" not in text, text
    assert queue.status_counts(many).open == 1250


def test_a_query_stops_when_asked(many: Database) -> None:
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError, match="interrupted"):
        queue.matching_ids(
            many, QueueFilter(states=frozenset(), search="zz"), QueueSort(), should_stop=lambda: True
        )
    assert len(queue.matching_ids(many, QueueFilter(), QueueSort(), should_stop=lambda: False)) == 1250


def test_a_page_is_read_from_referral_outwards(many: Database) -> None:
    """With inner joins SQLite could start from partner and sort every open row (2 s at 1M, overdue only)."""
    from sqlalchemy import select

    from refdesk.domain.times import utc_now
    from refdesk.services.queue import _ALL_JOINS, _ROW_COLUMNS, _conditions, _order_by, _with_joins

    flt = QueueFilter(overdue_only=True)
    query = _with_joins(select(*_ROW_COLUMNS).select_from(Referral), _ALL_JOINS)
    query = query.where(*_conditions(many, flt, utc_now())).order_by(*_order_by(QueueSort())).limit(200)
    text = plan(many, query)
    assert text.split(" | ")[0].split()[1] == "referral", text
