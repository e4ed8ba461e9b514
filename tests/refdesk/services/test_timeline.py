"""A referral's history as the front desk reads it: every change and attempt, who and when, newest first,
from a fixed handful of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import Appointment, StatusEvent
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import AppointmentStatus, AttemptMethod, AttemptOutcome, ContactMethod
from refdesk.services import scheduling
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.scheduling import AppointmentDraft
from refdesk.services.timeline import NOBODY, EntryKind, referral_timeline
from refdesk.services.workflow import close, reopen
from refdesk.storage import Database

CALL = AttemptMethod.CALL


@contextmanager
def counting_queries(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def add_appointment(db: Database, actor: Actor, referral_id: int, starts_at: datetime, **values: Any) -> None:
    """An appointment row written directly (the query-count test needs rows, not the booking rules)."""
    with db.transaction() as session:
        session.add(
            Appointment(referral_id=referral_id, starts_at=starts_at, created_by=actor.staff_id, **values)
        )


def test_a_worked_referral_reads_newest_first_with_who_and_what(
    db: Database, actor: Actor, referral_id: int
) -> None:
    sam = ensure_staff(db, "sam", "Sam Okafor")
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER, note="rang out")
    log_attempt(db, sam, referral_id, CALL, AttemptOutcome.LEFT_VOICEMAIL)
    callback = utc_now() + timedelta(days=1)
    log_attempt(db, sam, referral_id, CALL, AttemptOutcome.REACHED, callback_at=callback)
    booking = AppointmentDraft(utc_now() + timedelta(days=7), provider="Dr Lee", location="Main St")
    booked = scheduling.book(db, actor, referral_id, booking, override_reason="tests do not run the intake")
    scheduling.confirm(db, actor, booked.appointment_id, ContactMethod.TEXT, utc_now())
    close(db, actor, referral_id, CloseReason.PATIENT_TIMING, note="moving away")
    reopen(db, sam, referral_id, target=State.REACHED)

    entries = referral_timeline(db, referral_id)

    assert [(e.kind, e.who) for e in entries] == [
        (EntryKind.STATUS, "Sam Okafor"),
        (EntryKind.STATUS, "Maria Lopez"),
        (EntryKind.APPOINTMENT, NOBODY),  # confirmed: the row does not say by whom
        # the appointment is booked before the referral is marked Scheduled, in the same instant
        (EntryKind.STATUS, "Maria Lopez"),
        (EntryKind.APPOINTMENT, "Maria Lopez"),
        # the state change reached by a call is listed above the call that caused it
        (EntryKind.STATUS, "Sam Okafor"),
        (EntryKind.ATTEMPT, "Sam Okafor"),
        (EntryKind.ATTEMPT, "Sam Okafor"),
        (EntryKind.STATUS, "Maria Lopez"),
        (EntryKind.ATTEMPT, "Maria Lopez"),
        (EntryKind.STATUS, "Maria Lopez"),
    ]
    texts = [e.text for e in entries]
    assert texts[0] == "Reopened: Declined by patient → Reached"
    assert texts[1] == "Scheduled → Declined by patient (Patient declined: timing) — moving away"
    assert texts[2].startswith("Appointment for ") and texts[2].endswith(" confirmed by text")
    assert texts[3].startswith("Reached → Scheduled")
    assert texts[4].startswith("Appointment booked for ") and texts[4].endswith(" with Dr Lee at Main St")
    assert texts[5] == "Contact attempted → Reached — patient reached"
    assert texts[6].startswith("Call: Reached; callback promised for ")
    assert texts[7] == "Call: Left voicemail"
    assert texts[8] == "Received → Contact attempted — first contact attempt"
    assert texts[9] == "Call: No answer — rang out"
    assert texts[10] == "Referral received (Received)"
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in entries)
    assert entries[0].to_state is State.REACHED and entries[6].outcome is AttemptOutcome.REACHED
    # closing the referral cancelled its appointment
    assert entries[4].appointment_status is AppointmentStatus.CANCELLED and entries[4].starts_at is not None


def test_text_from_the_database_is_kept_verbatim(db: Database, actor: Actor, referral_id: int) -> None:
    log_attempt(db, actor, referral_id, AttemptMethod.TEXT, AttemptOutcome.SENT, note="<b>A & B</b>")
    assert referral_timeline(db, referral_id)[1].text == "Text: Sent — <b>A & B</b>"


def test_an_entry_nobody_is_recorded_for_says_so(db: Database, referral_id: int) -> None:
    with db.transaction() as session:
        session.add(
            StatusEvent(
                referral_id=referral_id,
                from_state=State.RECEIVED,
                to_state=State.CONTACT_ATTEMPTED,
                at=datetime(2099, 1, 1, tzinfo=UTC),
                staff_id=None,
            )
        )
    newest = referral_timeline(db, referral_id)[0]
    assert newest.who == NOBODY and newest.text == "Received → Contact attempted"


def test_an_unknown_referral_has_no_history(db: Database) -> None:
    assert referral_timeline(db, 999_999) == []


def test_the_timeline_costs_the_same_few_queries_however_long_the_history(
    db: Database, actor: Actor, referral_id: int
) -> None:
    others = [ensure_staff(db, f"user{i}", f"User {i}") for i in range(3)]
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER)
    with counting_queries(db) as short:
        referral_timeline(db, referral_id)
    for i in range(12):
        log_attempt(db, others[i % 3], referral_id, CALL, AttemptOutcome.NO_ANSWER)
    add_appointment(db, others[0], referral_id, utc_now() + timedelta(days=3))
    with counting_queries(db) as long:
        entries = referral_timeline(db, referral_id)
    assert len(entries) == 16
    # events, attempts, appointments, and the staff names in one query (no query per entry)
    assert len(short) == len(long) == 4
    assert {e.who for e in entries} == {"Maria Lopez", "User 0", "User 1", "User 2"}
