"""Today's worklist: which referral lands in which section, in what order, across the day's edges; and the
plans that keep each section's query on an index at a million referrals.

The clock is pinned to Wednesday 15 May 2024, 10:00 in the workstation's local time (the clinic's default
hours are Monday to Friday, 8 to 17, so the service line's 8 and 16 business-hour targets fall on known
hours). Every expected moment below is local time.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

import pytest
from sqlalchemy import insert, select

from refdesk.domain.lifecycle import OPEN_STATES, CloseReason, State
from refdesk.domain.models import Appointment, Partner, Referral, ReferralRecord, ServiceLine
from refdesk.domain.next_action import REMIND_BEFORE, Action
from refdesk.domain.times import as_utc
from refdesk.domain.vocab import (
    AppointmentStatus,
    AttemptMethod,
    AttemptOutcome,
    Channel,
    ContactMethod,
    Urgency,
)
from refdesk.services import scheduling, today
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.catalog import NewServiceLine, create_service_line
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.services.today import SectionKey, Worklist
from refdesk.services.workflow import acknowledge, close, move
from refdesk.storage import Database


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in May 2024, given in local wall-clock time (13 May is a Monday)."""
    return as_utc(datetime(2024, 5, day, hour, minute))


NOW = local(15, 10)  # Wednesday 10:00


def keys(worklist: Worklist, section: SectionKey, names: dict[str, int]) -> list[str]:
    by_id = {rid: name for name, rid in names.items()}
    return [by_id[row.id] for row in worklist.section(section).rows]


# --- a desk's morning, made through the real services ----------------------------------------------


@pytest.fixture
def service_line_id(db: Database, actor: Actor) -> int:
    """A line that requires no records: each test below lists the missing records it is about itself
    (a line's required records would put every referral in that section)."""
    return create_service_line(db, actor, NewServiceLine(name="Physical therapy", max_attempts=3))


@pytest.fixture
def desk(db: Database, actor: Actor, new_referral: NewReferral) -> dict[str, int]:
    """Referrals the tests tell apart by name; the comments say where each one belongs at NOW."""
    ids: dict[str, int] = {}

    def referral(name: str, received: datetime, **changes: Any) -> int:
        ids[name] = create_referral(
            db, actor, replace(new_referral, patient_last_name=name.title(), received_at=received, **changes)
        )
        return ids[name]

    def attempt(
        name: str, at: datetime, outcome: AttemptOutcome = AttemptOutcome.NO_ANSWER, **kw: Any
    ) -> None:
        log_attempt(db, actor, ids[name], AttemptMethod.CALL, outcome, at=at, **kw)

    # new: received this morning, acknowledgement due 17:00, first contact due Thursday 16:00
    referral("fresh", local(15, 9), urgency=Urgency.STAT)
    # first contact due today 16:00 (Tue 9-17 and Wed 8-16), receipt acknowledged
    referral("due_today", local(14, 9))
    acknowledge(db, actor, ids["due_today"])
    # first contact was due Tuesday 16:00, nobody acknowledged either: new *and* first contact
    referral("late", local(13, 9))
    # callbacks: promised for this afternoon, for yesterday (late), and for midnight (tomorrow)
    referral("callback_today", local(13, 10))
    attempt("callback_today", local(14, 10), callback_at=local(15, 14))
    referral("callback_late", local(13, 11))
    attempt("callback_late", local(14, 11), callback_at=local(14, 16))
    referral("callback_midnight", local(13, 12))
    attempt("callback_midnight", local(14, 12), callback_at=local(16, 0))
    # a callback that was kept: the next attempt promised nothing
    referral("callback_kept", local(13, 13))
    attempt("callback_kept", local(14, 9), callback_at=local(14, 15))
    attempt("callback_kept", local(14, 15))
    # three unanswered attempts: the service line's limit
    referral("limit", local(10, 9))
    for day in (13, 14, 15):
        attempt("limit", local(day, 9))
    # one attempt: neither late for first contact nor at the limit
    referral("tried_once", local(13, 14))
    attempt("tried_once", local(14, 14))
    return ids


