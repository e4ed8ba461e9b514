"""What a referral needs next, and by when: the queue's "next action / due" column, its overdue marks and
the Today worklist all read this.

Pure: it takes the facts the referral row already holds and the service line's targets. The services
store its answer on the referral (``next_action``, ``next_action_at``) in the same transaction that
changes those facts, so the queue filters and sorts by it through an index instead of computing it for a
million rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from refdesk.domain.calendar import DEFAULT_HOURS, BusinessHours
from refdesk.domain.lifecycle import State

#: Business hours between unanswered attempts.
RETRY_AFTER_HOURS = 8
#: Business hours to book the appointment once the patient was reached.
BOOK_WITHIN_HOURS = 8
#: The reminder call is due this long before the appointment.
REMIND_BEFORE = timedelta(days=1)


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    FIRST_CONTACT = "first_contact"
    CALLBACK = "callback"
    NEXT_ATTEMPT = "next_attempt"
    CLOSE_UNREACHABLE = "close_unreachable"
    BOOK = "book"
    REMIND = "remind"
    RECORD_VISIT = "record_visit"
    FOLLOW_UP_NO_SHOW = "follow_up_no_show"
    REBOOK = "rebook"


LABELS: dict[Action, str] = {
    Action.ACKNOWLEDGE: "Acknowledge receipt",
    Action.FIRST_CONTACT: "First contact",
    Action.CALLBACK: "Call back (promised)",
    Action.NEXT_ATTEMPT: "Try again",
    Action.CLOSE_UNREACHABLE: "Close as unable to reach?",
    Action.BOOK: "Book appointment",
    Action.REMIND: "Reminder call",
    Action.RECORD_VISIT: "Record visit outcome",
    Action.FOLLOW_UP_NO_SHOW: "Follow up no-show",
    Action.REBOOK: "Rebook cancelled appointment",
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the referral row holds (aware UTC datetimes)."""

    state: State
    received_at: datetime
    acknowledged_at: datetime | None = None
    first_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    attempt_count: int = 0
    callback_due_at: datetime | None = None
    #: When the active appointment (booked or confirmed) starts; None when there is none.
    appointment_at: datetime | None = None
    #: When the referral last changed state (no-show recorded, appointment cancelled, patient reached).
    state_changed_at: datetime | None = None
    #: When the active appointment was booked: a reschedule books a new one without changing the state, and
    #: an appointment booked less than a day ahead needs no reminder call (the patient just heard it).
    appointment_booked_at: datetime | None = None
    #: The patient confirmed it (reminder call made, text answered): no reminder is needed any more.
    appointment_confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Targets:
    ack_hours: int = 8
    first_contact_hours: int = 16
    max_attempts: int = 3


@dataclass(frozen=True, slots=True)
class NextAction:
    action: Action
    due_at: datetime

    @property
    def label(self) -> str:
        return LABELS[self.action]


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The response targets of one referral, fixed when it is received."""

    ack_due_at: datetime
    first_contact_due_at: datetime


def deadlines(received_at: datetime, targets: Targets, hours: BusinessHours = DEFAULT_HOURS) -> Deadlines:
    return Deadlines(
        hours.add(received_at, targets.ack_hours), hours.add(received_at, targets.first_contact_hours)
    )


def next_action(
    facts: Facts, targets: Targets, due: Deadlines, hours: BusinessHours = DEFAULT_HOURS
) -> NextAction | None:
    """The one thing to do next on this referral; None when it is finished (completed or closed)."""
    state = facts.state
    changed = facts.state_changed_at or facts.last_attempt_at or facts.received_at
    if state is State.RECEIVED:
        if facts.acknowledged_at is None and due.ack_due_at < due.first_contact_due_at:
            return NextAction(Action.ACKNOWLEDGE, due.ack_due_at)
        return NextAction(Action.FIRST_CONTACT, due.first_contact_due_at)
    if state is State.CONTACT_ATTEMPTED:
        if facts.callback_due_at is not None:
            return NextAction(Action.CALLBACK, facts.callback_due_at)
        last = facts.last_attempt_at or facts.received_at
        if facts.attempt_count >= targets.max_attempts:
            return NextAction(Action.CLOSE_UNREACHABLE, last)
        return NextAction(Action.NEXT_ATTEMPT, hours.add(last, RETRY_AFTER_HOURS))
    if state is State.REACHED:
        if facts.callback_due_at is not None:
            return NextAction(Action.CALLBACK, facts.callback_due_at)
        return NextAction(Action.BOOK, hours.add(changed, BOOK_WITHIN_HOURS))
    if state is State.SCHEDULED and facts.appointment_at is not None:
        reminder = facts.appointment_at - REMIND_BEFORE
        booked = facts.appointment_booked_at or changed
        if not facts.appointment_confirmed and booked < reminder:
            return NextAction(Action.REMIND, reminder)
        return NextAction(Action.RECORD_VISIT, facts.appointment_at)
    if state is State.SCHEDULED:
        return NextAction(Action.BOOK, hours.add(changed, BOOK_WITHIN_HOURS))
    if state is State.NO_SHOW:
        return NextAction(Action.FOLLOW_UP_NO_SHOW, hours.add(changed, RETRY_AFTER_HOURS))
    if state is State.APPOINTMENT_CANCELLED:
        return NextAction(Action.REBOOK, hours.add(changed, RETRY_AFTER_HOURS))
    return None


def missed_target(facts: Facts, due: Deadlines, now: datetime) -> str | None:
    """Why an open referral has missed its service line's response target, for the row's tooltip; None
    when it has not. Lateness already made good (acknowledged late) is for the reports, not the queue."""
    if facts.acknowledged_at is None and now > due.ack_due_at:
        return f"Not acknowledged: the target was {_local(due.ack_due_at)}"
    if facts.first_attempt_at is None and now > due.first_contact_due_at:
        return f"No contact attempt yet: the target was {_local(due.first_contact_due_at)}"
    return None


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%a %d %b %H:%M")
