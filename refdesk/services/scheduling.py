"""Scheduling the first visit: book, reschedule, confirm, no-show, cancel, rebook, first visit completed.

The appointment rows and the referral's state always change together, in one audited transaction: the
state moves through ``workflow.apply_transition`` (so the lifecycle still decides every move and the
history gets its entry) while the rows keep the detail the state cannot hold: when, with whom, where,
confirmed or not, and the chain of earlier bookings. A reschedule marks the old row RESCHEDULED and books
a new row that ``replaces`` it; a rebook after a no-show or a cancelled appointment does the same from
the missed or cancelled row; nothing is ever deleted, so the reports can count no-shows and reschedules.

The scheduling gate: a referral moves from Reached to Scheduled only when the service line's intake
items that block scheduling are settled (``intake.open_blocking_items``). When some are open, booking is
refused with the list (``SchedulingBlocked``), unless the person gives a reason to schedule anyway; that
reason and the open items go into the history note and the audit row. A rebook after a no-show or a
cancellation does not go through the gate again: the referral passed it when it was first scheduled.

Times: a naive datetime is what a person typed (local wall-clock time), an aware one is converted; every
stored time is UTC. ``at`` lets an import or a late entry record when something really happened; without
it, "now". An appointment time more than ``PAST_GRACE`` before that moment is refused (a typo in the year
or the month, far more often than a real booking for last week), as is one more than ``MAX_AHEAD`` after.

This module holds the operations; the draft and date checks are in ``scheduling_drafts`` and the
reading in ``scheduling_history``, and every public name of those is importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain import authorization, lifecycle
from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, Referral
from refdesk.domain.times import as_utc, to_local, utc_now
from refdesk.domain.vocab import AppointmentStatus, ContactMethod
from refdesk.errors import NotFoundError, TransitionError
from refdesk.services import due, intake
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.scheduling_drafts import (
    LOCATION_MAX,
    MAX_AHEAD,
    NOTE_MAX,
    PAST_GRACE,
    PROVIDER_MAX,
    SAME_BOOKING,
    AppointmentDraft,
    SchedulingBlocked,
    _check_draft,
    _moment,
    _outcome_moment,
    item_title,
)
from refdesk.services.scheduling_history import (
    ACTIVE_STATUSES,
    AppointmentHistory,
    AppointmentInfo,
    _info,
    _referral,
    _warnings,
    active_appointment_id,
    appointment_history,
)
from refdesk.services.validation import CLOCK_SKEW, Errors
from refdesk.storage import Database

__all__ = [
    "ACTIVE_STATUSES",
    "LOCATION_MAX",
    "MAX_AHEAD",
    "MOVES",
    "NOTE_MAX",
    "PAST_GRACE",
    "PROVIDER_MAX",
    "SAME_BOOKING",
    "AppointmentDraft",
    "AppointmentHistory",
    "AppointmentInfo",
    "BookingResult",
    "MoveByAppointment",
    "SchedulingBlocked",
    "active_appointment_id",
    "appointment_history",
    "book",
    "cancel_appointment",
    "confirm",
    "item_title",
    "rebook",
    "record_completed",
    "record_no_show",
    "release_active",
    "reschedule",
]

#: States from which a new booking continues the chain of an earlier one (no gate: it was passed): every
#: state the lifecycle lets into Scheduled except Reached, where the first booking is made.
_REBOOK_FROM: tuple[State, ...] = tuple(
    state
    for state in State
    if state is not State.REACHED and lifecycle.check_transition(state, State.SCHEDULED)
)


@dataclass(frozen=True, slots=True)
class BookingResult:
    """What a booking, rebooking or reschedule did, for the screen to say."""

    appointment_id: int
    referral_id: int
    state: State
    #: Authorization warnings for the new appointment (plain sentences; empty when it fits).
    warnings: tuple[str, ...] = ()
    #: The blocking intake items that were open and scheduled past with a reason (empty without override).
    overridden: tuple[str, ...] = ()
    #: How many times the referral's appointment has been rescheduled so far.
    reschedules: int = 0


# --- booking --------------------------------------------------------------------------------------------


def book(
    db: Database,
    actor: Actor,
    referral_id: int,
    draft: AppointmentDraft,
    *,
    override_reason: str | None = None,
    at: datetime | None = None,
) -> BookingResult:
    """Book the first appointment and move the referral to Scheduled (from Reached; from a no-show or a
    cancelled appointment this is a rebook, see ``rebook``).

    Args:
        override_reason: schedule although blocking intake items are open; must say why (not blank).
        at: when the booking was made, for entering it late; default now.

    Raises:
        TransitionError: the lifecycle does not allow scheduling from the referral's state.
        ValidationError: a field is missing or wrong (messages by field: ``starts_at``, ``provider``,
            ``location``, ``note``, ``override_reason``, ``at``); nothing is saved.
        SchedulingBlocked: blocking intake items are open and no override reason was given.
    """
    with audited(db, actor, "appointment.book", "referral", referral_id) as scope:
        referral = _referral(scope.session, referral_id)
        return _book(scope.session, scope.detail, actor, referral, draft, override_reason, at)


def rebook(
    db: Database, actor: Actor, referral_id: int, draft: AppointmentDraft, *, at: datetime | None = None
) -> BookingResult:
    """Book again after a no-show or a cancelled appointment: Scheduled again, the new appointment
    ``replaces`` the missed or cancelled one so the chain is kept.

    Raises:
        TransitionError: the referral is not a no-show or cancelled appointment.
        ValidationError: as for ``book``.
    """
    with audited(db, actor, "appointment.rebook", "referral", referral_id) as scope:
        referral = _referral(scope.session, referral_id)
        if referral.state not in _REBOOK_FROM:
            raise TransitionError(
                f"Rebooking follows a no-show or a cancelled appointment; this referral is "
                f"{lifecycle.LABELS[referral.state]}."
            )
        return _book(scope.session, scope.detail, actor, referral, draft, None, at)


def _book(
    session: Session,
    detail: dict[str, object],
    actor: Actor,
    referral: Referral,
    draft: AppointmentDraft,
    override_reason: str | None,
    at: datetime | None,
) -> BookingResult:
    verdict = lifecycle.check_transition(referral.state, State.SCHEDULED)
    if not verdict:
        raise TransitionError(verdict.reason)
    errors = Errors()
    moment = _moment(errors, at, referral.received_at)
    starts_at, provider, location, note = _check_draft(errors, draft, referral, moment)
    rebooking = referral.state in _REBOOK_FROM
    open_items = [] if rebooking else intake.open_blocking_items(session, referral)
    reason = None
    if open_items and override_reason is not None:
        reason = errors.long_text(
            "override_reason", override_reason, label="A reason to schedule anyway", required=True
        )
        if reason is not None and len(reason) > NOTE_MAX:
            errors.add("override_reason", f"The reason is too long (at most {NOTE_MAX} characters).")
    errors.raise_if_any()
    if open_items and reason is None:
        raise SchedulingBlocked(open_items)
    assert starts_at is not None

    replaces = None
    if rebooking:
        replaces = session.scalar(
            select(Appointment.id)
            .where(Appointment.referral_id == referral.id)
            .order_by(Appointment.id.desc())
            .limit(1)
        )
    # The row's note is for how an appointment ended (rescheduled, missed, cancelled); the booking's own
    # note goes with the move to Scheduled, in the referral's history.
    appointment = Appointment(
        referral_id=referral.id,
        starts_at=starts_at,
        provider=provider,
        location=location,
        status=AppointmentStatus.BOOKED,
        replaces_id=replaces,
        created_at=moment,
        created_by=actor.staff_id,
    )
    session.add(appointment)
    session.flush()
    history_note = [note] if note else []
    if reason is not None:
        titles = "; ".join(item_title(item) for item in open_items)
        history_note.append(f"Scheduled anyway with open intake items ({titles}): {reason}")
        detail.update({"override": reason, "open_items": open_items})
    _transition(session, actor, referral, State.SCHEDULED, " · ".join(history_note) or None, moment)
    detail.update({"appointment_id": appointment.id, "replaces": replaces})
    return _result(session, referral, appointment, tuple(open_items) if reason else ())


def reschedule(
    db: Database,
    actor: Actor,
    appointment_id: int,
    draft: AppointmentDraft,
    *,
    at: datetime | None = None,
) -> BookingResult:
    """Move a booked (or confirmed) appointment to another time, provider or place. The old row stays,
    marked RESCHEDULED with the draft's note (why it moved) as its note; the new row replaces it and
    needs confirming again. The referral stays Scheduled.

    Raises:
        TransitionError: the appointment is no longer booked (rescheduled, missed, cancelled, completed).
        ValidationError: as for ``book``; also when nothing would change.
    """
    with audited(db, actor, "appointment.reschedule", "appointment", appointment_id) as scope:
        session = scope.session
        old = _active(session, appointment_id)
        referral = old.referral
        errors = Errors()
        moment = _moment(errors, at, old.created_at)
        starts_at, provider, location, why = _check_draft(errors, draft, referral, moment)
        if (starts_at, provider, location) == (old.starts_at, old.provider, old.location):
            errors.add("starts_at", SAME_BOOKING)
        errors.raise_if_any()
        assert starts_at is not None
        old.status = AppointmentStatus.RESCHEDULED
        old.note = why
        new = Appointment(
            referral_id=referral.id,
            starts_at=starts_at,
            provider=provider,
            location=location,
            status=AppointmentStatus.BOOKED,
            replaces_id=old.id,
            created_at=moment,
            created_by=actor.staff_id,
        )
        session.add(new)
        session.flush()
        due.refresh(session, referral)
        scope.detail.update({"referral_id": referral.id, "new_appointment_id": new.id})
        return _result(session, referral, new, ())


# --- what happened to the appointment ---------------------------------------------------------------------


def confirm(db: Database, actor: Actor, appointment_id: int, method: ContactMethod, on: datetime) -> None:
    """Record that the patient confirmed the appointment (reminder call made, text sent and answered) on
    ``on``: the reminder is no longer due.

    Raises:
        TransitionError: the appointment is no longer booked, or already confirmed.
        ValidationError: ``on`` lies in the future, before the booking, or after the appointment began.
    """
    with audited(db, actor, "appointment.confirm", "appointment", appointment_id) as scope:
        appointment = _active(scope.session, appointment_id)
        if appointment.status is AppointmentStatus.CONFIRMED:
            by = f" by {appointment.confirmed_by.label.lower()}" if appointment.confirmed_by else ""
            when = appointment.confirmed_at
            on_day = f" on {authorization.spoken_date(to_local(when).date())}" if when else ""
            raise TransitionError(f"The appointment is already confirmed{by}{on_day}.")
        moment = as_utc(on)
        errors = Errors()
        if moment > utc_now() + CLOCK_SKEW:
            errors.add("on", "The confirmation cannot be in the future.")
        elif moment < appointment.created_at - CLOCK_SKEW:
            errors.add("on", "The confirmation cannot be before the appointment was booked.")
        elif moment > appointment.starts_at:
            errors.add("on", "The appointment had already begun; record the visit or a no-show instead.")
        errors.raise_if_any()
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.confirmed_at = moment
        appointment.confirmed_by = method
        due.refresh(scope.session, appointment.referral)
        scope.detail.update({"referral_id": appointment.referral_id, "method": method.value})


def record_no_show(
    db: Database, actor: Actor, appointment_id: int, *, note: str | None = None, at: datetime | None = None
) -> None:
    """The patient did not come: the appointment is marked NO_SHOW and the referral becomes a No-show
    (follow up, then rebook or close).

    Raises:
        TransitionError: the appointment is no longer booked, or its time has not come yet.
    """
    with audited(db, actor, "appointment.no_show", "appointment", appointment_id) as scope:
        appointment = _active(scope.session, appointment_id)
        moment = _outcome_moment(at, appointment.referral.received_at)
        if moment < appointment.starts_at:
            raise TransitionError(
                "The appointment has not started yet; record a no-show once its time has passed."
            )
        _end(scope.session, actor, appointment, AppointmentStatus.NO_SHOW, State.NO_SHOW, note, moment)
        scope.detail.update({"referral_id": appointment.referral_id})


def cancel_appointment(
    db: Database, actor: Actor, appointment_id: int, *, note: str | None = None, at: datetime | None = None
) -> None:
    """The appointment is called off (by the patient or the clinic) but the referral stays open: it
    becomes Appointment cancelled (rebook, or close with a reason).

    Raises:
        TransitionError: the appointment is no longer booked.
    """
    with audited(db, actor, "appointment.cancel", "appointment", appointment_id) as scope:
        appointment = _active(scope.session, appointment_id)
        moment = _outcome_moment(at, appointment.referral.received_at)
        _end(
            scope.session,
            actor,
            appointment,
            AppointmentStatus.CANCELLED,
            State.APPOINTMENT_CANCELLED,
            note,
            moment,
        )
        scope.detail.update({"referral_id": appointment.referral_id})


def record_completed(
    db: Database, actor: Actor, appointment_id: int, *, note: str | None = None, at: datetime | None = None
) -> None:
    """The first visit took place: the appointment is COMPLETED and the referral First visit completed,
    which is final (it can never be reopened; the screen asks before calling this).

    Raises:
        TransitionError: the appointment is no longer booked, or its day has not come yet.
    """
    with audited(db, actor, "appointment.complete", "appointment", appointment_id) as scope:
        appointment = _active(scope.session, appointment_id)
        moment = _outcome_moment(at, appointment.referral.received_at)
        day_starts = as_utc(datetime.combine(to_local(appointment.starts_at).date(), time(0, 0)))
        if moment < day_starts:
            raise TransitionError("The appointment's day has not come yet; record the visit on or after it.")
        _end(scope.session, actor, appointment, AppointmentStatus.COMPLETED, State.COMPLETED, note, moment)
        scope.detail.update({"referral_id": appointment.referral_id})


def release_active(session: Session, referral: Referral, note: str) -> None:
    """Cancel the referral's booked appointment, if any, inside the caller's transaction: a referral
    closed while Scheduled keeps no appointment that Today would still ask to remind."""
    appointment_id = active_appointment_id(session, referral.id)
    if appointment_id is not None:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        appointment.status = AppointmentStatus.CANCELLED
        appointment.note = note


# --- inside -----------------------------------------------------------------------------------------------


#: Why an appointment that is no longer booked cannot take an operation, by its status.
_NOT_ACTIVE: dict[AppointmentStatus, str] = {
    AppointmentStatus.RESCHEDULED: "This appointment was rescheduled; the new one is the one to work.",
    AppointmentStatus.NO_SHOW: "This appointment was missed (no-show); rebook the patient instead.",
    AppointmentStatus.CANCELLED: "This appointment was cancelled; rebook the patient instead.",
    AppointmentStatus.COMPLETED: "This appointment is completed; the first visit took place.",
}


def _active(session: Session, appointment_id: int) -> Appointment:
    """The appointment, checked to be still booked (or confirmed) and its referral still Scheduled: a
    screen that is out of date must not act on an appointment someone else already moved."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFoundError(f"Appointment {appointment_id} does not exist.")
    if appointment.status not in ACTIVE_STATUSES:
        raise TransitionError(_NOT_ACTIVE[appointment.status])
    state = appointment.referral.state
    if state is not State.SCHEDULED:
        raise TransitionError(
            f"The referral is {lifecycle.LABELS[state]}, not Scheduled; its appointment cannot be changed."
        )
    return appointment


