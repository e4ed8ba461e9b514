"""Every demo referral tells a story the desk could have lived: moves the lifecycle allows, in order,
counters that match the attempts, appointments that match the state, and nothing that has not happened
yet — except visits booked ahead and callbacks promised for the coming days."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from refdesk.demo import DemoSummary
from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import Appointment, ContactAttempt, Partner, Referral, StatusEvent
from refdesk.domain.vocab import AppointmentStatus, AttemptOutcome, PartnerCategory
from refdesk.storage import Database
from tests.refdesk.demo.conftest import NOW, REFERRALS


@dataclass(frozen=True)
class Stories:
    """Every referral of the demo database with its events, attempts and appointments, in order."""

    referrals: list[Referral]
    events: dict[int, list[StatusEvent]]
    attempts: dict[int, list[ContactAttempt]]
    appointments: dict[int, list[Appointment]]


@pytest.fixture(scope="package")
def stories(demo_build: tuple[Database, DemoSummary]) -> Stories:
    db = demo_build[0]
    events: dict[int, list[StatusEvent]] = defaultdict(list)
    attempts: dict[int, list[ContactAttempt]] = defaultdict(list)
    appointments: dict[int, list[Appointment]] = defaultdict(list)
    with db.session() as session:
        referrals = list(session.scalars(select(Referral).order_by(Referral.id)))
        for event in session.scalars(select(StatusEvent).order_by(StatusEvent.at, StatusEvent.id)):
            events[event.referral_id].append(event)
        for attempt in session.scalars(select(ContactAttempt).order_by(ContactAttempt.at, ContactAttempt.id)):
            attempts[attempt.referral_id].append(attempt)
        for appointment in session.scalars(select(Appointment).order_by(Appointment.id)):
            appointments[appointment.referral_id].append(appointment)
    return Stories(referrals, events, attempts, appointments)


def test_every_state_occurs_in_plausible_proportions(stories: Stories) -> None:
    referrals = stories.referrals
    states = Counter(r.state for r in referrals)

    assert len(referrals) == REFERRALS
    assert set(states) == set(State), f"missing: {set(State) - set(states)}"
    open_share = sum(states[s] for s in lifecycle.OPEN_STATES) / len(referrals)
    assert 0.18 <= open_share <= 0.35
    assert states[State.COMPLETED] == max(states.values())
    old = [r for r in referrals if r.received_at < NOW - timedelta(days=180)]
    recent = [r for r in referrals if r.received_at > NOW - timedelta(days=3)]
    assert sum(lifecycle.is_open(r.state) for r in old) / len(old) < 0.25
    early = (State.RECEIVED, State.CONTACT_ATTEMPTED)
    assert sum(r.state in early for r in recent) / len(recent) > 0.5


def test_every_partner_category_refers(demo: Database) -> None:
    with demo.session() as session:
        used = set(
            session.scalars(select(Partner.category).join(Referral, Referral.partner_id == Partner.id))
        )
    assert used == set(PartnerCategory)


def test_each_history_is_a_chain_the_lifecycle_allows_ending_in_the_referral_state(stories: Stories) -> None:
    referrals, events, attempts = stories.referrals, stories.events, stories.attempts
    for referral in referrals:
        chain = events[referral.id]
        first = chain[0]
        assert (first.from_state, first.to_state, first.at) == (None, State.RECEIVED, referral.received_at)
        times = [a.at for a in attempts[referral.id]]
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_state is before.to_state, referral.id
            assert before.at < after.at <= NOW, referral.id
            logged = sum(t <= after.at for t in times)
            verdict = lifecycle.check_transition(
                after.from_state, after.to_state, close_reason=after.close_reason, attempts=logged
            )
            assert verdict, (referral.id, after, verdict.reason)
        last = chain[-1]
        assert last.to_state is referral.state
        assert referral.state_changed_at == last.at
        if lifecycle.is_closed_outcome(referral.state):
            assert referral.close_reason is last.close_reason
            assert referral.close_reason in lifecycle.reasons_for(referral.state)
            assert referral.closed_at == last.at
        else:
            assert referral.close_reason is None and referral.closed_at is None


def test_a_reopened_referral_keeps_its_closing_in_the_history(stories: Stories) -> None:
    reopened = [
        chain
        for chain in stories.events.values()
        if any(e.from_state is not None and lifecycle.is_reopen(e.from_state, e.to_state) for e in chain)
    ]
    assert reopened
    for chain in reopened:
        closing = next(e for e in chain if e.to_state is State.UNABLE_TO_REACH)
        assert closing.close_reason in (CloseReason.NO_RESPONSE, CloseReason.INVALID_CONTACT)


def test_denormalised_counters_equal_the_attempt_rows(stories: Stories) -> None:
    referrals, attempts = stories.referrals, stories.attempts
    callbacks = 0
    for referral in referrals:
        logged = attempts[referral.id]
        assert referral.attempt_count == len(logged)
        if logged:
            assert referral.first_attempt_at == logged[0].at
            assert referral.last_attempt_at == logged[-1].at
            assert referral.acknowledged_at is not None
            assert referral.acknowledged_at <= logged[0].at
            assert referral.callback_due_at == logged[-1].callback_at
            assert all(referral.received_at <= a.at <= NOW for a in logged)
        else:
            assert referral.first_attempt_at is None and referral.last_attempt_at is None
            assert referral.callback_due_at is None
        if referral.callback_due_at is not None:
            callbacks += 1
            assert lifecycle.is_open(referral.state)
    assert callbacks > 0
    acknowledged = [r for r in referrals if r.acknowledged_at is not None and r.first_attempt_at is not None]
    quick = sum(r.acknowledged_at - r.received_at <= timedelta(hours=24) for r in acknowledged)
    assert quick / len(acknowledged) > 0.6


def test_appointments_match_the_state(stories: Stories) -> None:
    referrals, attempts, appointments = stories.referrals, stories.attempts, stories.appointments
    expected_last = {
        State.COMPLETED: {AppointmentStatus.COMPLETED},
        State.NO_SHOW: {AppointmentStatus.NO_SHOW},
        State.APPOINTMENT_CANCELLED: {AppointmentStatus.CANCELLED},
        State.SCHEDULED: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
    }
    reschedules = 0
    for referral in referrals:
        booked = appointments[referral.id]
        if referral.state in expected_last:
            assert booked and booked[-1].status in expected_last[referral.state], referral.id
        if referral.state in (State.RECEIVED, State.CONTACT_ATTEMPTED):
            assert not booked
        by_id = {a.id: a for a in booked}
        for appointment in booked:
            assert appointment.created_at <= NOW
            assert appointment.starts_at > appointment.created_at
            if appointment.confirmed_at is not None:
                assert appointment.created_at < appointment.confirmed_at <= NOW
            if appointment.replaces_id is not None:
                old = by_id[appointment.replaces_id]  # same referral
                assert old.status in (
                    AppointmentStatus.RESCHEDULED,
                    AppointmentStatus.NO_SHOW,
                    AppointmentStatus.CANCELLED,
                )
                reschedules += old.status is AppointmentStatus.RESCHEDULED
            if appointment.starts_at > NOW:
                assert appointment.status in (
                    AppointmentStatus.BOOKED,
                    AppointmentStatus.CONFIRMED,
                    AppointmentStatus.RESCHEDULED,
                    AppointmentStatus.CANCELLED,
                )
        if referral.state is State.COMPLETED:
            assert any(a.outcome is AttemptOutcome.REACHED for a in attempts[referral.id])
    assert reschedules > 0


def test_facts_lie_in_the_twelve_months_before_now(stories: Stories) -> None:
    referrals, events = stories.referrals, stories.events
    attempts, appointments = stories.attempts, stories.appointments
    year_ago = NOW - timedelta(days=366)

    def past(moment: datetime | None) -> bool:
        return moment is None or year_ago <= moment <= NOW

    for referral in referrals:
        for column in (
            "received_at", "acknowledged_at", "first_attempt_at", "last_attempt_at", "closed_at",
            "state_changed_at", "created_at", "updated_at",
        ):  # fmt: skip
            assert past(getattr(referral, column)), (referral.id, column)
        assert all(past(e.at) for e in events[referral.id])
        assert all(past(a.at) for a in attempts[referral.id])
        for appointment in appointments[referral.id]:
            assert past(appointment.created_at) and past(appointment.confirmed_at)
            if appointment.status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
                assert appointment.starts_at <= NOW
        # A promised callback may be due later today or in the next days, like a booked visit.
        if referral.callback_due_at is not None:
            assert referral.callback_due_at < NOW + timedelta(days=7)
    ahead = sum(a.starts_at > NOW for booked in appointments.values() for a in booked)
    assert ahead > 0
