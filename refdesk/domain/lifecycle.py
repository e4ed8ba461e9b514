"""The referral lifecycle: states, allowed moves, coded close reasons and the FHIR/BSeR mapping.

This is the only place that lists states or decides transitions. The queue filters, the buttons the
UI enables, the reports and every export ask this module. It is pure: no database, no clock.

The five funnel stages of the seed articles are the open path; a scheduled referral can also end in
a no-show or a cancelled appointment (both may be rebooked); and a referral that will not convert is
closed in one of six outcomes, each carrying a coded reason that feeds the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    RECEIVED = "received"
    CONTACT_ATTEMPTED = "contact_attempted"
    REACHED = "reached"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    DECLINED_BY_CLINIC = "declined_by_clinic"
    DECLINED_BY_PATIENT = "declined_by_patient"
    UNABLE_TO_REACH = "unable_to_reach"
    CANCELLED_BY_REFERRER = "cancelled_by_referrer"
    DUPLICATE = "duplicate"
    SEEN_ELSEWHERE = "seen_elsewhere"


LABELS: dict[State, str] = {
    State.RECEIVED: "Received",
    State.CONTACT_ATTEMPTED: "Contact attempted",
    State.REACHED: "Reached",
    State.SCHEDULED: "Scheduled",
    State.COMPLETED: "First visit completed",
    State.NO_SHOW: "No-show",
    State.APPOINTMENT_CANCELLED: "Appointment cancelled",
    State.DECLINED_BY_CLINIC: "Declined by clinic",
    State.DECLINED_BY_PATIENT: "Declined by patient",
    State.UNABLE_TO_REACH: "Unable to reach",
    State.CANCELLED_BY_REFERRER: "Cancelled by referrer",
    State.DUPLICATE: "Duplicate",
    State.SEEN_ELSEWHERE: "Seen elsewhere",
}

#: The funnel in order; a referral's furthest stage is what the reports count.
FUNNEL: tuple[State, ...] = (
    State.RECEIVED,
    State.CONTACT_ATTEMPTED,
    State.REACHED,
    State.SCHEDULED,
    State.COMPLETED,
)

#: Closed without a visit. Each has its own coded reasons.
CLOSED_OUTCOMES: tuple[State, ...] = (
    State.DECLINED_BY_CLINIC,
    State.DECLINED_BY_PATIENT,
    State.UNABLE_TO_REACH,
    State.CANCELLED_BY_REFERRER,
    State.DUPLICATE,
    State.SEEN_ELSEWHERE,
)

#: States in which the referral still needs work: the queue's default view and its partial indexes.
OPEN_STATES: tuple[State, ...] = (
    State.RECEIVED,
    State.CONTACT_ATTEMPTED,
    State.REACHED,
    State.SCHEDULED,
    State.NO_SHOW,
    State.APPOINTMENT_CANCELLED,
)

#: States from which no move is possible except a reopen (closed outcomes) or none at all (completed).
FINAL_STATES: tuple[State, ...] = (State.COMPLETED, *CLOSED_OUTCOMES)

#: Where a reopened referral may go back to.
REOPEN_TARGETS: tuple[State, ...] = (State.RECEIVED, State.CONTACT_ATTEMPTED, State.REACHED)


class CloseReason(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    SERVICE_NOT_OFFERED = "service_not_offered"
    OUT_OF_NETWORK = "out_of_network"
    MISSING_RECORDS = "missing_records"
    AUTHORIZATION_DENIED = "authorization_denied"
    PATIENT_NOT_INTERESTED = "patient_not_interested"
    PATIENT_COST = "patient_cost"
    PATIENT_DISTANCE = "patient_distance"
    PATIENT_TIMING = "patient_timing"
    NO_RESPONSE = "no_response"
    INVALID_CONTACT = "invalid_contact"
    REFERRER_CANCELLED = "referrer_cancelled"
    DUPLICATE_REFERRAL = "duplicate_referral"
    SEEN_ELSEWHERE = "seen_elsewhere"


@dataclass(frozen=True, slots=True)
class CloseReasonInfo:
    outcome: State
    label: str
    #: The wording a status letter to the referring partner uses (plain, no clinical detail).
    letter_text: str


CLOSE_REASONS: dict[CloseReason, CloseReasonInfo] = {
    CloseReason.NOT_ELIGIBLE: CloseReasonInfo(
        State.DECLINED_BY_CLINIC, "Not eligible", "declined: does not meet the referral criteria"
    ),
    CloseReason.SERVICE_NOT_OFFERED: CloseReasonInfo(
        State.DECLINED_BY_CLINIC, "Service not offered", "declined: service not offered here"
    ),
    CloseReason.OUT_OF_NETWORK: CloseReasonInfo(
        State.DECLINED_BY_CLINIC, "Out of network", "declined: insurance out of network"
    ),
    CloseReason.MISSING_RECORDS: CloseReasonInfo(
        State.DECLINED_BY_CLINIC, "Required records not received", "declined: required records not received"
    ),
    CloseReason.AUTHORIZATION_DENIED: CloseReasonInfo(
        State.DECLINED_BY_CLINIC, "Authorization denied", "declined: insurance authorization denied"
    ),
    CloseReason.PATIENT_NOT_INTERESTED: CloseReasonInfo(
        State.DECLINED_BY_PATIENT, "Patient not interested", "declined by the patient"
    ),
    CloseReason.PATIENT_COST: CloseReasonInfo(
        State.DECLINED_BY_PATIENT, "Patient declined: cost", "declined by the patient"
    ),
    CloseReason.PATIENT_DISTANCE: CloseReasonInfo(
        State.DECLINED_BY_PATIENT, "Patient declined: distance or transport", "declined by the patient"
    ),
    CloseReason.PATIENT_TIMING: CloseReasonInfo(
        State.DECLINED_BY_PATIENT, "Patient declined: timing", "declined by the patient"
    ),
    CloseReason.NO_RESPONSE: CloseReasonInfo(
        State.UNABLE_TO_REACH, "No response after attempts", "could not reach the patient"
    ),
    CloseReason.INVALID_CONTACT: CloseReasonInfo(
        State.UNABLE_TO_REACH,
        "Wrong or disconnected number",
        "could not reach the patient (contact details invalid)",
    ),
    CloseReason.REFERRER_CANCELLED: CloseReasonInfo(
        State.CANCELLED_BY_REFERRER, "Cancelled by referrer", "cancelled at your request"
    ),
    CloseReason.DUPLICATE_REFERRAL: CloseReasonInfo(
        State.DUPLICATE, "Duplicate referral", "duplicate of an earlier referral"
    ),
    CloseReason.SEEN_ELSEWHERE: CloseReasonInfo(
        State.SEEN_ELSEWHERE, "Seen elsewhere", "the patient is being seen elsewhere"
    ),
}


def reasons_for(outcome: State) -> tuple[CloseReason, ...]:
    """The coded reasons a referral may be closed with in ``outcome`` (empty for non-closed states)."""
    return tuple(reason for reason, info in CLOSE_REASONS.items() if info.outcome is outcome)


# --- transitions -----------------------------------------------------------------------------------

_CLOSE_FROM_ANY_OPEN = frozenset(CLOSED_OUTCOMES)

#: The allowed moves. A closed outcome is reached by closing with one of its reasons; a final state is
#: left only by reopening (closed outcomes) or never (completed).
_ALLOWED: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.CONTACT_ATTEMPTED, State.REACHED}) | _CLOSE_FROM_ANY_OPEN,
    State.CONTACT_ATTEMPTED: frozenset({State.REACHED}) | _CLOSE_FROM_ANY_OPEN,
    State.REACHED: frozenset({State.SCHEDULED}) | _CLOSE_FROM_ANY_OPEN,
    State.SCHEDULED: frozenset({State.COMPLETED, State.NO_SHOW, State.APPOINTMENT_CANCELLED})
    | (_CLOSE_FROM_ANY_OPEN - {State.UNABLE_TO_REACH}),
    State.NO_SHOW: frozenset({State.SCHEDULED}) | _CLOSE_FROM_ANY_OPEN,
    State.APPOINTMENT_CANCELLED: frozenset({State.SCHEDULED}) | _CLOSE_FROM_ANY_OPEN,
    State.COMPLETED: frozenset(),
    **{outcome: frozenset(REOPEN_TARGETS) for outcome in CLOSED_OUTCOMES},
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a move is allowed; when it is not, ``reason`` says why in words for the front desk."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


_OK = Verdict(True)


def is_open(state: State) -> bool:
    return state in OPEN_STATES


def is_closed_outcome(state: State) -> bool:
    return state in CLOSED_OUTCOMES


def is_reopen(source: State, target: State) -> bool:
    return source in CLOSED_OUTCOMES and target in REOPEN_TARGETS


def _refusal(source: State, target: State) -> str:
    """Why ``source`` → ``target`` is not in the table, phrased for the person who tried it."""
    src, dst = LABELS[source], LABELS[target]
    if source is State.COMPLETED:
        return "The first visit is completed; this referral is finished. Create a new referral for new care."
    if source in CLOSED_OUTCOMES:
        if target in CLOSED_OUTCOMES:
            return f"The referral is already closed ({src}). Reopen it first to close it differently."
        return f"A closed referral can only be reopened to {_join(REOPEN_TARGETS)}, not to {dst}."
    if target is State.COMPLETED:
        return "A first visit can only be completed for a referral with a scheduled appointment."
    if target in (State.NO_SHOW, State.APPOINTMENT_CANCELLED):
        return f"{dst} applies only to a scheduled appointment; this referral is {src}."
    if target is State.SCHEDULED:
        return "Reach the patient before scheduling: record a contact in which the patient was reached."
    if target is State.UNABLE_TO_REACH and source is State.SCHEDULED:
        return "The patient has an appointment. Record a no-show or a cancelled appointment first."
    if target is State.RECEIVED:
        return "A referral cannot go back to Received once work has started."
    if target is State.CONTACT_ATTEMPTED:
        return (
            f"The referral is already past first contact ({src}); log the attempt without changing the state."
        )
    if target is State.REACHED:
        return f"The patient was already reached; the referral is {src}."
    return f"{src} cannot move to {dst}."  # pragma: no cover - every pair is phrased above


def _join(states: tuple[State, ...]) -> str:
    names = [LABELS[s] for s in states]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def check_transition(
    source: State,
    target: State,
    *,
    close_reason: CloseReason | None = None,
    attempts: int | None = None,
) -> Verdict:
    """May a referral in ``source`` move to ``target``?

    Args:
        close_reason: required when ``target`` is a closed outcome, and must belong to it.
        attempts: contact attempts logged so far; when given, "unable to reach" needs at least one.
    """
    if source is target:
        return Verdict(False, f"The referral is already {LABELS[source]}.")
    if target not in _ALLOWED[source]:
        return Verdict(False, _refusal(source, target))
    if target in CLOSED_OUTCOMES:
        if close_reason is None:
            return Verdict(False, f"Closing as {LABELS[target]} needs a reason: {_reason_list(target)}.")
        if CLOSE_REASONS[close_reason].outcome is not target:
            return Verdict(
                False,
                f"'{CLOSE_REASONS[close_reason].label}' is not a reason for {LABELS[target]}; "
                f"choose one of: {_reason_list(target)}.",
            )
        if target is State.UNABLE_TO_REACH and attempts is not None and attempts < 1:
            return Verdict(False, "No contact attempt has been logged yet; try to reach the patient first.")
    elif close_reason is not None:
        return Verdict(
            False, f"A close reason only applies when closing, not when moving to {LABELS[target]}."
        )
    return _OK


def _reason_list(outcome: State) -> str:
    return ", ".join(CLOSE_REASONS[r].label for r in reasons_for(outcome))


def can_reopen(state: State) -> Verdict:
    """Reopening is for closed outcomes only; a completed first visit is final."""
    if state in CLOSED_OUTCOMES:
        return _OK
    if state is State.COMPLETED:
        return Verdict(False, _refusal(State.COMPLETED, State.RECEIVED))
    return Verdict(False, f"Only a closed referral can be reopened; this one is {LABELS[state]}.")


def allowed_targets(source: State) -> tuple[State, ...]:
    """The moves to offer from ``source``, in a stable order (funnel first, then the closed outcomes)."""
    return tuple(state for state in State if state in _ALLOWED[source])


def close_reason_state(reason: CloseReason) -> State:
    return CLOSE_REASONS[reason].outcome


# --- FHIR Task.status and BSeR businessStatus ------------------------------------------------------
# BSeR has no business status for "closed without a visit" other than Declined; the Task.status tells
# the closures apart (rejected by the clinic, cancelled, failed to reach, entered in error).


@dataclass(frozen=True, slots=True)
class FhirStatus:
    task_status: str
    business_status: str


FHIR: dict[State, FhirStatus] = {
    State.RECEIVED: FhirStatus("received", "Service request created"),
    State.CONTACT_ATTEMPTED: FhirStatus("accepted", "Accepted"),
    State.REACHED: FhirStatus("in-progress", "Accepted"),
    State.SCHEDULED: FhirStatus("in-progress", "Event scheduled"),
    State.NO_SHOW: FhirStatus("on-hold", "Scheduled event unattended"),
    State.APPOINTMENT_CANCELLED: FhirStatus("on-hold", "Scheduled event cancelled"),
    State.COMPLETED: FhirStatus("completed", "Event completed"),
    State.DECLINED_BY_CLINIC: FhirStatus("rejected", "Declined"),
    State.DECLINED_BY_PATIENT: FhirStatus("cancelled", "Declined"),
    State.UNABLE_TO_REACH: FhirStatus("failed", "Declined"),
    State.CANCELLED_BY_REFERRER: FhirStatus("cancelled", "Declined"),
    State.DUPLICATE: FhirStatus("entered-in-error", "Declined"),
    State.SEEN_ELSEWHERE: FhirStatus("cancelled", "Declined"),
}
