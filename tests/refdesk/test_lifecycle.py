"""The lifecycle decides every move; here every pair of states is checked against the workflow as the
front desk knows it, written out independently as a matrix."""

from __future__ import annotations

import pytest

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CLOSE_REASONS, CloseReason, State

_COLUMNS = ["R", "CA", "RE", "S", "C", "NS", "AC", "DC", "DP", "UR", "CR", "D", "SE"]
_CODES = dict(zip(_COLUMNS, State, strict=True))

# Rows: from; columns: to (in the order above). Y = allowed, . = refused.
_MATRIX = """
R   . Y Y . . . . Y Y Y Y Y Y
CA  . . Y . . . . Y Y Y Y Y Y
RE  . . . Y . . . Y Y Y Y Y Y
S   . . . . Y Y Y Y Y . Y Y Y
C   . . . . . . . . . . . . .
NS  . . . Y . . . Y Y Y Y Y Y
AC  . . . Y . . . Y Y Y Y Y Y
DC  Y Y Y . . . . . . . . . .
DP  Y Y Y . . . . . . . . . .
UR  Y Y Y . . . . . . . . . .
CR  Y Y Y . . . . . . . . . .
D   Y Y Y . . . . . . . . . .
SE  Y Y Y . . . . . . . . . .
"""


def _expected() -> dict[tuple[State, State], bool]:
    table = {}
    for line in _MATRIX.strip().splitlines():
        code, *marks = line.split()
        for column, mark in zip(_COLUMNS, marks, strict=True):
            table[(_CODES[code], _CODES[column])] = mark == "Y"
    return table


EXPECTED = _expected()


def _a_reason_for(target: State) -> CloseReason | None:
    reasons = lifecycle.reasons_for(target)
    return reasons[0] if reasons else None


@pytest.mark.parametrize(("source", "target"), list(EXPECTED), ids=lambda s: s.value)
def test_every_pair_of_states(source: State, target: State) -> None:
    verdict = lifecycle.check_transition(source, target, close_reason=_a_reason_for(target), attempts=1)
    assert bool(verdict) is EXPECTED[(source, target)], verdict.reason
    if not verdict:
        assert verdict.reason, "a refusal must say why"
        assert "cannot move" not in verdict.reason, "every refusal has a specific reason"


def test_the_matrix_covers_every_state() -> None:
    assert len(EXPECTED) == len(State) ** 2


def test_allowed_targets_are_what_the_buttons_offer() -> None:
    for source in State:
        offered = set(lifecycle.allowed_targets(source))
        assert offered == {target for (s, target), ok in EXPECTED.items() if s is source and ok}


def test_closing_needs_a_reason_of_that_outcome() -> None:
    refused = lifecycle.check_transition(State.CONTACT_ATTEMPTED, State.DECLINED_BY_CLINIC)
    assert not refused and "needs a reason" in refused.reason and "Not eligible" in refused.reason
    wrong = lifecycle.check_transition(
        State.CONTACT_ATTEMPTED, State.DECLINED_BY_CLINIC, close_reason=CloseReason.NO_RESPONSE
    )
    assert not wrong and "is not a reason for Declined by clinic" in wrong.reason


def test_a_close_reason_is_refused_on_a_forward_move() -> None:
    verdict = lifecycle.check_transition(
        State.REACHED, State.SCHEDULED, close_reason=CloseReason.NOT_ELIGIBLE
    )
    assert not verdict and "only applies when closing" in verdict.reason


def test_unable_to_reach_needs_an_attempt() -> None:
    verdict = lifecycle.check_transition(
        State.RECEIVED, State.UNABLE_TO_REACH, close_reason=CloseReason.NO_RESPONSE, attempts=0
    )
    assert not verdict and "No contact attempt" in verdict.reason


def test_scheduled_cannot_be_closed_as_unreachable() -> None:
    verdict = lifecycle.check_transition(
        State.SCHEDULED, State.UNABLE_TO_REACH, close_reason=CloseReason.NO_RESPONSE
    )
    assert not verdict and "no-show" in verdict.reason


def test_completed_is_final() -> None:
    for target in State:
        verdict = lifecycle.check_transition(State.COMPLETED, target, close_reason=_a_reason_for(target))
        assert not verdict


def test_close_reasons_partition_the_closed_outcomes() -> None:
    for outcome in lifecycle.CLOSED_OUTCOMES:
        assert lifecycle.reasons_for(outcome), f"{outcome} has no coded reason"
    assert {info.outcome for info in CLOSE_REASONS.values()} == set(lifecycle.CLOSED_OUTCOMES)
    assert set(CLOSE_REASONS) == set(CloseReason)
    for reason, info in CLOSE_REASONS.items():
        assert info.label and info.letter_text, reason
        assert lifecycle.close_reason_state(reason) is info.outcome


def test_state_groups() -> None:
    assert set(lifecycle.OPEN_STATES).isdisjoint(lifecycle.FINAL_STATES)
    assert set(lifecycle.OPEN_STATES) | set(lifecycle.FINAL_STATES) == set(State)
    assert lifecycle.FUNNEL[0] is State.RECEIVED and lifecycle.FUNNEL[-1] is State.COMPLETED
    assert all(state in lifecycle.LABELS for state in State)


# FHIR R4 Task.status codes and the BSeR business statuses named in domain.md.
FHIR_TASK_STATUS = {
    "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
    "in-progress", "on-hold", "failed", "completed", "entered-in-error",
}  # fmt: skip
BSER_BUSINESS_STATUS = {
    "Service request created", "Accepted", "Declined", "Event scheduled", "Scheduled event unattended",
    "Scheduled event cancelled", "Event completed", "Fulfillment completed",
}  # fmt: skip


def test_every_state_maps_to_fhir_and_bser() -> None:
    assert set(lifecycle.FHIR) == set(State)
    for state, status in lifecycle.FHIR.items():
        assert status.task_status in FHIR_TASK_STATUS, state
        assert status.business_status in BSER_BUSINESS_STATUS, state
    assert lifecycle.FHIR[State.COMPLETED].task_status == "completed"
    assert lifecycle.FHIR[State.NO_SHOW].business_status == "Scheduled event unattended"
    assert lifecycle.FHIR[State.DECLINED_BY_CLINIC].task_status == "rejected"


def test_only_closed_outcomes_can_be_reopened() -> None:
    assert all(lifecycle.can_reopen(state) for state in lifecycle.CLOSED_OUTCOMES)
    assert "finished" in lifecycle.can_reopen(State.COMPLETED).reason
    assert "Only a closed referral" in lifecycle.can_reopen(State.REACHED).reason
