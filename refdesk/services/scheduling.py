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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

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
from refdesk.services.validation import CLOCK_SKEW, Errors
from refdesk.storage import Database

#: How far before "now" (or before ``at``) an appointment may be booked: entering a booking a day or two
#: late is real; a time weeks ago is a mistyped date.
PAST_GRACE = timedelta(days=3)
#: The furthest ahead an appointment may be booked (18 months): beyond it the year is mistyped.
MAX_AHEAD = timedelta(days=548)
PROVIDER_MAX = 120
LOCATION_MAX = 120
NOTE_MAX = 1000
SAME_BOOKING = "That is the appointment already booked; change the time, provider or place."

#: An appointment that is still going to happen: what the pane, the reminders and the next action read.
ACTIVE_STATUSES: tuple[AppointmentStatus, ...] = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
#: States from which a new booking continues the chain of an earlier one (no gate: it was passed): every
#: state the lifecycle lets into Scheduled except Reached, where the first booking is made.
_REBOOK_FROM: tuple[State, ...] = tuple(
    state
    for state in State
    if state is not State.REACHED and lifecycle.check_transition(state, State.SCHEDULED)
)


@dataclass(frozen=True, slots=True)
class AppointmentDraft:
    """What the booking dialog collects. ``starts_at`` naive means local wall-clock time.

    ``note``: when booking, a word for the history ("booked on the phone with his daughter"); when
    rescheduling, why it moved (kept on the replaced appointment, which is what its note is for).
    """

    starts_at: datetime | None
    provider: str | None = None
    location: str | None = None
    note: str | None = None


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


#: A prompt's title is the words before its first colon, when they are this short ("Missing records: are
#: all the records this service requires on file? ..." is "Missing records").
_TITLE_MAX = 60


def item_title(prompt: str) -> str:
    """The short name of an intake item for lists and the history: the words before the prompt's first
    colon when it starts with a title, else the whole prompt."""
    title, colon, _rest = prompt.partition(":")
    return title.strip() if colon and 0 < len(title.strip()) <= _TITLE_MAX else prompt.strip()


class SchedulingBlocked(TransitionError):
    """The scheduling gate refused: intake items that block scheduling are open. ``items`` lists their
    prompts in script order (``titles`` their short names); booking again with an ``override_reason``
    schedules anyway."""

    def __init__(self, items: Sequence[str]) -> None:
        self.items: list[str] = list(items)
        self.titles: list[str] = [item_title(item) for item in self.items]
        super().__init__(
            "Scheduling is blocked until these intake items are done: "
            + "; ".join(self.titles)
            + ". Complete them, or schedule anyway with a reason."
        )


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


def _referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFoundError(f"Referral {referral_id} does not exist.")
    return referral


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


def _moment(errors: Errors, at: datetime | None, not_before: datetime) -> datetime:
    """When the operation happens: ``at`` (checked) or now."""
    now = utc_now()
    if at is None:
        return now
    moment = as_utc(at)
    if moment > now + CLOCK_SKEW:
        errors.add("at", "This cannot be recorded for a time in the future.")
    elif moment < not_before - CLOCK_SKEW:
        errors.add("at", "This cannot be recorded for a time before the referral or booking it follows.")
    return moment


def _outcome_moment(at: datetime | None, received_at: datetime) -> datetime:
    errors = Errors()
    moment = _moment(errors, at, received_at)
    errors.raise_if_any()
    return moment


def _check_draft(
    errors: Errors, draft: AppointmentDraft, referral: Referral, moment: datetime
) -> tuple[datetime | None, str | None, str | None, str | None]:
    """The draft's values, cleaned, with a message per field for anything missing or impossible."""
    starts_at = None
    if draft.starts_at is None:
        errors.add("starts_at", "Enter the appointment's date and time.")
    elif draft.starts_at.tzinfo is None and not _exists_locally(draft.starts_at):
        errors.add("starts_at", "That time does not exist on that day (the clocks change); choose another.")
    else:
        starts_at = as_utc(draft.starts_at)
        if starts_at < referral.received_at:
            errors.add("starts_at", "The appointment cannot be before the referral was received.")
        elif starts_at < moment - PAST_GRACE:
            errors.add("starts_at", f"That is more than {PAST_GRACE.days} days in the past; check the date.")
        elif starts_at > moment + MAX_AHEAD:
            errors.add("starts_at", "That is more than 18 months ahead; check the year.")
    provider = errors.text(
        "provider", draft.provider, label="Provider", max_length=PROVIDER_MAX, required=True
    )
    location = errors.text(
        "location", draft.location, label="Location", max_length=LOCATION_MAX, required=False
    )
    note = errors.long_text("note", draft.note, label="Note", required=False)
    if note is not None and len(note) > NOTE_MAX:
        errors.add("note", f"Note is too long (at most {NOTE_MAX} characters).")
    return starts_at, provider, location, note


def _exists_locally(wall: datetime) -> bool:
    """Whether a local wall-clock time exists (an hour skipped when the clocks go forward does not)."""
    return to_local(as_utc(wall)).replace(tzinfo=None) == wall


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