def test_each_referral_lands_in_its_sections_in_working_order(db: Database, desk: dict[str, int]) -> None:
    worklist = today.worklist(db, now=NOW)
    assert [s.key for s in worklist.sections] == [key.value for key in SectionKey]
    assert keys(worklist, SectionKey.NEW, desk) == ["late", "fresh"]  # oldest first
    assert keys(worklist, SectionKey.FIRST_CONTACT, desk) == ["late", "due_today"]  # most late first
    assert keys(worklist, SectionKey.CALLBACKS, desk) == ["callback_late", "callback_today"]
    assert keys(worklist, SectionKey.ATTEMPT_LIMIT, desk) == ["limit"]
    assert keys(worklist, SectionKey.REMINDERS, desk) == []
    assert keys(worklist, SectionKey.NO_SHOWS, desk) == []
    assert keys(worklist, SectionKey.MISSING_RECORDS, desk) == []
    assert worklist.counts() == {
        "new": 2, "first_contact": 2, "callbacks": 2, "attempt_limit": 1, "reminders": 0, "no_shows": 0,
        "missing_records": 0,
    }  # fmt: skip
    assert not worklist.empty


def test_lines_carry_the_queue_row_and_the_moment_they_are_about(db: Database, desk: dict[str, int]) -> None:
    worklist = today.worklist(db, now=NOW)
    new = worklist.section(SectionKey.NEW)
    fresh = new.rows[1]
    assert fresh.patient_last_name == "Fresh" and fresh.urgency is Urgency.STAT
    assert fresh.partner_name == "Oak Street Primary Care" and fresh.service_line_name == "Physical therapy"
    assert new.moments[desk["fresh"]] == local(15, 9)
    first = worklist.section(SectionKey.FIRST_CONTACT)
    assert first.moments == {desk["late"]: local(14, 16), desk["due_today"]: local(15, 16)}
    callbacks = worklist.section(SectionKey.CALLBACKS)
    assert callbacks.moments[desk["callback_today"]] == local(15, 14)
    limit = worklist.section(SectionKey.ATTEMPT_LIMIT)
    assert limit.rows[0].attempt_count == 3 and limit.moments[desk["limit"]] == local(15, 9)
    assert new.title == "New — not yet acknowledged" and new.hint and new.total_text == "2"


def test_the_day_ends_at_local_midnight(db: Database, desk: dict[str, int]) -> None:
    last_moment = today.worklist(db, now=local(15, 23, 59) + timedelta(seconds=59))
    assert "callback_midnight" not in keys(last_moment, SectionKey.CALLBACKS, desk)
    assert "fresh" not in keys(last_moment, SectionKey.FIRST_CONTACT, desk)  # due Thursday 16:00
    thursday = today.worklist(db, now=local(16, 0))
    assert keys(thursday, SectionKey.CALLBACKS, desk) == [
        "callback_late",
        "callback_today",
        "callback_midnight",
    ]
    assert keys(thursday, SectionKey.FIRST_CONTACT, desk) == ["late", "due_today", "fresh"]


def test_working_a_referral_moves_it_out(db: Database, actor: Actor, desk: dict[str, int]) -> None:
    acknowledge(db, actor, desk["fresh"])
    log_attempt(db, actor, desk["late"], AttemptMethod.CALL, AttemptOutcome.REACHED, at=local(15, 9, 30))
    log_attempt(db, actor, desk["callback_today"], AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, at=NOW)
    close(db, actor, desk["limit"], CloseReason.NO_RESPONSE)
    worklist = today.worklist(db, now=NOW)
    assert keys(worklist, SectionKey.NEW, desk) == []
    assert keys(worklist, SectionKey.FIRST_CONTACT, desk) == ["due_today"]
    assert keys(worklist, SectionKey.CALLBACKS, desk) == ["callback_late"]
    assert keys(worklist, SectionKey.ATTEMPT_LIMIT, desk) == []