def _transition(
    session: Session, actor: Actor, referral: Referral, target: State, note: str | None, at: datetime
) -> None:
    # Imported here: workflow routes its appointment moves to this module, and this module moves the
    # state through workflow's one apply_transition, so one of the two must import the other late.
    from refdesk.services.workflow import apply_transition

    apply_transition(session, actor, referral, target, note=note, at=at)


def _end(
    session: Session,
    actor: Actor,
    appointment: Appointment,
    status: AppointmentStatus,
    target: State,
    note: str | None,
    moment: datetime,
) -> None:
    """Close the appointment with ``status`` and move its referral to ``target`` (lifecycle-checked)."""
    errors = Errors()
    cleaned = errors.long_text("note", note, label="Note", required=False)
    if cleaned is not None and len(cleaned) > NOTE_MAX:
        errors.add("note", f"Note is too long (at most {NOTE_MAX} characters).")
    errors.raise_if_any()
    appointment.status = status
    if cleaned is not None:
        appointment.note = cleaned
    _transition(session, actor, appointment.referral, target, cleaned, moment)


def _result(
    session: Session, referral: Referral, appointment: Appointment, overridden: tuple[str, ...]
) -> BookingResult:
    rows = session.scalars(select(Appointment).where(Appointment.referral_id == referral.id)).all()
    infos = [_info(row) for row in rows]
    return BookingResult(
        appointment_id=appointment.id,
        referral_id=referral.id,
        state=referral.state,
        warnings=tuple(_warnings(referral, appointment.starts_at, infos)),
        overridden=overridden,
        reschedules=sum(info.status is AppointmentStatus.RESCHEDULED for info in infos),
    )


#: The appointment operations a plain state move stands for (``workflow.move`` routes through these).
MoveByAppointment = Callable[..., None]
MOVES: dict[State, MoveByAppointment] = {
    State.NO_SHOW: record_no_show,
    State.APPOINTMENT_CANCELLED: cancel_appointment,
    State.COMPLETED: record_completed,
}
