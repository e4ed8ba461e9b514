"""Scheduling the first visit as the desk does it: the gate that refuses with what is missing and the
override that is audited; the whole path from booking to the first visit with its history; confirming;
authorization warnings; impossible dates refused with nothing saved; and the appointment work in the
queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import (
    Appointment,
    ChecklistAnswer,
    IntakeItem,
    IntakeScript,
    Referral,
    ServiceLine,
)
from refdesk.domain.next_action import REMIND_BEFORE, Action
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import AppointmentStatus, AttemptMethod, AttemptOutcome, ContactMethod, ItemKind
from refdesk.errors import NotFoundError, TransitionError, ValidationError
from refdesk.services import intake, queue, scheduling
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.queue import QueueFilter, QueueSort
from refdesk.services.referrals import NewReferral, create_referral, get_referral, update_referral
from refdesk.services.scheduling import AppointmentDraft, SchedulingBlocked
from refdesk.services.timeline import EntryKind, referral_timeline
from refdesk.services.workflow import BOOK_FIRST, close, move
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows, count

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
#: Referrals in these tests were received ten days ago, so history can be recorded with ``at``.
RECEIVED_AGO = timedelta(days=10)


def settle_gate(db: Database, referral_id: int) -> None:
    """Answer every open blocking item of the referral's current script, as the intake call would."""
    with db.transaction() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        open_prompts = set(intake.open_blocking_items(session, referral))
        for item in intake.current_items(session, referral.service_line_id):
            if item.prompt in open_prompts:
                value: Any = {ItemKind.YES_NO: True, ItemKind.CHOICE: (item.choices or ["yes"])[0]}.get(
                    item.kind, "done"
                )
                session.add(ChecklistAnswer(referral_id=referral_id, item_id=item.id, value=value))


def reached(db: Database, actor: Actor, form: NewReferral, *, gate: bool = True, **changes: Any) -> int:
    """A referral received ten days ago and reached an hour later; its gate settled unless ``gate`` is
    False (the service line's default script may block scheduling)."""
    received = utc_now() - RECEIVED_AGO
    rid = create_referral(db, actor, replace(form, received_at=received, **changes))
    log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED, at=received + HOUR)
    if gate:
        settle_gate(db, rid)
    return rid


def draft(starts_at: datetime | None, provider: str | None = "Dr Lee", **kw: Any) -> AppointmentDraft:
    return AppointmentDraft(starts_at=starts_at, provider=provider, **kw)


def in_days(days: float, hour: int = 10) -> datetime:
    """A local wall-clock time ``days`` from today at ``hour`` (naive: what the desk types)."""
    day = datetime.now().date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0)


def rows(db: Database, referral_id: int) -> list[Appointment]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Appointment).where(Appointment.referral_id == referral_id).order_by(Appointment.id)
            )
        )


@pytest.fixture
def gated_line(db: Database) -> int:
    """A service line whose current script has two items that block scheduling and one that does not."""
    with db.transaction() as session:
        line = ServiceLine(name="Surgery consult", required_records=[])
        script = IntakeScript(service_line=line)
        script.items += [
            IntakeItem(key="imaging", position=1, prompt="Imaging report on file?", kind=ItemKind.YES_NO,
                       blocks_scheduling=True),
            IntakeItem(key="times", position=2, prompt="Best times to call", kind=ItemKind.TEXT),
            IntakeItem(key="auth", position=3, prompt="Authorization number", kind=ItemKind.TEXT,
                       blocks_scheduling=True),
        ]  # fmt: skip
        session.add_all([line, script])
        session.flush()
        return line.id


# --- the gate ----------------------------------------------------------------------------------------