def test_closed_and_completed_referrals_never_appear(
    db: Database, actor: Actor, desk: dict[str, int]
) -> None:
    for name in ("late", "callback_late", "limit"):
        close(db, actor, desk[name], CloseReason.DUPLICATE_REFERRAL)
    completed = _scheduled(db, actor, desk, "completed", appointment=local(16, 9))
    move(db, actor, completed, State.COMPLETED)
    _records(db, completed, ("Recent notes", None, local(13, 9).date()))
    _records(db, desk["late"], ("Recent notes", None, local(13, 9).date()))
    worklist = today.worklist(db, now=NOW)
    shown = {row.id for section in worklist.sections for row in section.rows}
    assert shown.isdisjoint({desk[n] for n in ("late", "callback_late", "limit", "completed")})
    assert worklist.counts()["missing_records"] == 0 and worklist.counts()["reminders"] == 0


# --- appointments (booked through the scheduling service) and records (rows written as they would be) --


def _scheduled(
    db: Database,
    actor: Actor,
    desk: dict[str, int],
    name: str,
    *,
    appointment: datetime,
    booked: datetime | None = None,
    confirmed: datetime | None = None,
) -> int:
    """Reached on Monday, then booked (Monday 9:30 unless ``booked`` says when) for ``appointment``, and
    confirmed at ``confirmed`` when given. The gate is passed with a reason: the intake is not the point."""
    rid = create_referral(db, actor, _form(db, name, local(13, 8)))
    log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED, at=local(13, 9))
    result = scheduling.book(
        db, actor, rid, AppointmentDraft(appointment, provider="Dr Lee"), override_reason="test desk",
        at=booked or local(13, 9, 30),
    )  # fmt: skip
    if confirmed is not None:
        scheduling.confirm(db, actor, result.appointment_id, ContactMethod.PHONE, confirmed)
    desk[name] = rid
    return rid


def _appointment_of(db: Database, rid: int) -> int:
    """The id of the referral's only appointment."""
    with db.session() as session:
        return session.scalars(select(Appointment.id).where(Appointment.referral_id == rid)).one()


def _form(db: Database, name: str, received: datetime) -> NewReferral:
    with db.session() as session:
        partner = session.scalars(select(Partner.id)).first()
        line = session.scalars(select(ServiceLine.id)).first()
    assert partner is not None and line is not None
    return NewReferral(
        partner_id=partner, service_line_id=line, patient_first_name="Pat", patient_last_name=name.title(),
        patient_dob=date(1960, 1, 1), phone="555-201-4477", reason="Knee pain", channel=Channel.PHONE,
        received_at=received,
    )  # fmt: skip


def _records(db: Database, rid: int, *records: tuple[str, date | None, date | None]) -> None:
    """(name, received_on, requested_on) for each required record of the referral."""
    with db.transaction() as session:
        for name, received_on, requested_on in records:
            session.add(
                ReferralRecord(referral_id=rid, name=name, received_on=received_on, requested_on=requested_on)
            )


