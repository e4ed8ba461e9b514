"""Reading a referral's appointments: the chain of bookings, reschedules, authorization warnings and
the intake items still blocking a booking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain import authorization
from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, Referral
from refdesk.domain.times import to_local
from refdesk.domain.vocab import AppointmentStatus, ContactMethod
from refdesk.errors import NotFoundError
from refdesk.services import intake
from refdesk.storage import Database

#: An appointment that is still going to happen: what the pane, the reminders and the next action read.
ACTIVE_STATUSES: tuple[AppointmentStatus, ...] = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


# --- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppointmentInfo:
    """One appointment row as plain values (safe to hand to the GUI thread)."""

    id: int
    starts_at: datetime
    provider: str | None
    location: str | None
    status: AppointmentStatus
    confirmed_at: datetime | None
    confirmed_by: ContactMethod | None
    replaces_id: int | None
    note: str | None
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class AppointmentHistory:
    """A referral's appointments and what the appointment pane says about them."""

    referral_id: int
    state: State
    #: Every appointment of the referral, oldest first (the chain of bookings).
    appointments: tuple[AppointmentInfo, ...]
    #: How many times an appointment was moved to another time (rows marked RESCHEDULED).
    reschedules: int
    #: Authorization warnings for the active appointment.
    warnings: tuple[str, ...]
    #: The blocking intake items still open, when the referral is Reached (what Book would be refused for).
    blocking_items: tuple[str, ...]

    @property
    def current(self) -> AppointmentInfo | None:
        """The newest appointment: the one still to happen, or how the last one ended."""
        return self.appointments[-1] if self.appointments else None

    @property
    def active(self) -> AppointmentInfo | None:
        current = self.current
        return current if current is not None and current.active else None


def appointment_history(db: Database, referral_id: int) -> AppointmentHistory:
    """The referral's appointments, reschedule count, authorization warnings and open gate items.

    A few reads by the indexed ``referral_id`` (and the intake script's items), whatever the database's
    size. Raises NotFoundError for an unknown referral.
    """
    with db.session() as session:
        referral = _referral(session, referral_id)
        rows = session.scalars(
            select(Appointment).where(Appointment.referral_id == referral_id).order_by(Appointment.id)
        ).all()
        appointments = tuple(_info(row) for row in rows)
        active = next((a for a in reversed(appointments) if a.active), None)
        warnings = _warnings(referral, active.starts_at, appointments) if active else []
        blocking = intake.open_blocking_items(session, referral) if referral.state is State.REACHED else []
        return AppointmentHistory(
            referral_id=referral_id,
            state=referral.state,
            appointments=appointments,
            reschedules=sum(a.status is AppointmentStatus.RESCHEDULED for a in appointments),
            warnings=tuple(warnings),
            blocking_items=tuple(blocking),
        )


def active_appointment_id(session: Session, referral_id: int) -> int | None:
    """The referral's booked or confirmed appointment (the newest, should there ever be two)."""
    return session.scalar(
        select(Appointment.id)
        .where(Appointment.referral_id == referral_id, Appointment.status.in_(_active_values()))
        .order_by(Appointment.id.desc())
        .limit(1)
    )


def _info(row: Appointment) -> AppointmentInfo:
    return AppointmentInfo(
        id=row.id,
        starts_at=row.starts_at,
        provider=row.provider,
        location=row.location,
        status=row.status,
        confirmed_at=row.confirmed_at,
        confirmed_by=row.confirmed_by,
        replaces_id=row.replaces_id,
        note=row.note,
        created_at=row.created_at,
    )


def _active_values() -> list[str]:
    return [status.value for status in ACTIVE_STATUSES]


def _warnings(referral: Referral, starts_at: datetime, appointments: Sequence[AppointmentInfo]) -> list[str]:
    used = sum(a.status is AppointmentStatus.COMPLETED for a in appointments)
    auth = authorization.Authorization(
        referral.authorization_number, referral.authorization_visits, referral.authorization_expires_on
    )
    return authorization.warnings(auth, to_local(starts_at).date(), visits_used=used)


def _referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFoundError(f"Referral {referral_id} does not exist.")
    return referral