def test_the_gate_refuses_with_what_is_missing_then_accepts_an_override_with_a_reason(
    db: Database, actor: Actor, new_referral: NewReferral, gated_line: int
) -> None:
    rid = reached(db, actor, new_referral, gate=False, service_line_id=gated_line)
    booking = draft(in_days(7), location="Main St")

    with pytest.raises(SchedulingBlocked) as refused:
        scheduling.book(db, actor, rid, booking)
    assert refused.value.items == ["Imaging report on file?", "Authorization number"]
    assert "Imaging report on file?; Authorization number" in str(refused.value)
    with pytest.raises(ValidationError) as blank:
        scheduling.book(db, actor, rid, booking, override_reason="   ")
    assert set(blank.value.errors) == {"override_reason"}
    assert count(db, Appointment) == 0 and get_referral(db, rid).state is State.REACHED
    assert [a.success for a in audit_rows(db, "appointment.book")] == [False, False]

    result = scheduling.book(db, actor, rid, booking, override_reason="Surgeon agreed to see him first")

    assert result.state is State.SCHEDULED
    assert result.overridden == ("Imaging report on file?", "Authorization number")
    assert get_referral(db, rid).state is State.SCHEDULED
    history = [e for e in referral_timeline(db, rid) if e.kind is EntryKind.STATUS]
    assert history[0].text == (
        "Reached → Scheduled — Scheduled anyway with open intake items (Imaging report on file?; "
        "Authorization number): Surgeon agreed to see him first"
    )
    audit = audit_rows(db, "appointment.book")[-1]
    assert audit.success and audit.entity_id == rid
    assert audit.detail is not None and audit.detail["override"] == "Surgeon agreed to see him first"
    assert audit.detail["open_items"] == ["Imaging report on file?", "Authorization number"]


def test_the_gate_names_the_items_by_their_titles() -> None:
    long = "Missing records: are all the records this service requires on file? If not, request them."
    assert scheduling.item_title(long) == "Missing records"
    assert scheduling.item_title("Imaging report on file?") == "Imaging report on file?"
    assert scheduling.item_title("x" * 80 + ": more") == "x" * 80 + ": more"  # no short title: all of it
    blocked = SchedulingBlocked([long, "Authorization number"])
    assert blocked.titles == ["Missing records", "Authorization number"] and blocked.items[0] == long
    assert "done: Missing records; Authorization number. Complete" in str(blocked)


def test_the_gate_lets_a_referral_through_once_its_items_are_settled(
    db: Database, actor: Actor, new_referral: NewReferral, gated_line: int
) -> None:
    rid = reached(db, actor, new_referral, gate=False, service_line_id=gated_line)
    assert scheduling.appointment_history(db, rid).blocking_items == (
        "Imaging report on file?",
        "Authorization number",
    )
    settle_gate(db, rid)
    assert scheduling.appointment_history(db, rid).blocking_items == ()
    result = scheduling.book(db, actor, rid, draft(in_days(7)), override_reason="not needed")
    assert result.overridden == () and result.state is State.SCHEDULED
    note = [e for e in referral_timeline(db, rid) if e.kind is EntryKind.STATUS][0].text
    assert note == "Reached → Scheduled"  # nothing was overridden, so nothing is said about it


def test_scheduling_needs_a_reached_patient_and_a_booking(
    db: Database, actor: Actor, referral_id: int
) -> None:
    with pytest.raises(TransitionError, match="Reach the patient before scheduling"):
        scheduling.book(db, actor, referral_id, draft(in_days(7)))
    log_attempt(db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.REACHED)
    with pytest.raises(TransitionError, match="Book the appointment"):
        move(db, actor, referral_id, State.SCHEDULED)
    assert [(a.success, (a.detail or {}).get("error")) for a in audit_rows(db, "referral.move")] == [
        (False, BOOK_FIRST)
    ]
    with pytest.raises(NotFoundError):
        scheduling.book(db, actor, 424242, draft(in_days(7)))


# --- the whole path ----------------------------------------------------------------------------------


