"""A referral's history as one list: every state change, contact attempt and appointment booking,
reschedule, rebooking and confirmation, newest first.

The detail view's timeline and its contact log read this; a later audit or letter screen can too. It
is built from three indexed reads by ``referral_id`` and one read of the staff names involved, so its
cost depends on the length of one referral's history, never on the size of the database.

Each entry carries a plain-text ``text`` (what a person reads; the screen must show it as plain text
because names and notes may contain ``<`` or ``&``) and a few structured fields for screens that need
more than words (the state moved to, an attempt's outcome, an appointment's time and status).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, ContactAttempt, Staff, StatusEvent
from refdesk.domain.times import to_local
from refdesk.domain.vocab import AppointmentStatus, AttemptOutcome, ContactMethod
from refdesk.storage import Database

#: Shown for an entry nobody is recorded for (imported history, a deleted account).
NOBODY = "—"

#: How times inside an entry's text are written (the entry's own ``at`` is formatted by the screen).
_TIME_FORMAT = "%a %d %b %Y %H:%M"


class EntryKind(StrEnum):
    STATUS = "status"
    ATTEMPT = "attempt"
    APPOINTMENT = "appointment"


#: Among entries at the same moment, which happened first: an attempt causes the state change logged
#: with it (reached), and an appointment is booked before the referral is marked scheduled.
_CAUSAL_ORDER = {EntryKind.ATTEMPT: 0, EntryKind.APPOINTMENT: 1, EntryKind.STATUS: 2}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a referral's history."""

    #: When it happened (aware UTC).
    at: datetime
    #: The staff member's full name, or ``NOBODY``.
    who: str
    kind: EntryKind
    #: What happened, in plain text (never markup).
    text: str
    #: STATUS: the state the referral moved to.
    to_state: State | None = None
    #: ATTEMPT: how it went.
    outcome: AttemptOutcome | None = None
    #: APPOINTMENT: when the visit starts (aware UTC) and where the booking stands.
    starts_at: datetime | None = None
    appointment_status: AppointmentStatus | None = None
    #: The row's id within its kind: keeps the order stable for entries logged in the same instant.
    source_id: int = 0


def referral_timeline(db: Database, referral_id: int) -> list[TimelineEntry]:
    """Every state change, contact attempt and appointment of one referral, newest first.

    Four queries whatever the history's length: three by the indexed ``referral_id`` and one for the
    names of the staff involved. An unknown id gives an empty list (the caller loads the referral
    itself and reports a missing one).
    """
    with db.session() as session:
        events = session.scalars(select(StatusEvent).where(StatusEvent.referral_id == referral_id)).all()
        attempts = session.scalars(
            select(ContactAttempt).where(ContactAttempt.referral_id == referral_id)
        ).all()
        appointments = session.scalars(
            select(Appointment).where(Appointment.referral_id == referral_id)
        ).all()
        staff_ids = {e.staff_id for e in events} | {a.staff_id for a in attempts}
        staff_ids |= {a.created_by for a in appointments}
        staff_ids.discard(None)
        names: dict[int, str] = {}
        if staff_ids:
            rows = session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(staff_ids)))
            names = {staff_id: full_name for staff_id, full_name in rows}

    def who(staff_id: int | None) -> str:
        return names.get(staff_id, NOBODY) if staff_id is not None else NOBODY

    entries = [_status_entry(e, who(e.staff_id)) for e in events]
    entries += [_attempt_entry(a, who(a.staff_id)) for a in attempts]
    by_id = {a.id: a for a in appointments}
    for a in appointments:
        replaced = by_id.get(a.replaces_id) if a.replaces_id is not None else None
        entries += _appointment_entries(a, replaced, who(a.created_by))
    entries.sort(key=lambda e: (e.at, _CAUSAL_ORDER[e.kind], e.source_id), reverse=True)
    return entries


def _with_note(text: str, note: str | None) -> str:
    note = (note or "").strip()
    return f"{text} — {note}" if note else text


def _status_entry(event: StatusEvent, who: str) -> TimelineEntry:
    target = lifecycle.LABELS[event.to_state]
    if event.from_state is None:
        text = f"Referral received ({target})"
    else:
        text = f"{lifecycle.LABELS[event.from_state]} → {target}"
        if lifecycle.is_reopen(event.from_state, event.to_state):
            text = f"Reopened: {text}"
    if event.close_reason is not None:
        text += f" ({lifecycle.CLOSE_REASONS[event.close_reason].label})"
    return TimelineEntry(
        event.at,
        who,
        EntryKind.STATUS,
        _with_note(text, event.note),
        to_state=event.to_state,
        source_id=event.id,
    )


def _attempt_entry(attempt: ContactAttempt, who: str) -> TimelineEntry:
    text = f"{attempt.method.label}: {attempt.outcome.label}"
    if attempt.with_caregiver:
        text += " (caregiver)"
    if attempt.callback_at is not None:
        text += f"; callback promised for {to_local(attempt.callback_at).strftime(_TIME_FORMAT)}"
    return TimelineEntry(
        attempt.at,
        who,
        EntryKind.ATTEMPT,
        _with_note(text, attempt.note),
        outcome=attempt.outcome,
        source_id=attempt.id,
    )


def _appointment_entries(
    appointment: Appointment, replaced: Appointment | None, who: str
) -> list[TimelineEntry]:
    """What happened to one appointment row: its booking (as a first booking, a reschedule of the row it
    replaces, or a rebook after a missed or cancelled one), and its confirmation when there was one.
    Missed, cancelled and completed visits are the referral's state changes, listed as those with their
    notes; a row's own note says how it ended, so it is shown with the reschedule that replaced it."""
    starts = to_local(appointment.starts_at).strftime(_TIME_FORMAT)
    place = ""
    if appointment.provider:
        place += f" with {appointment.provider}"
    if appointment.location:
        place += f" at {appointment.location}"
    if replaced is None:
        text = f"Appointment booked for {starts}{place}"
    elif replaced.status is AppointmentStatus.RESCHEDULED:
        before = to_local(replaced.starts_at).strftime(_TIME_FORMAT)
        text = _with_note(f"Appointment rescheduled from {before} to {starts}{place}", replaced.note)
    else:
        text = f"Appointment rebooked for {starts}{place}"
    entries = [
        TimelineEntry(
            appointment.created_at,
            who,
            EntryKind.APPOINTMENT,
            text,
            starts_at=appointment.starts_at,
            appointment_status=appointment.status,
            source_id=appointment.id,
        )
    ]
    if appointment.confirmed_at is not None:
        by = _CONFIRMED_BY.get(appointment.confirmed_by, "") if appointment.confirmed_by else ""
        entries.append(
            TimelineEntry(
                appointment.confirmed_at,
                NOBODY,  # the row keeps who booked it, not who confirmed it (the audit trail has that)
                EntryKind.APPOINTMENT,
                f"Appointment for {starts} confirmed{by}",
                starts_at=appointment.starts_at,
                appointment_status=appointment.status,
                source_id=appointment.id,
            )
        )
    return entries


#: How a confirmation was obtained, as the history says it.
_CONFIRMED_BY: dict[ContactMethod, str] = {
    ContactMethod.PHONE: " by phone (reminder call)",
    ContactMethod.TEXT: " by text",
    ContactMethod.EMAIL: " by email",
    ContactMethod.MAIL: " by mail",
}
