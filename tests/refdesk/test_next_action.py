"""What is due when: business-hour targets and the next action the queue and Today show."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdesk.domain.calendar import BusinessHours
from refdesk.domain.lifecycle import State
from refdesk.domain.next_action import Action, Facts, Targets, deadlines, missed_target, next_action

HOURS = BusinessHours(zone=UTC)  # the tests read in UTC so they do not depend on the machine's zone


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 2 March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2, 9), 4, at(2, 13)),  # Monday morning, same day
        (at(2, 16), 8, at(3, 15)),  # one hour left today, seven tomorrow
        (at(6, 16), 8, at(9, 15)),  # Friday afternoon runs into Monday
        (at(7, 11), 2, at(9, 10)),  # received on Saturday: the clock starts Monday at opening
        (at(2, 6), 1, at(2, 9)),  # before opening
        (at(2, 18), 9, at(3, 17)),  # after closing: all of Tuesday
    ],
)
def test_targets_count_business_hours(start: datetime, hours: int, due: datetime) -> None:
    assert HOURS.add(start, hours) == due


def test_holidays_are_skipped() -> None:
    with_holiday = BusinessHours(zone=UTC, holidays=frozenset({date(2026, 3, 3)}))
    assert with_holiday.add(at(2, 16), 8) == at(4, 15)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)), st.integers(1, 80))
def test_a_due_time_is_always_inside_opening_hours_and_never_earlier(start: datetime, hours: int) -> None:
    start = start.replace(tzinfo=UTC)
    due = HOURS.add(start, hours)
    assert due > start
    assert due.weekday() < 5 and time(8) < due.time() <= time(17)


TARGETS = Targets(ack_hours=4, first_contact_hours=8, max_attempts=3)
RECEIVED = at(2, 9)
DUE = deadlines(RECEIVED, TARGETS, HOURS)


def action(**facts: object) -> tuple[Action, datetime] | None:
    result = next_action(Facts(received_at=RECEIVED, **facts), TARGETS, DUE, HOURS)  # type: ignore[arg-type]
    return None if result is None else (result.action, result.due_at)


def test_a_new_referral_is_first_acknowledged_then_contacted() -> None:
    assert (DUE.ack_due_at, DUE.first_contact_due_at) == (at(2, 13), at(2, 17))
    assert action(state=State.RECEIVED) == (Action.ACKNOWLEDGE, at(2, 13))
    assert action(state=State.RECEIVED, acknowledged_at=at(2, 10)) == (Action.FIRST_CONTACT, at(2, 17))


def test_after_an_attempt_try_again_next_business_day_or_when_promised() -> None:
    tried = {"state": State.CONTACT_ATTEMPTED, "attempt_count": 1, "last_attempt_at": at(2, 15)}
    assert action(**tried) == (Action.NEXT_ATTEMPT, at(3, 14))
    assert action(**tried, callback_due_at=at(4, 10)) == (Action.CALLBACK, at(4, 10))
    exhausted = {**tried, "attempt_count": 3}
    assert action(**exhausted) == (Action.CLOSE_UNREACHABLE, at(2, 15))


def test_appointments_need_a_reminder_then_an_outcome() -> None:
    booked = {"state": State.SCHEDULED, "appointment_at": at(5, 10), "state_changed_at": at(2, 11)}
    assert action(**booked) == (Action.REMIND, at(4, 10))
    assert action(**{**booked, "state_changed_at": at(4, 12)}) == (Action.RECORD_VISIT, at(5, 10))
    assert action(state=State.NO_SHOW, state_changed_at=at(5, 11)) == (Action.FOLLOW_UP_NO_SHOW, at(6, 10))
    assert action(state=State.REACHED, state_changed_at=at(2, 10)) == (Action.BOOK, at(3, 9))


def test_a_confirmed_appointment_needs_no_reminder_call() -> None:
    booked = {"state": State.SCHEDULED, "appointment_at": at(5, 10), "state_changed_at": at(2, 11)}
    assert action(**booked, appointment_confirmed=True) == (Action.RECORD_VISIT, at(5, 10))


def test_a_rescheduled_appointment_is_reminded_from_when_it_was_booked() -> None:
    # Scheduled on Monday; on Wednesday afternoon moved to Thursday morning: no reminder call needed,
    # the patient just agreed to the new time. Moved to Friday instead: remind on Thursday.
    scheduled = {"state": State.SCHEDULED, "state_changed_at": at(2, 11), "appointment_booked_at": at(4, 15)}
    assert action(**scheduled, appointment_at=at(5, 9)) == (Action.RECORD_VISIT, at(5, 9))
    assert action(**scheduled, appointment_at=at(6, 10)) == (Action.REMIND, at(5, 10))


def test_finished_referrals_need_nothing() -> None:
    for state in (State.COMPLETED, State.DUPLICATE, State.UNABLE_TO_REACH):
        assert action(state=state) is None


def test_a_missed_target_is_explained() -> None:
    facts = Facts(state=State.RECEIVED, received_at=RECEIVED)
    assert missed_target(facts, DUE, at(2, 12)) is None
    assert missed_target(facts, DUE, at(2, 14)).startswith("Not acknowledged: the target was")  # type: ignore[union-attr]
    acknowledged = Facts(state=State.RECEIVED, received_at=RECEIVED, acknowledged_at=at(2, 10))
    assert missed_target(acknowledged, DUE, at(3, 9)).startswith("No contact attempt yet")  # type: ignore[union-attr]
    tried = Facts(State.CONTACT_ATTEMPTED, RECEIVED, acknowledged_at=at(2, 10), first_attempt_at=at(2, 11))
    assert missed_target(tried, DUE, at(9, 9)) is None