def test_unconfirmed_appointments_in_the_next_48_hours_need_a_reminder(
    db: Database, actor: Actor, desk: dict[str, int]
) -> None:
    _scheduled(db, actor, desk, "this_afternoon", appointment=local(15, 15))
    thursday = _scheduled(db, actor, desk, "thursday", appointment=local(16, 11))
    _scheduled(db, actor, desk, "friday_early", appointment=local(17, 9))  # 47 hours ahead
    # not on the list: confirmed, beyond 48 hours, started this morning, closed, moved beyond 48 hours
    _scheduled(db, actor, desk, "confirmed", appointment=local(16, 10), confirmed=local(14, 9))
    _scheduled(db, actor, desk, "friday_late", appointment=local(17, 10, 30))
    _scheduled(db, actor, desk, "this_morning", appointment=local(15, 8))
    gone = _scheduled(db, actor, desk, "cancelled_referral", appointment=local(16, 13))
    close(db, actor, gone, CloseReason.REFERRER_CANCELLED)
    moved = _scheduled(db, actor, desk, "moved", appointment=local(16, 14))
    next_week = AppointmentDraft(local(20, 9), provider="Dr Lee")
    scheduling.reschedule(db, actor, _appointment_of(db, moved), next_week, at=local(14, 10))

    worklist = today.worklist(db, now=NOW)
    assert keys(worklist, SectionKey.REMINDERS, desk) == ["this_afternoon", "thursday", "friday_early"]
    reminders = worklist.section(SectionKey.REMINDERS)
    assert reminders.moments[thursday] == local(16, 11) and reminders.total == 3
    # by Thursday noon the Thursday appointments have started and both Friday ones are within 48 hours
    thursday_noon = today.worklist(db, now=local(16, 12))
    assert keys(thursday_noon, SectionKey.REMINDERS, desk) == ["friday_early", "friday_late"]


def test_no_shows_and_cancelled_appointments_are_followed_up(
    db: Database, actor: Actor, desk: dict[str, int]
) -> None:
    missed = _scheduled(db, actor, desk, "missed", appointment=local(14, 10))
    called_off = _scheduled(db, actor, desk, "called_off", appointment=local(16, 10))
    _scheduled(db, actor, desk, "still_booked", appointment=local(17, 10))
    for rid, record, at in (
        (missed, scheduling.record_no_show, local(14, 12)),
        (called_off, scheduling.cancel_appointment, local(15, 9)),
    ):
        record(db, actor, _appointment_of(db, rid), at=at)

    worklist = today.worklist(db, now=NOW)
    assert keys(worklist, SectionKey.NO_SHOWS, desk) == ["missed", "called_off"]  # the most late first
    section = worklist.section(SectionKey.NO_SHOWS)
    with db.session() as session:
        due_at = {rid: session.get_one(Referral, rid).next_action_at for rid in (missed, called_off)}
    assert section.moments == due_at
    assert [row.state for row in section.rows] == [State.NO_SHOW, State.APPOINTMENT_CANCELLED]
    # rebooking takes the referral off the list
    scheduling.rebook(
        db, actor, missed, AppointmentDraft(local(21, 9), provider="Dr Lee"), at=local(15, 9, 30)
    )
    assert keys(today.worklist(db, now=NOW), SectionKey.NO_SHOWS, desk) == ["called_off"]


def test_open_referrals_blocked_on_records_oldest_request_first(
    db: Database, actor: Actor, desk: dict[str, int]
) -> None:
    monday, tuesday = local(13, 9).date(), local(14, 9).date()
    _records(db, desk["fresh"], ("Recent notes", None, tuesday), ("Imaging", None, monday))
    _records(db, desk["due_today"], ("Recent notes", None, tuesday))
    _records(db, desk["tried_once"], ("Recent notes", None, None))  # never requested: ask first
    _records(db, desk["limit"], ("Recent notes", monday, monday))  # arrived
    worklist = today.worklist(db, now=NOW)
    records = worklist.section(SectionKey.MISSING_RECORDS)
    assert keys(worklist, SectionKey.MISSING_RECORDS, desk) == ["tried_once", "fresh", "due_today"]
    assert records.moments == {desk["fresh"]: monday, desk["due_today"]: tuesday}
    assert records.notes[desk["fresh"]] == "Missing: Imaging, Recent notes"
    assert records.total == 3