def test_book_reschedule_no_show_rebook_completed_with_its_history(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    now = utc_now()
    rid = reached(db, actor, new_referral)
    booked = scheduling.book(
        db, actor, rid, draft(as_utc(now - 6 * DAY), location="Main St", note="bring scans"), at=now - 9 * DAY
    )
    assert booked.reschedules == 0 and booked.state is State.SCHEDULED

    later = draft(
        now - 4 * DAY, provider="Dr Adeyemi", location="Main St", note="patient asked for a later day"
    )
    moved = scheduling.reschedule(db, actor, booked.appointment_id, later, at=now - 8 * DAY)
    assert moved.reschedules == 1 and moved.appointment_id != booked.appointment_id
    assert get_referral(db, rid).state is State.SCHEDULED  # a reschedule keeps the referral Scheduled

    scheduling.record_no_show(
        db, actor, moved.appointment_id, note="no call, no show", at=now - 4 * DAY + HOUR
    )
    assert get_referral(db, rid).state is State.NO_SHOW
    assert get_referral(db, rid).next_action is Action.FOLLOW_UP_NO_SHOW

    again = scheduling.rebook(db, actor, rid, draft(now - DAY, location="Oak Ave"), at=now - 3 * DAY)
    assert again.reschedules == 1 and get_referral(db, rid).state is State.SCHEDULED
    scheduling.record_completed(db, actor, again.appointment_id, at=now - DAY + HOUR)

    referral = get_referral(db, rid)
    assert referral.state is State.COMPLETED and referral.next_action is None
    chain = rows(db, rid)
    assert [a.status for a in chain] == [
        AppointmentStatus.RESCHEDULED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.COMPLETED,
    ]
    assert [a.replaces_id for a in chain] == [None, chain[0].id, chain[1].id]
    assert chain[0].note == "patient asked for a later day" and chain[1].note == "no call, no show"
    history = scheduling.appointment_history(db, rid)
    assert history.reschedules == 1 and history.current is not None and history.active is None
    assert history.current.status is AppointmentStatus.COMPLETED and history.state is State.COMPLETED

    texts = [e.text for e in referral_timeline(db, rid) if e.kind is not EntryKind.ATTEMPT]
    assert texts[0] == "Scheduled → First visit completed"
    assert texts[1] == "No-show → Scheduled"
    assert texts[2].startswith("Appointment rebooked for ") and texts[2].endswith(" with Dr Lee at Oak Ave")
    assert texts[3] == "Scheduled → No-show — no call, no show"
    assert texts[4].startswith("Appointment rescheduled from ")
    assert texts[4].endswith(" with Dr Adeyemi at Main St — patient asked for a later day")
    assert texts[5] == "Reached → Scheduled — bring scans"
    assert texts[6].startswith("Appointment booked for ") and texts[6].endswith(" with Dr Lee at Main St")
    actions = [a.action for a in audit_rows(db, "appointment.book")]
    actions += [a.action for a in audit_rows(db, "appointment.reschedule")]
    actions += [a.action for a in audit_rows(db, "appointment.no_show")]
    actions += [a.action for a in audit_rows(db, "appointment.rebook")]
    actions += [a.action for a in audit_rows(db, "appointment.complete")]
    assert len(actions) == 5  # one audited transaction each


def test_the_state_buttons_route_to_the_booked_appointment(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    booked = scheduling.book(db, actor, rid, draft(as_utc(utc_now() - 2 * DAY)), at=utc_now() - 5 * DAY)
    move(db, actor, rid, State.NO_SHOW, note="did not come")
    assert (
        rows(db, rid)[0].status is AppointmentStatus.NO_SHOW and get_referral(db, rid).state is State.NO_SHOW
    )
    with pytest.raises(TransitionError, match="Book the appointment"):
        move(db, actor, rid, State.SCHEDULED)  # a rebook needs a time too
    again = scheduling.book(db, actor, rid, draft(in_days(3)))  # book after a no-show is a rebook
    assert rows(db, rid)[-1].replaces_id == booked.appointment_id
    move(db, actor, rid, State.APPOINTMENT_CANCELLED, note="patient has the flu")
    assert [a.status for a in rows(db, rid)] == [AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED]
    assert get_referral(db, rid).next_action is Action.REBOOK
    with pytest.raises(TransitionError, match="cancelled; rebook"):
        scheduling.confirm(db, actor, again.appointment_id, ContactMethod.PHONE, utc_now())


def test_a_visit_cannot_be_missed_or_completed_before_it_happens(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    booked = scheduling.book(db, actor, rid, draft(in_days(2)))
    with pytest.raises(TransitionError, match="has not started yet"):
        scheduling.record_no_show(db, actor, booked.appointment_id)
    with pytest.raises(TransitionError, match="day has not come yet"):
        move(db, actor, rid, State.COMPLETED)
    assert (
        get_referral(db, rid).state is State.SCHEDULED and rows(db, rid)[0].status is AppointmentStatus.BOOKED
    )


def test_closing_a_scheduled_referral_cancels_its_appointment(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    scheduling.book(db, actor, rid, draft(in_days(5)))
    close(db, actor, rid, CloseReason.SEEN_ELSEWHERE)
    [appointment] = rows(db, rid)
    assert appointment.status is AppointmentStatus.CANCELLED
    assert appointment.note == "Referral closed: Seen elsewhere"


def test_an_out_of_date_screen_cannot_act_on_a_moved_appointment(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    first = scheduling.book(db, actor, rid, draft(in_days(5)))
    scheduling.reschedule(db, actor, first.appointment_id, draft(in_days(6)))
    with pytest.raises(TransitionError, match="was rescheduled; the new one"):
        scheduling.reschedule(db, actor, first.appointment_id, draft(in_days(8)))
    with pytest.raises(ValidationError) as same:
        scheduling.reschedule(db, actor, rows(db, rid)[-1].id, draft(in_days(6)))
    assert set(same.value.errors) == {"starts_at"}
    assert len(rows(db, rid)) == 2


# --- confirmation and the next action ------------------------------------------------------------------


def test_confirming_ends_the_reminder_and_a_reschedule_needs_a_new_one(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    booked = scheduling.book(db, actor, rid, draft(in_days(5)))
    referral = get_referral(db, rid)
    assert referral.next_action is Action.REMIND
    assert referral.next_action_at == as_utc(in_days(5)) - REMIND_BEFORE

    with pytest.raises(ValidationError) as future:
        scheduling.confirm(db, actor, booked.appointment_id, ContactMethod.TEXT, utc_now() + DAY)
    assert set(future.value.errors) == {"on"}
    scheduling.confirm(db, actor, booked.appointment_id, ContactMethod.PHONE, utc_now())
    referral = get_referral(db, rid)
    assert referral.next_action is Action.RECORD_VISIT and referral.next_action_at == as_utc(in_days(5))
    [row] = rows(db, rid)
    assert row.status is AppointmentStatus.CONFIRMED and row.confirmed_by is ContactMethod.PHONE
    with pytest.raises(TransitionError, match="already confirmed by phone"):
        scheduling.confirm(db, actor, booked.appointment_id, ContactMethod.TEXT, utc_now())
    newest = referral_timeline(db, rid)[0]
    assert newest.text.endswith("confirmed by phone (reminder call)")

    moved = scheduling.reschedule(db, actor, booked.appointment_id, draft(in_days(9)))
    assert get_referral(db, rid).next_action is Action.REMIND
    assert rows(db, rid)[-1].status is AppointmentStatus.BOOKED and moved.reschedules == 1


def test_an_appointment_booked_for_tomorrow_morning_needs_no_reminder_call(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    scheduling.book(db, actor, rid, draft(as_utc(utc_now() + 20 * HOUR)))
    assert get_referral(db, rid).next_action is Action.RECORD_VISIT


# --- authorization --------------------------------------------------------------------------------------


def test_booking_warns_when_the_authorization_does_not_cover_the_visit(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    expires = datetime.now().date() + timedelta(days=3)
    rid = reached(
        db, actor, new_referral, authorization_number="AUTH-1", authorization_visits=0,
        authorization_expires_on=expires,
    )  # fmt: skip
    result = scheduling.book(db, actor, rid, draft(in_days(10)))
    spoken = f"{expires.day} {expires:%b %Y}"
    assert result.warnings == (
        f"The authorization expires on {spoken}, before this appointment.",
        "The authorization approves no visits.",
    )
    assert scheduling.appointment_history(db, rid).warnings == result.warnings
    update_referral(
        db, actor, rid, {"authorization_visits": 6, "authorization_expires_on": expires + 30 * DAY}
    )
    assert scheduling.appointment_history(db, rid).warnings == ()
    moved = scheduling.reschedule(db, actor, result.appointment_id, draft(in_days(60)))
    assert moved.warnings and moved.warnings[0].startswith("The authorization expires on")


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "field", "words"),
    [
        (None, "starts_at", "Enter the appointment's date and time."),
        (lambda: in_days(-5), "starts_at", "more than 3 days in the past"),
        (lambda: in_days(-30), "starts_at", "before the referral was received"),
        (lambda: in_days(600), "starts_at", "more than 18 months ahead"),
    ],
)
def test_impossible_times_are_refused_at_the_field_and_nothing_is_saved(
    db: Database, actor: Actor, new_referral: NewReferral, starts_at: Any, field: str, words: str
) -> None:
    rid = reached(db, actor, new_referral)
    with pytest.raises(ValidationError) as refused:
        scheduling.book(db, actor, rid, draft(starts_at() if starts_at else None))
    assert words in refused.value.errors[field]
    assert count(db, Appointment) == 0 and get_referral(db, rid).state is State.REACHED


def test_required_and_overlong_answers_are_refused_together(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    rid = reached(db, actor, new_referral)
    with pytest.raises(ValidationError) as refused:
        scheduling.book(db, actor, rid, draft(None, provider="  ", location="x" * 121, note="y" * 1001))
    assert refused.value.errors == {
        "starts_at": "Enter the appointment's date and time.",
        "provider": "Provider is required.",
        "location": "Location is too long (at most 120 characters).",
        "note": "Note is too long (at most 1000 characters).",
    }
    with pytest.raises(ValidationError) as late:
        scheduling.book(db, actor, rid, draft(in_days(3)), at=utc_now() + DAY)
    assert set(late.value.errors) == {"at"}
    assert count(db, Appointment) == 0


def test_a_local_time_the_clocks_skip_does_not_exist(
    db: Database, actor: Actor, new_referral: NewReferral, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("the zone of a running process can only be changed on Unix")
    rid = reached(db, actor, new_referral)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        year = datetime.now().year + 1
        march = date(year, 3, 8)
        second_sunday = march + timedelta(days=(6 - march.weekday()) % 7)
        skipped = datetime.combine(second_sunday, datetime.min.time()).replace(hour=2, minute=30)
        with pytest.raises(ValidationError) as refused:
            scheduling.book(db, actor, rid, draft(skipped))
        assert "does not exist" in refused.value.errors["starts_at"]
    finally:
        monkeypatch.undo()
        time.tzset()


# --- the queue's appointment work -------------------------------------------------------------------------


def test_the_queue_filters_the_appointment_work(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    waiting = reached(db, actor, new_referral, patient_last_name="Waiting")
    booked = reached(db, actor, new_referral, patient_last_name="Booked")
    scheduling.book(db, actor, booked, draft(in_days(4)))
    missed = reached(db, actor, new_referral, patient_last_name="Missed")
    result = scheduling.book(db, actor, missed, draft(as_utc(utc_now() - DAY)), at=utc_now() - 3 * DAY)
    scheduling.record_no_show(db, actor, result.appointment_id)

    work = QueueFilter(actions=queue.APPOINTMENT_WORK)
    found = set(queue.matching_ids(db, work, QueueSort()))
    assert found == {booked, missed} and waiting not in found
    assert queue.count(db, work) == 2
    only_no_shows = replace(work, actions=frozenset({Action.FOLLOW_UP_NO_SHOW}))
    assert queue.matching_ids(db, only_no_shows, QueueSort()) == [missed]


def test_the_appointment_work_filter_reads_the_next_action_index(db: Database) -> None:
    query = (
        select(Referral.id)
        .where(*queue._conditions(db, QueueFilter(actions=queue.APPOINTMENT_WORK), datetime.now(UTC)))
        .order_by(Referral.next_action_at)
    )
    compiled = query.compile(db.engine, compile_kwargs={"render_postcompile": True})
    with db.engine.connect() as connection:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        plan = " | ".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        )
    assert "ix_referral_open_action_due" in plan, plan
