"""The odds the demo's referral stories are drawn from, and the stored values they write.

Kept apart from ``histories`` (which plays each referral forward) so the shares can be read and tuned
in one place: how often a call reaches the patient, why referrals close, how long work stalls.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from refdesk.demo.clock import DAY
from refdesk.demo.plans import ItemPlan
from refdesk.domain.lifecycle import CLOSED_OUTCOMES, CloseReason, State
from refdesk.domain.lifecycle import OPEN_STATES as LIFECYCLE_OPEN_STATES
from refdesk.domain.vocab import AppointmentStatus, AttemptMethod, AttemptOutcome, Channel, ItemKind, Urgency

# Stored values, bound once: the simulation compares and writes plain strings.
RECEIVED = State.RECEIVED.value
CONTACT_ATTEMPTED = State.CONTACT_ATTEMPTED.value
REACHED = State.REACHED.value
SCHEDULED = State.SCHEDULED.value
COMPLETED = State.COMPLETED.value
NO_SHOW = State.NO_SHOW.value
APPOINTMENT_CANCELLED = State.APPOINTMENT_CANCELLED.value
DECLINED_BY_CLINIC = State.DECLINED_BY_CLINIC.value
DECLINED_BY_PATIENT = State.DECLINED_BY_PATIENT.value
UNABLE_TO_REACH = State.UNABLE_TO_REACH.value
CANCELLED_BY_REFERRER = State.CANCELLED_BY_REFERRER.value
DUPLICATE = State.DUPLICATE.value
SEEN_ELSEWHERE = State.SEEN_ELSEWHERE.value
CLOSED = frozenset(s.value for s in CLOSED_OUTCOMES)

CALL = AttemptMethod.CALL.value
TEXT = AttemptMethod.TEXT.value
EMAIL = AttemptMethod.EMAIL.value
LETTER = AttemptMethod.LETTER.value
O_REACHED = AttemptOutcome.REACHED.value
O_NO_ANSWER = AttemptOutcome.NO_ANSWER.value
O_VOICEMAIL = AttemptOutcome.LEFT_VOICEMAIL.value
O_WRONG = AttemptOutcome.WRONG_NUMBER.value
O_DECLINED = AttemptOutcome.DECLINED.value
O_SENT = AttemptOutcome.SENT.value

A_BOOKED = AppointmentStatus.BOOKED.value
A_CONFIRMED = AppointmentStatus.CONFIRMED.value
A_RESCHEDULED = AppointmentStatus.RESCHEDULED.value
A_NO_SHOW = AppointmentStatus.NO_SHOW.value
A_CANCELLED = AppointmentStatus.CANCELLED.value
A_COMPLETED = AppointmentStatus.COMPLETED.value

LIVE_CHANNELS = frozenset({Channel.PHONE.value, Channel.WALK_IN.value})
SPEED = {Urgency.ROUTINE.value: 1.0, Urgency.URGENT.value: 0.35, Urgency.STAT.value: 0.12}

#: Share of referrals that stall once (nobody picks them up for a while), where, and for how long: half
#: of them never, within the year; the rest for some weeks. They are the queue's backlog.
STALL_SHARE = 0.6
STALL_PHASES = ("received", "attempted", "reached", "visit", "follow_up")
STALL_CUM = list(accumulate((0.08, 0.25, 0.40, 0.15, 0.12)))
FOREVER = 20 * 365 * DAY
STALL_MEAN = 60 * DAY
#: Chance that a call reaches the patient, by how many attempts came before it.
REACH = (0.68, 0.55, 0.45, 0.3)

#: Share of referrals acknowledged after up to three times the service line's target (the rest well within).
LATE_ACK_SHARE = 0.12

# The open states in which a callback or checklist answers make sense.
CALLBACK_STATES = frozenset({CONTACT_ATTEMPTED, NO_SHOW})
INTAKE_STATES = frozenset({REACHED, SCHEDULED, NO_SHOW, APPOINTMENT_CANCELLED})
OPEN_STATES = frozenset(s.value for s in LIFECYCLE_OPEN_STATES)


def reasons(*weighted: tuple[CloseReason, float]) -> tuple[tuple[str, ...], list[float]]:
    return tuple(r.value for r, _ in weighted), list(accumulate(w for _, w in weighted))


EARLY_CLINIC = reasons(
    (CloseReason.NOT_ELIGIBLE, 30),
    (CloseReason.SERVICE_NOT_OFFERED, 12),
    (CloseReason.OUT_OF_NETWORK, 25),
    (CloseReason.MISSING_RECORDS, 20),
    (CloseReason.AUTHORIZATION_DENIED, 13),
)
LATE_CLINIC = reasons(
    (CloseReason.NOT_ELIGIBLE, 35),
    (CloseReason.MISSING_RECORDS, 30),
    (CloseReason.AUTHORIZATION_DENIED, 25),
    (CloseReason.OUT_OF_NETWORK, 10),
)
PATIENT = reasons(
    (CloseReason.PATIENT_NOT_INTERESTED, 35),
    (CloseReason.PATIENT_COST, 25),
    (CloseReason.PATIENT_DISTANCE, 20),
    (CloseReason.PATIENT_TIMING, 20),
)
AFTER_CANCEL = reasons(
    (CloseReason.PATIENT_TIMING, 60), (CloseReason.PATIENT_COST, 20), (CloseReason.PATIENT_DISTANCE, 20)
)
MISSING_RECORDS = CloseReason.MISSING_RECORDS.value
NO_RESPONSE = CloseReason.NO_RESPONSE.value
INVALID_CONTACT = CloseReason.INVALID_CONTACT.value
REFERRER = CloseReason.REFERRER_CANCELLED.value
DUPLICATE_REFERRAL = CloseReason.DUPLICATE_REFERRAL.value
ELSEWHERE = CloseReason.SEEN_ELSEWHERE.value


def pick(r: Callable[[], float], table: tuple[tuple[str, ...], list[float]]) -> str:
    values, cum = table
    return values[bisect_right(cum, r() * cum[-1])]


def answer_pool(item: ItemPlan) -> list[str]:
    """Answers as stored (JSON text, as SQLAlchemy's JSON type writes it); the first one is "done"."""
    if item.kind is ItemKind.YES_NO:
        values: list[object] = [True, True, True, True, False]
    elif item.kind is ItemKind.CHOICE:
        values = list(item.choices) or ["Yes"]
    else:
        values = list(TEXT_ANSWERS.get(item.key, TEXT_ANSWERS[""]))
    return [json.dumps(v) for v in values]


#: What patients say to the text items, by item key ("" for any other text item).
TEXT_ANSWERS: dict[str, tuple[str, ...]] = {
    "": ("None", "Needs a ride; daughter drives on Tuesdays", "Mornings only", "Works nights", "None"),
    "interpreter": ("None", "None", "Spanish", "None", "Vietnamese", "None", "Mandarin", "Arabic"),
    "diet_restrictions": ("None", "Gluten-free", "Vegetarian", "Peanut allergy", "Low sodium", "None"),
}