def test_records_and_reminders_stop_counting_at_the_cap(
    db: Database, actor: Actor, desk: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monday = local(13, 9).date()
    for name in ("fresh", "due_today", "late"):
        _records(db, desk[name], ("Recent notes", None, monday), ("Imaging", None, monday))
    for name, hour in (("first", 13), ("second", 14), ("third", 15)):
        _scheduled(db, actor, desk, name, appointment=local(15, hour))
    monkeypatch.setattr(today, "COUNT_CAP", 2)
    worklist = today.worklist(db, now=NOW)
    records, reminders = worklist.section(SectionKey.MISSING_RECORDS), worklist.section(SectionKey.REMINDERS)
    assert records.total_text == "2+" and keys(worklist, SectionKey.MISSING_RECORDS, desk) == [
        "fresh",
        "due_today",
    ]
    assert reminders.total_text == "2+" and keys(worklist, SectionKey.REMINDERS, desk) == ["first", "second"]


def test_counts_cover_every_match_but_stop_at_the_cap(
    db: Database, desk: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    one_each = today.worklist(db, now=NOW, limit=1)
    assert [len(s.rows) for s in one_each.sections] == [1, 1, 1, 1, 0, 0, 0]
    assert one_each.counts()["callbacks"] == 2
    monkeypatch.setattr(today, "COUNT_CAP", 1)
    capped = today.worklist(db, now=NOW)
    new = capped.section(SectionKey.NEW)
    assert new.total == 2 and new.capped and new.total_text == "1+"
    assert (
        capped.counts()["first_contact"] == 2 and capped.section(SectionKey.ATTEMPT_LIMIT).total_text == "1"
    )
    assert all(len(section.rows) <= 1 for section in capped.sections)  # never more lines than the cap


def test_an_empty_desk_has_an_empty_worklist(db: Database) -> None:
    worklist = today.worklist(db, now=NOW)
    assert worklist.empty and all(s.total == 0 and s.rows == [] for s in worklist.sections)


@pytest.fixture
def new_york() -> Iterator[None]:
    if not hasattr(time, "tzset"):
        pytest.skip("the zone of a running process can only be changed on Unix")
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_a_day_that_changes_the_clocks_is_23_hours_long(new_york: None) -> None:
    day = today.Day.of(as_utc(datetime(2024, 3, 10, 10, 0)))  # spring forward, 02:00 -> 03:00
    assert day.start == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)
    assert day.end - day.start == timedelta(hours=23) and day.tomorrow_end - day.end == timedelta(hours=24)


# --- a few thousand rows in bulk: the plans, and a recount over every row --------------------------

_CLOSED = [State.COMPLETED] * 5 + [State.UNABLE_TO_REACH, State.DECLINED_BY_PATIENT, State.SEEN_ELSEWHERE]
_OPEN = [State.RECEIVED] * 2 + [State.CONTACT_ATTEMPTED] * 6 + [State.REACHED] * 2 + [State.SCHEDULED] * 8
_OPEN += [State.NO_SHOW, State.APPOINTMENT_CANCELLED]
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def bulk_rows(
    count: int,
    *,
    partner_id: int,
    service_line_id: int,
    now: datetime,
    days: int,
    seed: int = 7,
    first_id: int = 1,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Referrals received over ``days`` days before ``now``, a quarter open, with stored next actions as
    the services would keep them, their appointments and required records. Also feeds the 1M benchmark."""
    rng = Random(seed)
    referrals: list[dict[str, Any]] = []
    appointments: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for n in range(count):
        rid = first_id + n
        received = now - timedelta(seconds=rng.randrange(days * 86400))
        is_open = rng.random() < 0.25
        state = rng.choice(_OPEN if is_open else _CLOSED)
        row: dict[str, Any] = dict(
            id=rid, partner_id=partner_id, service_line_id=service_line_id, patient_first_name="Pat",
            patient_last_name=f"Bulk{n}", patient_dob=date(1980, 1, 1), phone="(555) 201-0000",
            name_key=f"pat bulk{n}", phone_digits="5552010000", reason="x", channel=Channel.FAX,
            urgency=rng.choice([Urgency.ROUTINE] * 8 + [Urgency.URGENT, Urgency.STAT]),
            received_at=received, state=state, attempt_count=0, interpreter_needed=False, created_at=received,
            updated_at=received, ack_due_at=received + 8 * HOUR, first_contact_due_at=received + 2 * DAY,
            acknowledged_at=received + 2 * HOUR, first_attempt_at=None, last_attempt_at=None,
            callback_due_at=None, next_action=None, next_action_at=None, state_changed_at=received,
        )  # fmt: skip
        if state is not State.RECEIVED:
            attempts = rng.randint(1, 4)
            last = received + DAY * attempts
            row.update(attempt_count=attempts, first_attempt_at=received + DAY, last_attempt_at=last)
        if state is State.RECEIVED:
            if rng.random() < 0.5:
                row.update(
                    acknowledged_at=None, next_action=Action.ACKNOWLEDGE, next_action_at=row["ack_due_at"]
                )
            else:
                row.update(next_action=Action.FIRST_CONTACT, next_action_at=row["first_contact_due_at"])
        elif state in (State.CONTACT_ATTEMPTED, State.REACHED):
            last = row["last_attempt_at"]
            if rng.random() < 0.15:
                callback = last + timedelta(hours=rng.randrange(1, 72))
                row.update(callback_due_at=callback, next_action=Action.CALLBACK, next_action_at=callback)
            elif state is State.REACHED:
                row.update(next_action=Action.BOOK, next_action_at=last + DAY)
            elif row["attempt_count"] >= 3:
                row.update(next_action=Action.CLOSE_UNREACHABLE, next_action_at=last)
            else:
                row.update(next_action=Action.NEXT_ATTEMPT, next_action_at=last + DAY)
        elif state in (State.SCHEDULED, State.COMPLETED):
            starts = received + timedelta(hours=rng.randrange(24 * 2, 24 * 30))
            status = AppointmentStatus.COMPLETED
            if state is State.SCHEDULED:
                status = rng.choice([AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED])
                if status is AppointmentStatus.CONFIRMED:  # confirmed: no reminder, the visit is next
                    row.update(next_action=Action.RECORD_VISIT, next_action_at=starts)
                else:
                    row.update(next_action=Action.REMIND, next_action_at=starts - REMIND_BEFORE)
            appointments.append(dict(referral_id=rid, starts_at=starts, status=status, created_at=received))
        elif state in (State.NO_SHOW, State.APPOINTMENT_CANCELLED):
            action = Action.FOLLOW_UP_NO_SHOW if state is State.NO_SHOW else Action.REBOOK
            row.update(next_action=action, next_action_at=received + 20 * DAY)
        if rng.random() < 0.6:
            missing = rng.random() < (0.2 if is_open else 0.03)
            requested = None if missing and rng.random() < 0.2 else received.date()
            records.append(
                dict(referral_id=rid, name="Recent notes", received_on=None if missing else received.date(),
                     requested_on=requested)
            )  # fmt: skip
        referrals.append(row)
    return referrals, appointments, records


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Four thousand referrals over the last 30 days, a quarter open, loaded in bulk and analysed."""
    db = Database.open(tmp_path_factory.mktemp("today") / "today.db")
    with db.transaction() as session:
        session.execute(
            insert(Partner).values(id=1, name="Partner", name_key="partner", category="primary_care")
        )
        session.execute(insert(ServiceLine).values(id=1, name="Physical therapy", required_records=[]))
    referrals, appointments, records = bulk_rows(4000, partner_id=1, service_line_id=1, now=NOW, days=30)
    with db.transaction() as session:
        session.execute(insert(Referral), referrals)
        session.execute(insert(Appointment), appointments)
        session.execute(insert(ReferralRecord), records)
    db.analyze()
    yield db
    db.close()


def plan(db: Database, query: Any) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"render_postcompile": True})
    with db.engine.connect() as connection:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


