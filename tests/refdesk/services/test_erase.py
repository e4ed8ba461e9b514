"""Deleting a referral entered by mistake, as an administrator does it: only an administrator, only with a
reason; the referral and everything of it gone, other referrals untouched, the metrics as a recount makes
them, one audit row that names no patient, and search no longer finding the patient."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from refdesk.domain.formats import referral_number
from refdesk.domain.models import (
    Appointment,
    ChecklistAnswer,
    ContactAttempt,
    MetricFact,
    Referral,
    ReferralRecord,
    Staff,
    StatusEvent,
)
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, StaffRole
from refdesk.errors import AccessDenied, NotFoundError, ValidationError
from refdesk.services import intake, metric_cells, queue, scheduling
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.erase import REASON_MAX_LENGTH, delete_referral, deletion_summary
from refdesk.services.queue import QueueFilter, QueueSort
from refdesk.services.records import add_record
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database, search_index
from tests.refdesk.services.helpers import audit_rows

#: Every table that holds rows of one referral, by the column that says which.
DEPENDENTS: tuple[Any, ...] = (StatusEvent, ContactAttempt, Appointment, ChecklistAnswer, ReferralRecord)
FIRST, LAST, PHONE = "Wojciech", "Qxjzvkqwy", "555-987-6543"
REASON = "Entered twice by mistake"


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_staff(db, "ada", "Ada Admin", StaffRole.ADMIN)


def worked(db: Database, actor: Actor, form: NewReferral) -> int:
    """A referral worked up to a booked first visit: history, attempts, an intake answer, records."""
    rid = create_referral(db, actor, replace(form, received_at=utc_now() - timedelta(days=3)))
    log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, note="left a message")
    log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED)
    intake.answer(db, actor, rid, "interpreter", "Polish")
    add_record(db, actor, rid, "Imaging report")
    day = datetime.now().date() + timedelta(days=7)
    draft = scheduling.AppointmentDraft(
        starts_at=datetime(day.year, day.month, day.day, 10), provider="Dr Lee"
    )
    scheduling.book(db, actor, rid, draft, override_reason="The surgeon asked to see him first")
    return rid


def rows_of(db: Database, referral_id: int) -> dict[str, int]:
    """How many rows each table holds for the referral (its own row and metric fact included)."""
    with db.session() as session:
        counts = {
            model.__tablename__: session.scalar(
                select(func.count()).select_from(model).where(model.referral_id == referral_id)
            )
            or 0
            for model in DEPENDENTS
        }
        counts["referral"] = session.scalar(select(func.count()).where(Referral.id == referral_id)) or 0
        counts["metric_fact"] = session.scalar(select(func.count()).where(MetricFact.id == referral_id)) or 0
    return counts


def found_by_search(db: Database, typed: str) -> list[int]:
    return queue.matching_ids(db, QueueFilter(states=frozenset(), search=typed), QueueSort())


@pytest.fixture
def marked(db: Database, actor: Actor, new_referral: NewReferral) -> int:
    return worked(
        db, actor, replace(new_referral, patient_first_name=FIRST, patient_last_name=LAST, phone=PHONE)
    )


def test_an_administrator_deletes_the_referral_and_every_row_of_it_and_no_other(
    db: Database, actor: Actor, admin: Actor, new_referral: NewReferral, marked: int
) -> None:
    other = worked(db, actor, new_referral)
    before_other = rows_of(db, other)
    assert all(rows_of(db, marked).values())  # a row in every table, to be deleted

    delete_referral(db, admin, marked, REASON)

    assert set(rows_of(db, marked).values()) == {0}
    assert rows_of(db, other) == before_other
    assert db.integrity_check() == ["ok"]
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []


def test_the_metrics_equal_a_fresh_recount_without_the_deleted_referral(
    db: Database, actor: Actor, admin: Actor, new_referral: NewReferral, marked: int
) -> None:
    worked(db, actor, new_referral)
    with db.engine.connect() as connection:
        received_before = sum(tally.received for tally in metric_cells.stored(connection).values())

    delete_referral(db, admin, marked, REASON)

    with db.engine.connect() as connection:
        stored = metric_cells.stored(connection)
        assert stored == metric_cells.recount(connection)
        assert sum(tally.received for tally in stored.values()) == received_before - 1
        assert marked not in metric_cells.fact_rows(connection)


def test_one_audit_row_says_who_why_and_which_number_and_names_no_patient(
    db: Database, admin: Actor, marked: int
) -> None:
    delete_referral(db, admin, marked, "  Entered twice   by mistake ")

    [row] = audit_rows(db, "referral.delete")
    assert (row.staff_id, row.entity_id, row.success) == (admin.staff_id, marked, True)
    assert row.detail == {"reason": REASON, "r_number": referral_number(marked)}
    text = json.dumps(row.detail).lower()
    for patient_data in (FIRST, LAST, PHONE, "5559876543", "1958"):
        assert patient_data.lower() not in text


def test_search_no_longer_finds_the_patient_by_name_or_phone(
    db: Database, actor: Actor, admin: Actor, new_referral: NewReferral, marked: int
) -> None:
    other = create_referral(db, actor, new_referral)
    assert found_by_search(db, LAST) == [marked]
    assert found_by_search(db, "qxjz") == [marked]  # through the trigram index
    assert found_by_search(db, "9876543") == [marked]

    delete_referral(db, admin, marked, REASON)

    assert found_by_search(db, LAST) == []
    assert found_by_search(db, "qxjz") == []
    assert found_by_search(db, "9876543") == []
    assert found_by_search(db, referral_number(marked)) == []
    assert found_by_search(db, "Nguyen") == [other]  # the index still answers for everyone else


def test_only_an_administrator_may_delete_and_a_refusal_is_audited(
    db: Database, actor: Actor, admin: Actor, marked: int
) -> None:
    coordinator = ensure_staff(db, "cora", "Cora Coordinator", StaffRole.COORDINATOR)
    for who in (actor, coordinator):
        with pytest.raises(AccessDenied, match="Only an administrator can delete a referral"):
            delete_referral(db, who, marked, REASON)

    assert rows_of(db, marked)["referral"] == 1
    refusals = audit_rows(db, "referral.delete")
    assert [(row.staff_id, row.entity_id, row.success) for row in refusals] == [
        (actor.staff_id, marked, False),
        (coordinator.staff_id, marked, False),
    ]


def test_an_administrator_demoted_since_signing_in_is_refused(
    db: Database, admin: Actor, marked: int
) -> None:
    """The stored role counts, not the one the administrator signed in with."""
    with db.transaction() as session:
        stored = session.get(Staff, admin.staff_id)
        assert stored is not None
        stored.role = StaffRole.FRONT_DESK

    with pytest.raises(AccessDenied):
        delete_referral(db, admin, marked, REASON)
    assert rows_of(db, marked)["referral"] == 1


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * (REASON_MAX_LENGTH + 1)])
def test_a_reason_is_required_and_kept_short(db: Database, admin: Actor, marked: int, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        delete_referral(db, admin, marked, reason)

    assert set(refused.value.errors) == {"reason"}
    assert rows_of(db, marked)["referral"] == 1
    [row] = audit_rows(db, "referral.delete")
    assert row.success is False


def test_a_referral_linked_to_the_deleted_one_loses_the_link_and_stays(
    db: Database, actor: Actor, admin: Actor, new_referral: NewReferral, marked: int
) -> None:
    duplicate = create_referral(db, actor, replace(new_referral, linked_referral_id=marked))

    delete_referral(db, admin, marked, "A duplicate of the later one")

    with db.session() as session:
        kept = session.get(Referral, duplicate)
        assert kept is not None and kept.linked_referral_id is None
    [row] = audit_rows(db, "referral.delete")
    assert row.detail is not None and row.detail["unlinked"] == [referral_number(duplicate)]


def test_a_referral_already_deleted_is_not_found(db: Database, admin: Actor, marked: int) -> None:
    summary = deletion_summary(db, marked)
    assert (summary.r_number, summary.patient_name, summary.partner_name) == (
        referral_number(marked),
        f"{FIRST} {LAST}",
        "Oak Street Primary Care",
    )
    delete_referral(db, admin, marked, REASON)

    with pytest.raises(NotFoundError, match=referral_number(marked)):
        delete_referral(db, admin, marked, REASON)
    with pytest.raises(NotFoundError):
        deletion_summary(db, marked)
    assert [row.success for row in audit_rows(db, "referral.delete")] == [True, False]


def test_without_a_search_index_the_delete_is_the_same(db: Database, admin: Actor, marked: int) -> None:
    """A SQLite build without FTS5 has no index to clean (search falls back to LIKE)."""
    with db.engine.begin() as connection:
        search_index.drop(connection)

    delete_referral(db, admin, marked, REASON)

    assert set(rows_of(db, marked).values()) == {0}
    assert found_by_search(db, LAST) == []
