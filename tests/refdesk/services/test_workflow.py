"""Working a referral: contact attempts advance it, illegal moves are refused with the reason, closing
needs a coded reason, and reopening puts it back where its history says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import ContactAttempt, Referral, StatusEvent
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome
from refdesk.errors import NotFoundError, TransitionError, ValidationError
from refdesk.services.actor import Actor
from refdesk.services.attempts import log_attempt
from refdesk.services.referrals import NewReferral, create_referral, get_referral
from refdesk.services.scheduling import AppointmentDraft, book
from refdesk.services.workflow import acknowledge, close, move, reopen
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows, count

CALL = AttemptMethod.CALL


def history(db: Database, referral_id: int) -> list[tuple[State | None, State]]:
    with db.session() as session:
        events = session.query(StatusEvent).filter_by(referral_id=referral_id).order_by(StatusEvent.id)
        return [(e.from_state, e.to_state) for e in events]


def test_the_first_attempt_marks_contact_attempted_and_counts(
    db: Database, actor: Actor, referral_id: int
) -> None:
    result = log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER, note="rang out")

    assert result.state is State.CONTACT_ATTEMPTED and result.attempt_count == 1 and not result.limit_reached
    referral = get_referral(db, referral_id)
    assert referral.attempt_count == 1
    assert referral.first_attempt_at == referral.last_attempt_at is not None
    assert referral.acknowledged_at == referral.first_attempt_at
    assert history(db, referral_id) == [(None, State.RECEIVED), (State.RECEIVED, State.CONTACT_ATTEMPTED)]


def test_reaching_the_patient_marks_reached(db: Database, actor: Actor, referral_id: int) -> None:
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.LEFT_VOICEMAIL)
    result = log_attempt(db, actor, referral_id, CALL, AttemptOutcome.REACHED)
    assert result.state is State.REACHED
    # A further call once reached is logged but does not move the referral.
    assert log_attempt(db, actor, referral_id, AttemptMethod.TEXT, AttemptOutcome.SENT).state is State.REACHED
    assert count(db, ContactAttempt) == 3


def test_the_attempt_limit_offers_unable_to_reach(db: Database, actor: Actor, referral_id: int) -> None:
    results = [log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER) for _ in range(3)]
    assert [r.limit_reached for r in results] == [False, False, True]
    close(db, actor, referral_id, CloseReason.NO_RESPONSE)
    referral = get_referral(db, referral_id)
    assert referral.state is State.UNABLE_TO_REACH and referral.close_reason is CloseReason.NO_RESPONSE
    assert referral.closed_at is not None


def test_a_callback_promise_is_kept_on_the_referral(db: Database, actor: Actor, referral_id: int) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.REACHED, callback_at=tomorrow)
    assert get_referral(db, referral_id).callback_due_at == tomorrow


def test_attempt_times_must_be_possible(db: Database, actor: Actor, referral_id: int) -> None:
    with pytest.raises(ValidationError, match="cannot be in the future"):
        log_attempt(
            db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER, at=datetime.now(UTC) + timedelta(hours=1)
        )
    with pytest.raises(ValidationError, match="before the referral was received"):
        log_attempt(
            db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER, at=datetime(2001, 1, 1, tzinfo=UTC)
        )
    assert count(db, ContactAttempt) == 0 and get_referral(db, referral_id).attempt_count == 0


def test_no_attempt_on_a_closed_referral(db: Database, actor: Actor, referral_id: int) -> None:
    close(db, actor, referral_id, CloseReason.DUPLICATE_REFERRAL)
    with pytest.raises(TransitionError, match="Duplicate; reopen it before logging contact"):
        log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER)


def test_an_illegal_move_is_refused_with_the_reason_and_audited(
    db: Database, actor: Actor, referral_id: int
) -> None:
    with pytest.raises(TransitionError, match="Reach the patient before scheduling"):
        move(db, actor, referral_id, State.SCHEDULED)
    assert get_referral(db, referral_id).state is State.RECEIVED
    assert history(db, referral_id) == [(None, State.RECEIVED)]
    [failure] = audit_rows(db, "referral.move")
    assert not failure.success and "Reach the patient" in (failure.detail or {})["error"]


def test_the_whole_funnel(db: Database, actor: Actor, new_referral: NewReferral) -> None:
    """Scheduling needs a booking (``scheduling``); the other appointment moves are recorded on it."""
    now = datetime.now(UTC)
    referral_id = create_referral(db, actor, replace(new_referral, received_at=now - timedelta(days=10)))
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.REACHED, at=now - timedelta(days=9))
    visit = AppointmentDraft(now - timedelta(days=4), provider="Dr Adeyemi")
    book(db, actor, referral_id, visit, override_reason="no intake in this test", at=now - timedelta(days=6))
    move(db, actor, referral_id, State.NO_SHOW)
    with pytest.raises(TransitionError, match="Book the appointment"):
        move(db, actor, referral_id, State.SCHEDULED)
    book(
        db, actor, referral_id, replace(visit, starts_at=now - timedelta(days=1)), at=now - timedelta(days=3)
    )
    move(db, actor, referral_id, State.COMPLETED)
    assert history(db, referral_id)[1:] == [
        (State.RECEIVED, State.REACHED),
        (State.REACHED, State.SCHEDULED),
        (State.SCHEDULED, State.NO_SHOW),
        (State.NO_SHOW, State.SCHEDULED),
        (State.SCHEDULED, State.COMPLETED),
    ]
    with pytest.raises(TransitionError, match="first visit is completed"):
        reopen(db, actor, referral_id)


def test_closing_goes_through_close_with_a_reason(db: Database, actor: Actor, referral_id: int) -> None:
    with pytest.raises(TransitionError, match="Use Close with a reason"):
        move(db, actor, referral_id, State.DECLINED_BY_CLINIC)
    close(db, actor, referral_id, CloseReason.OUT_OF_NETWORK, note="Plan not accepted")
    referral = get_referral(db, referral_id)
    assert referral.state is State.DECLINED_BY_CLINIC and referral.close_reason is CloseReason.OUT_OF_NETWORK
    with pytest.raises(TransitionError, match="already closed"):
        close(db, actor, referral_id, CloseReason.SEEN_ELSEWHERE)


def test_unable_to_reach_without_any_attempt_is_refused(db: Database, actor: Actor, referral_id: int) -> None:
    with pytest.raises(TransitionError, match="No contact attempt has been logged"):
        close(db, actor, referral_id, CloseReason.NO_RESPONSE)


def test_reopen_returns_where_the_history_says(db: Database, actor: Actor, referral_id: int) -> None:
    close(db, actor, referral_id, CloseReason.REFERRER_CANCELLED)
    assert reopen(db, actor, referral_id, note="partner re-sent") is State.RECEIVED
    referral = get_referral(db, referral_id)
    assert referral.close_reason is None and referral.closed_at is None

    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.NO_ANSWER)
    close(db, actor, referral_id, CloseReason.SEEN_ELSEWHERE)
    assert reopen(db, actor, referral_id) is State.CONTACT_ATTEMPTED
    with pytest.raises(TransitionError, match="Only a closed referral can be reopened"):
        reopen(db, actor, referral_id)


def test_move_on_a_closed_referral_points_to_reopen(db: Database, actor: Actor, referral_id: int) -> None:
    close(db, actor, referral_id, CloseReason.NOT_ELIGIBLE)
    with pytest.raises(TransitionError, match="use Reopen"):
        move(db, actor, referral_id, State.RECEIVED)


def test_a_missing_referral_is_reported(db: Database, actor: Actor) -> None:
    with pytest.raises(NotFoundError):
        move(db, actor, 77, State.REACHED)
    with pytest.raises(NotFoundError):
        log_attempt(db, actor, 77, CALL, AttemptOutcome.NO_ANSWER)


def test_acknowledging_records_the_first_time_only(db: Database, actor: Actor, referral_id: int) -> None:
    acknowledge(db, actor, referral_id)
    first = get_referral(db, referral_id).acknowledged_at
    acknowledge(db, actor, referral_id)
    assert first is not None and get_referral(db, referral_id).acknowledged_at == first


def test_each_write_leaves_one_audit_row(db: Database, actor: Actor, referral_id: int) -> None:
    log_attempt(db, actor, referral_id, CALL, AttemptOutcome.REACHED)
    visit = AppointmentDraft(datetime.now(UTC) + timedelta(days=3), provider="Dr Adeyemi")
    book(db, actor, referral_id, visit, override_reason="no intake in this test")
    close(db, actor, referral_id, CloseReason.SEEN_ELSEWHERE)
    assert [len(audit_rows(db, a)) for a in ("attempt.create", "appointment.book", "referral.close")] == [
        1,
        1,
        1,
    ]
    with db.session() as session:
        assert session.get(Referral, referral_id) is not None