#: A full pass over the referral table; "SCAN referral USING ... INDEX" reads only an index (and the
#: partial ones hold only open rows), "SEARCH" and primary-key lookups read a handful of rows.
_FULL_SCAN = re.compile(r"SCAN referral\b(?! USING)")


#: The index each section is written for, where the schema has it (proposed with the Today tab: the queries
#: name its columns and its partial WHERE, so SQLite picks it up as soon as a migration adds it).
_MADE_FOR = {
    "first_contact": "ix_referral_first_contact_due",
    "callbacks": "ix_referral_open_action_due",
    "attempt_limit": "ix_referral_open_action_due",
    "reminders": "ix_appointment_starts_at",
    "no_shows": "ix_referral_open_action_due",
    "missing_records": "ix_referral_record_missing",
}


@pytest.mark.parametrize("key", [key.value for key in SectionKey])
def test_every_section_is_read_through_an_index(many: Database, key: str) -> None:
    from sqlalchemy import func

    with many.engine.connect() as connection:
        indexes = set(
            connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
        )
    for query in today.section_queries(NOW)[key]:
        page = plan(many, query.limit(50))
        count = plan(many, select(func.count()).select_from(query.order_by(None).limit(1000).subquery()))
        for text in (page, count):
            assert not _FULL_SCAN.search(text), text
            assert "referral" in text, text
    if _MADE_FOR.get(key) in indexes:
        assert _MADE_FOR[key] in plan(many, today.section_queries(NOW)[key][0].limit(50))


