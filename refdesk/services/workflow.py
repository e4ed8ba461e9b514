"""Moving a referral through its lifecycle: advance, close with a coded reason, reopen.

The lifecycle module decides what is allowed; this module applies a decision in one transaction with
its history entry and audit row, and refuses anything else with the lifecycle's reason.

The moves that are about an appointment (Scheduled, No-show, Appointment cancelled, First visit
completed) are not made here on their own: the appointment rows and the state must never disagree. A
plain ``move`` to Scheduled is refused (booking needs a date, a time and a provider:
``scheduling.book``), and the other three are carried out on the referral's booked appointment by
``scheduling``, which moves the state through ``apply_transition`` like every other service.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlalchemy.orm import Session

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import Referral, StatusEvent
from refdesk.domain.times import utc_now
from refdesk.errors import NotFoundError, RefDeskError, TransitionError
from refdesk.services import due
from refdesk.services.actor import Actor
from refdesk.services.audit import audited, record
from refdesk.storage import Database

#: The moves that belong to an appointment: made by ``refdesk.services.scheduling``, never bare here.
APPOINTMENT_MOVES: frozenset[State] = frozenset(
    {State.SCHEDULED, State.NO_SHOW, State.APPOINTMENT_CANCELLED, State.COMPLETED}
)
BOOK_FIRST = "Book the appointment (date, time and provider) to schedule the referral."
NO_APPOINTMENT = "This referral has no booked appointment; book one, or close the referral."


def move(db: Database, actor: Actor, referral_id: int, target: State, *, note: str | None = None) -> None:
    """Advance to ``target`` (not for closing: use ``close``; not for reopening: use ``reopen``).

    No-show, Appointment cancelled and First visit completed are recorded on the referral's booked
    appointment (``scheduling.record_no_show`` and its siblings, ``note`` going with them); Scheduled
    is refused with ``BOOK_FIRST`` (use ``scheduling.book``).

    Raises:
        TransitionError: the lifecycle refuses the move; the message says why.
    """
    if lifecycle.is_closed_outcome(target):
        raise TransitionError(f"Use Close with a reason to mark a referral {lifecycle.LABELS[target]}.")
    if target in APPOINTMENT_MOVES:
        _appointment_move(db, actor, referral_id, target, note)
        return
    with audited(db, actor, "referral.move", "referral", referral_id) as scope:
        referral = _get(scope.session, referral_id)
        if lifecycle.is_reopen(referral.state, target):
            raise TransitionError("The referral is closed; use Reopen.")
        apply_transition(scope.session, actor, referral, target, note=note)
        scope.detail.update({"to": target.value})


def _appointment_move(db: Database, actor: Actor, referral_id: int, target: State, note: str | None) -> None:
    """Carry out a move that belongs to an appointment on the referral's booked appointment, or refuse
    it (with the lifecycle's own reason first, so the words do not depend on the route)."""
    from refdesk.services import scheduling  # scheduling moves states through this module

    with db.session() as session:
        referral = session.get(Referral, referral_id)
        if referral is None:
            _refuse(db, actor, referral_id, NotFoundError(f"Referral {referral_id} does not exist."))
        verdict = lifecycle.check_transition(referral.state, target, attempts=referral.attempt_count)
        appointment_id = scheduling.active_appointment_id(session, referral_id)
    if not verdict:
        _refuse(db, actor, referral_id, TransitionError(verdict.reason))
    if target is State.SCHEDULED:
        _refuse(db, actor, referral_id, TransitionError(BOOK_FIRST))
    if appointment_id is None:
        _refuse(db, actor, referral_id, TransitionError(NO_APPOINTMENT))
    scheduling.MOVES[target](db, actor, appointment_id, note=note)


def _refuse(db: Database, actor: Actor, referral_id: int, error: RefDeskError) -> NoReturn:
    """Record the refused move in the audit trail (as ``audited`` does for a refusal), then raise."""
    with db.transaction() as session:
        detail = {"error": str(error)}
        record(session, actor, "referral.move", "referral", referral_id, success=False, detail=detail)
    raise error


def close(
    db: Database, actor: Actor, referral_id: int, reason: CloseReason, *, note: str | None = None
) -> None:
    """Close in the outcome that ``reason`` belongs to (e.g. NO_RESPONSE closes as Unable to reach). A
    booked appointment is cancelled with it, so nothing reminds anyone of a visit that will not happen."""
    from refdesk.services import scheduling  # scheduling moves states through this module

    target = lifecycle.close_reason_state(reason)
    with audited(db, actor, "referral.close", "referral", referral_id) as scope:
        referral = _get(scope.session, referral_id)
        apply_transition(scope.session, actor, referral, target, close_reason=reason, note=note)
        scheduling.release_active(scope.session, referral, f"Referral closed: {lifecycle.LABELS[target]}")
        scope.detail.update({"to": target.value, "reason": reason.value})


def reopen(
    db: Database, actor: Actor, referral_id: int, *, target: State | None = None, note: str | None = None
) -> State:
    """Reopen a closed referral, by default where its contact history says it stands; returns that state."""
    with audited(db, actor, "referral.reopen", "referral", referral_id) as scope:
        referral = _get(scope.session, referral_id)
        verdict = lifecycle.can_reopen(referral.state)
        if not verdict:
            raise TransitionError(verdict.reason)
        if target is None:
            target = State.CONTACT_ATTEMPTED if referral.attempt_count else State.RECEIVED
        apply_transition(scope.session, actor, referral, target, note=note)
        referral.close_reason = None
        referral.closed_at = None
        scope.detail.update({"to": target.value})
        return target


def apply_transition(
    session: Session,
    actor: Actor,
    referral: Referral,
    target: State,
    *,
    close_reason: CloseReason | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Check with the lifecycle, then change the state and write the history entry (inside the caller's
    transaction). Other services that change state as a side effect (contact attempts, scheduling) use it."""
    verdict = lifecycle.check_transition(
        referral.state, target, close_reason=close_reason, attempts=referral.attempt_count
    )
    if not verdict:
        raise TransitionError(verdict.reason)
    moment = at or utc_now()
    session.add(
        StatusEvent(
            referral_id=referral.id,
            from_state=referral.state,
            to_state=target,
            close_reason=close_reason,
            at=moment,
            staff_id=actor.staff_id,
            note=note,
        )
    )
    referral.state = target
    referral.state_changed_at = moment
    if lifecycle.is_closed_outcome(target):
        referral.close_reason = close_reason
        referral.closed_at = moment
    due.refresh(session, referral)


def _get(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFoundError(f"Referral {referral_id} does not exist.")
    return referral


def acknowledge(db: Database, actor: Actor, referral_id: int) -> None:
    """Record that receipt was acknowledged (the clock partners judge the clinic by); once only."""
    with audited(db, actor, "referral.acknowledge", "referral", referral_id) as scope:
        referral = _get(scope.session, referral_id)
        if referral.acknowledged_at is None:
            referral.acknowledged_at = utc_now()
            due.refresh(scope.session, referral)
