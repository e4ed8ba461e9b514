"""The referral stream: who sent which patient for what, when, and what became of it, in chunks.

Referrals are generated in the order they arrived (so ids follow received time, as they do when the
desk enters them), a day at a time with the day's share of the year's volume. The year is cut into
chunks of consecutive days, each played with its own random generator seeded from the demo's seed
and the chunk's number: a chunk is the same whether it is generated here or in a worker process,
and memory stays flat however many referrals are asked for.

Every row is a tuple in the column order below, holding stored values (see ``clock``). Referral ids
are global (each chunk knows where it starts); the ids of the rows that belong to a referral count from
1 in each chunk and are moved into place by the writer (``bulk``), which alone knows what came before.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from random import Random
from typing import Any

from refdesk.demo import catalog
from refdesk.demo.clock import DAY, HOUR, DemoClock, stored_date
from refdesk.demo.deadlines import next_step
from refdesk.demo.histories import HistoryMaker
from refdesk.demo.odds import RECEIVED
from refdesk.demo.patients import Patient, PatientMaker
from refdesk.demo.plans import LinePlan, PartnerPlan
from refdesk.domain.vocab import Channel, Urgency

EVENT_COLUMNS = ("id", "referral_id", "from_state", "to_state", "close_reason", "at", "staff_id", "note")
ATTEMPT_COLUMNS = (
    "id", "referral_id", "at", "staff_id", "method", "outcome", "with_caregiver", "note", "callback_at",
)  # fmt: skip
APPOINTMENT_COLUMNS = (
    "id", "referral_id", "starts_at", "provider", "location", "status", "confirmed_at", "confirmed_by",
    "replaces_id", "created_at", "created_by",
)  # fmt: skip
ANSWER_COLUMNS = ("id", "referral_id", "item_id", "value", "answered_at", "answered_by")
RECORD_COLUMNS = ("id", "referral_id", "name", "received_on", "requested_on", "chased_on")

_URGENCY = (Urgency.ROUTINE.value, Urgency.URGENT.value, Urgency.STAT.value)
_URGENCY_CUM = list(accumulate((84.0, 14.0, 2.0)))
_LIVE = frozenset({Channel.PHONE.value, Channel.WALK_IN.value})
_CHANNEL_VALUES = tuple(c.value for c in Channel)
_RECENT = 256


@dataclass(slots=True)
class Batch:
    """The rows of some referrals and of everything that belongs to them, by table."""

    referrals: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    attempts: list[tuple[Any, ...]] = field(default_factory=list)
    appointments: list[tuple[Any, ...]] = field(default_factory=list)
    answers: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[tuple[Any, ...]] = field(default_factory=list)

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            "referral": self.referrals,
            "status_event": self.events,
            "contact_attempt": self.attempts,
            "appointment": self.appointments,
            "checklist_answer": self.answers,
            "referral_record": self.records,
        }


@dataclass(frozen=True, slots=True)
class Stream:
    """What every chunk of one demo needs: the seed, the clock and the directory's plans."""

    seed: int
    now: int
    lines: tuple[LinePlan, ...]
    partners: tuple[PartnerPlan, ...]
    owners: tuple[int, ...]
    callers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive local days of referrals: (local midnight, referrals received that day)."""

    number: int
    first_referral: int
    days: tuple[tuple[int, int], ...]

    @property
    def referrals(self) -> int:
        return sum(count for _, count in self.days)


def plan_chunks(clock: DemoClock, total: int, first_referral: int, size: int) -> list[Chunk]:
    """The year's ``total`` referrals spread over its days, cut into chunks of about ``size``."""
    days = clock.local_days()
    counts = _apportion(total, [clock.day_weight(midnight, weekday) for midnight, weekday in days])
    chunks: list[Chunk] = []
    current: list[tuple[int, int]] = []
    in_chunk = 0
    next_referral = first_referral
    for (midnight, _), count in zip(days, counts, strict=True):
        if count:
            current.append((midnight, count))
            in_chunk += count
        if in_chunk >= size:
            chunks.append(Chunk(len(chunks), next_referral, tuple(current)))
            next_referral += in_chunk
            current, in_chunk = [], 0
    if current:
        chunks.append(Chunk(len(chunks), next_referral, tuple(current)))
    return chunks


def generate(stream: Stream, chunk: Chunk) -> Batch:
    """The rows of one chunk (a module-level function, so a worker process can run it)."""
    return _ChunkMaker(stream, chunk).run()


_PROCESS_CACHE: dict[int, tuple[DemoClock, PatientMaker]] = {}


def clock_for(now: int) -> DemoClock:
    """The clock for ``now`` (epoch seconds), shared within a process: its tables cost ~0.2 s to build."""
    return _tables_for(now)[0]


def _tables_for(now: int) -> tuple[DemoClock, PatientMaker]:
    found = _PROCESS_CACHE.get(now)
    if found is None:
        clock = DemoClock.at(now)
        found = (clock, PatientMaker(Random(0), clock.as_date(clock.now)))
        _PROCESS_CACHE.clear()
        _PROCESS_CACHE[now] = found
    return found


