"""Logging contact attempts. An attempt also advances the referral where the funnel says it should:
the first attempt makes a Received referral Contact attempted, and reaching the patient makes it Reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import State
from refdesk.domain.models import ContactAttempt, Referral
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.errors import NotFoundError, TransitionError, ValidationError
from refdesk.services import due
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.validation import CLOCK_SKEW
from refdesk.services.workflow import apply_transition
from refdesk.storage import Database


@dataclass(frozen=True, slots=True)
class AttemptResult:
    attempt_id: int
    attempt_count: int
    state: State
    #: True when the service line's attempt limit is reached without reaching the patient:
    #: the screen offers "close as unable to reach".
    limit_reached: bool


def log_attempt(
    db: Database,
    actor: Actor,
    referral_id: int,
    method: AttemptMethod,
    outcome: AttemptOutcome,
    *,
    note: str | None = None,
    at: datetime | None = None,
    callback_at: datetime | None = None,
    with_caregiver: bool = False,
) -> AttemptResult:
    """Record one attempt to reach the patient and keep the referral's counters and state current.

    Raises:
        TransitionError: the referral is closed or completed (reopen it first).
        ValidationError: the time lies in the future, or before the referral was received.
    """
    moment = as_utc(at) if at else utc_now()
    with audited(db, actor, "attempt.create", "referral", referral_id) as scope:
        referral = scope.session.get(Referral, referral_id)
        if referral is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        if not lifecycle.is_open(referral.state):
            raise TransitionError(
                f"The referral is {lifecycle.LABELS[referral.state]}; reopen it before logging contact."
            )
        if moment > utc_now() + CLOCK_SKEW:
            raise ValidationError({"at": "The attempt time cannot be in the future."})
        if moment < referral.received_at:
            raise ValidationError({"at": "The attempt cannot be before the referral was received."})
        attempt = ContactAttempt(
            referral_id=referral.id,
            at=moment,
            staff_id=actor.staff_id,
            method=method,
            outcome=outcome,
            note=note,
            callback_at=as_utc(callback_at) if callback_at else None,
            with_caregiver=with_caregiver,
        )
        scope.session.add(attempt)
        referral.attempt_count += 1
        referral.first_attempt_at = min(referral.first_attempt_at or moment, moment)
        referral.last_attempt_at = max(referral.last_attempt_at or moment, moment)
        referral.callback_due_at = attempt.callback_at
        if referral.acknowledged_at is None:
            referral.acknowledged_at = moment
        _advance(scope.session, actor, referral, outcome, moment)
        due.refresh(scope.session, referral)
        scope.session.flush()
        scope.detail.update({"method": method.value, "outcome": outcome.value})
        limit = referral.service_line.max_attempts
        unreached = referral.state in (State.RECEIVED, State.CONTACT_ATTEMPTED)
        limit_reached = unreached and referral.attempt_count >= limit
        return AttemptResult(attempt.id, referral.attempt_count, referral.state, limit_reached)


def _advance(
    session: Session, actor: Actor, referral: Referral, outcome: AttemptOutcome, at: datetime
) -> None:
    if outcome is AttemptOutcome.REACHED and lifecycle.check_transition(referral.state, State.REACHED):
        apply_transition(session, actor, referral, State.REACHED, note="patient reached", at=at)
    elif referral.state is State.RECEIVED:
        apply_transition(
            session, actor, referral, State.CONTACT_ATTEMPTED, note="first contact attempt", at=at
        )
