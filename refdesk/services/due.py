"""Keeps a referral's deadlines and next action current, inside the transaction that changed it.

Every service that changes what a referral needs (created, attempt logged, state moved, received time
or service line edited, appointment booked, rescheduled or confirmed) calls ``refresh``; the queue and
Today then read the stored ``next_action_at`` through an index instead of working it out for a million
rows. (The session autoflushes, so an appointment written earlier in the same transaction is seen.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.calendar import DEFAULT_HOURS, BusinessHours
from refdesk.domain.models import Appointment, Referral, ServiceLine
from refdesk.domain.next_action import Deadlines, Facts, Targets, deadlines, next_action
from refdesk.domain.vocab import AppointmentStatus

_ACTIVE_APPOINTMENT = (AppointmentStatus.BOOKED.value, AppointmentStatus.CONFIRMED.value)


def targets_of(line: ServiceLine) -> Targets:
    return Targets(line.ack_target_hours, line.first_contact_target_hours, line.max_attempts)


def refresh(
    session: Session,
    referral: Referral,
    *,
    recompute_deadlines: bool = False,
    hours: BusinessHours = DEFAULT_HOURS,
) -> None:
    """Recompute ``next_action``/``next_action_at`` (and the deadlines when asked or missing)."""
    line = session.get(ServiceLine, referral.service_line_id)
    assert line is not None, "a referral always has a service line (foreign key)"
    targets = targets_of(line)
    if recompute_deadlines or referral.ack_due_at is None or referral.first_contact_due_at is None:
        due = deadlines(referral.received_at, targets, hours)
        referral.ack_due_at, referral.first_contact_due_at = due.ack_due_at, due.first_contact_due_at
    assert referral.ack_due_at is not None and referral.first_contact_due_at is not None
    appointment = None
    if referral.id is not None:
        appointment = session.execute(
            select(Appointment.starts_at, Appointment.created_at, Appointment.status)
            .where(Appointment.referral_id == referral.id, Appointment.status.in_(_ACTIVE_APPOINTMENT))
            .order_by(Appointment.id.desc())
            .limit(1)
        ).first()
    facts = Facts(
        state=referral.state,
        received_at=referral.received_at,
        acknowledged_at=referral.acknowledged_at,
        first_attempt_at=referral.first_attempt_at,
        last_attempt_at=referral.last_attempt_at,
        attempt_count=referral.attempt_count,
        callback_due_at=referral.callback_due_at,
        appointment_at=appointment.starts_at if appointment else None,
        state_changed_at=referral.state_changed_at,
        appointment_booked_at=appointment.created_at if appointment else None,
        appointment_confirmed=appointment is not None and appointment.status is AppointmentStatus.CONFIRMED,
    )
    result = next_action(facts, targets, Deadlines(referral.ack_due_at, referral.first_contact_due_at), hours)
    referral.next_action = result.action if result else None
    referral.next_action_at = result.due_at if result else None