class _ChunkMaker:
    def __init__(self, stream: Stream, chunk: Chunk) -> None:
        self.rng = rng = Random(f"refdesk-demo:{stream.seed}:{chunk.number}")
        self.clock, self.patients = _tables_for(stream.now)
        self.patients.rng = rng
        self.stream = stream
        self.chunk = chunk
        self.next_id = chunk.first_referral
        self.batch = Batch()
        history = self.history = HistoryMaker(rng, self.clock, list(stream.owners), list(stream.callers))
        history.events = self.batch.events
        history.attempts = self.batch.attempts
        history.appointments = self.batch.appointments
        history.answers = self.batch.answers
        history.records = self.batch.records
        today = self.clock.as_date(self.clock.now)
        self.first_day = today - timedelta(days=400)
        self.first_midnight = (self.first_day - date(1970, 1, 1)).days * DAY
        self.day_text = [stored_date(self.first_day + timedelta(days=n)) for n in range(1000)]
        self.reasons = {
            line.id: [reason + suffix for reason in line.spec.reasons for suffix in catalog.REASON_SUFFIXES]
            for line in stream.lines
        }
        self.recent: list[tuple[int, Patient, PartnerPlan, LinePlan]] = []

    def run(self) -> Batch:
        clock = self.clock
        for midnight, count in self.chunk.days:
            partners, cum = self._active_partners(midnight + 12 * HOUR)
            for received in sorted(clock.arrival(midnight, self.rng) for _ in range(count)):
                self._referral(received, partners, cum)
        return self.batch

    def _active_partners(self, moment: int) -> tuple[list[PartnerPlan], list[float]]:
        partners = [p for p in self.stream.partners if p.active_from <= moment < p.active_until]
        if not partners:  # every partner lapsed or not yet started: the biggest one keeps referring
            partners = [max(self.stream.partners, key=lambda p: p.weight)]
        return partners, list(accumulate(p.weight for p in partners))

    def _referral(self, received: int, partners: list[PartnerPlan], cum: list[float]) -> None:
        r = self.rng.random
        clock = self.clock
        rid = self.next_id
        self.next_id += 1
        linked = 0
        if self.recent and r() < 0.02:
            linked, patient, partner, line = self.recent[int(r() * len(self.recent))]
        else:
            partner = partners[bisect_right(cum, r() * cum[-1])]
            line = self.stream.lines[bisect_right(partner.line_cum, r() * partner.line_cum[-1])]
            patient = self.patients.make(line.spec.min_age)
        urgency = _URGENCY[bisect_right(_URGENCY_CUM, r() * _URGENCY_CUM[-1])]
        channel = _CHANNEL_VALUES[bisect_right(partner.channel_cum, r() * partner.channel_cum[-1])]
        owners = self.stream.owners
        owner = owners[int(r() * len(owners))]

        auth_number = auth_expires = ""
        auth_visits = 0
        if patient.insurance_member_id and r() < line.spec.authorization_share:
            auth_number = f"AUTH-{int(r() * 100_000_000):08d}"
            auth_visits = 6 + int(r() * 19) if line.spec.name == "Physical therapy" else 1
            day = (received - self.first_midnight) // DAY + 60 + int(r() * 120)
            auth_expires = self.day_text[day]
        clinicians = partner.clinicians
        clinician = clinicians[int(r() * len(clinicians))] if clinicians else ""
        reasons = self.reasons[line.id]

        outcome = self.history.play(
            rid,
            received,
            line,
            urgency,
            channel,
            owner,
            bool(patient.phone_alt),
            bool(patient.caregiver_name),
            bool(linked),
        )
        if outcome.state == RECEIVED and r() < 0.5:
            owner = 0  # still in the unassigned pile
        created = received if channel in _LIVE else min(received + int(r() * 600), clock.now)
        hours = clock.hours
        ack_due = hours.add(received, line.ack_hours)
        first_contact_due = hours.add(received, line.first_contact_hours)
        action, action_due = next_step(
            hours,
            outcome.state,
            received,
            outcome.acknowledged_at,
            outcome.last_attempt_at,
            outcome.attempt_count,
            line.max_attempts,
            outcome.callback_due_at,
            outcome.appointment_at,
            outcome.state_changed_at,
            ack_due,
            first_contact_due,
            outcome.appointment_booked_at,
            outcome.appointment_confirmed,
        )
        text = clock.text
        self.batch.referrals.append(
            (
                rid,
                partner.id,
                line.id,
                *patient,
                auth_number,
                auth_visits,
                auth_expires,
                clinician,
                reasons[int(r() * len(reasons))],
                urgency,
                channel,
                text(received),
                owner,
                outcome.state,
                outcome.close_reason,
                text(outcome.closed_at) if outcome.closed_at else "",
                linked,
                text(outcome.acknowledged_at) if outcome.acknowledged_at else "",
                text(outcome.first_attempt_at) if outcome.first_attempt_at else "",
                text(outcome.last_attempt_at) if outcome.last_attempt_at else "",
                outcome.attempt_count,
                text(outcome.callback_due_at) if outcome.callback_due_at else "",
                text(outcome.state_changed_at),
                text(ack_due),
                text(first_contact_due),
                action,
                text(action_due) if action_due else "",
                text(created),
                text(max(outcome.updated_at, created)),
            )
        )
        if len(self.recent) < _RECENT:
            self.recent.append((rid, patient, partner, line))
        else:
            self.recent[rid % _RECENT] = (rid, patient, partner, line)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Whole counts proportional to ``weights`` that add up to exactly ``total``."""
    whole = sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    counts = []
    running = 0.0
    given = 0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        counts.append(upto - given)
        given = upto
    counts[-1] += total - given
    return counts