def test_the_sections_agree_with_a_recount_over_every_row(many: Database) -> None:
    """The section definitions applied in Python to every row must give the same lines in the same order."""
    worklist = today.worklist(many, now=NOW, limit=1000)
    day = today.Day.of(NOW)
    with many.session() as session:
        referrals = [r for r in session.scalars(select(Referral)) if r.state in OPEN_STATES]
        appointments = list(session.scalars(select(Appointment)))
        records = list(session.scalars(select(ReferralRecord)))
    open_ids = {r.id for r in referrals}

    def before_end(moment: datetime | None) -> bool:
        return moment is not None and moment < day.end

    def lines(moments: dict[int, Any]) -> list[int]:
        return [rid for rid, _ in sorted(moments.items(), key=lambda pair: (pair[1], pair[0]))]

    def new(r: Referral) -> bool:
        return r.state is State.RECEIVED and r.acknowledged_at is None

    def first_contact(r: Referral) -> bool:
        return r.state is State.RECEIVED and r.first_attempt_at is None and before_end(r.first_contact_due_at)

    def callback(r: Referral) -> bool:
        return (
            r.next_action is Action.CALLBACK
            and before_end(r.callback_due_at)
            and before_end(r.next_action_at)
        )

    reminders = {
        a.referral_id: a.starts_at
        for a in appointments
        if a.status is AppointmentStatus.BOOKED
        and a.referral_id in open_ids
        and NOW <= a.starts_at < NOW + today.REMIND_WITHIN
    }
    follow_ups = (Action.FOLLOW_UP_NO_SHOW, Action.REBOOK)
    missing: dict[int, date] = {}
    for record in records:
        if record.received_on is None and record.referral_id in open_ids:
            requested = record.requested_on or date.min  # never requested: first
            missing[record.referral_id] = min(requested, missing.get(record.referral_id, requested))
    expected = {
        SectionKey.NEW: lines({r.id: r.received_at for r in referrals if new(r)}),
        SectionKey.FIRST_CONTACT: lines(
            {r.id: r.first_contact_due_at for r in referrals if first_contact(r)}
        ),
        SectionKey.CALLBACKS: lines({r.id: r.next_action_at for r in referrals if callback(r)}),
        SectionKey.ATTEMPT_LIMIT: lines(
            {r.id: r.next_action_at for r in referrals if r.next_action is Action.CLOSE_UNREACHABLE}
        ),
        SectionKey.REMINDERS: lines(reminders),
        SectionKey.NO_SHOWS: lines(
            {r.id: r.next_action_at for r in referrals if r.next_action in follow_ups}
        ),
        SectionKey.MISSING_RECORDS: lines(missing),
    }
    for key, ids in expected.items():
        section = worklist.section(key)
        assert 0 < len(ids) < today.COUNT_CAP, key  # every section has work, none is capped
        assert [row.id for row in section.rows] == ids, key
        assert section.total == len(ids), key
