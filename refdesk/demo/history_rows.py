"""The rows a referral's history writes, and the state the story keeps while it plays one referral.

``refdesk.demo.histories`` tells the story (what happens, and when); this module holds what the story
leaves behind: status events, attempts, appointments, checklist answers and records as stored text ('' or
0 stand for NULL), and the referral's denormalised columns (``Outcome``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from random import Random
from typing import Any

from refdesk.demo import catalog, odds
from refdesk.demo.clock import DAY, DemoClock, stored_date
from refdesk.demo.plans import LinePlan
from refdesk.domain.vocab import ItemKind


@dataclass(slots=True)
class Outcome:
    """The referral's denormalised columns, as its history left them (0 / '' = NULL)."""

    state: str
    close_reason: str
    closed_at: int
    acknowledged_at: int
    first_attempt_at: int
    last_attempt_at: int
    attempt_count: int
    callback_due_at: int
    updated_at: int
    #: When the last status event happened, and the booked (or confirmed) visit the referral waits for.
    state_changed_at: int
    appointment_at: int
    #: When that visit was booked, and whether the patient confirmed it (then no reminder is due).
    appointment_booked_at: int = 0
    appointment_confirmed: bool = False


class Stop(Exception):
    """The story ends here: play reached ``now`` (the referral stays where it is), or it was closed."""


class Visit:
    __slots__ = (
        "id",
        "starts",
        "provider",
        "status",
        "confirmed",
        "confirmed_by",
        "replaces",
        "created",
        "by",
    )

    def __init__(
        self, appointment_id: int, starts: int, provider: str, created: int, by: int, replaces: int
    ) -> None:
        self.id = appointment_id
        self.starts = starts
        self.provider = provider
        self.status = odds.A_BOOKED
        self.confirmed = 0
        self.confirmed_by = ""
        self.replaces = replaces
        self.created = created
        self.by = by


class HistoryRows:
    """The rows of the current batch, the per-referral state of the story, and the writers of each row."""

    def __init__(self, rng: Random, clock: DemoClock, owners: list[int], callers: list[int]) -> None:
        self.rng = rng
        self.clock = clock
        self.now = clock.now
        self.owners = owners
        self.callers = callers
        self.next_event = 1
        self.next_attempt = 1
        self.next_appointment = 1
        self.next_answer = 1
        self.next_record = 1
        self.events: list[tuple[Any, ...]] = []
        self.attempts: list[tuple[Any, ...]] = []
        self.appointments: list[tuple[Any, ...]] = []
        self.answers: list[tuple[Any, ...]] = []
        self.records: list[tuple[Any, ...]] = []
        self._answer_values: dict[int, list[str]] = {}
        # per referral
        self.rid = 0
        self.state = odds.RECEIVED
        self.received = 0
        self.last = 0
        self.changed = 0
        self.owner = 0
        self.close_reason = ""
        self.closed_at = 0
        self.ack = 0
        self.count = 0
        self.first = 0
        #: This referral's attempts: [at, staff, method, outcome, with_caregiver, note, callback_at].
        self.tried: list[list[Any]] = []
        self.booked: list[Visit] = []
        self.reach_time = 0
        self.stall_phase = ""
        self.stall_for = 0

    # --- rows --------------------------------------------------------------------------------------

    def _coordinator(self) -> int:
        return self.owner or self.owners[int(self.rng.random() * len(self.owners))]

    def _event(self, source: str | None, target: str, reason: str, at: int, staff: int, note: str) -> None:
        self.events.append(
            (self.next_event, self.rid, source or "", target, reason, self.clock.text(at), staff, note)
        )
        self.next_event += 1
        self.last = at
        self.changed = at

    def _move(self, target: str, at: int, staff: int = 0, note: str = "") -> None:
        if at > self.now:
            raise Stop
        if at <= self.last:
            at = self.last + 1
        self._event(self.state, target, "", at, staff or self._coordinator(), note)
        self.state = target

    def _close(self, outcome: str, reason: str, at: int, note: str = "") -> None:
        if at < self.last + 60:
            at = self.last + 60
        if at > self.now:
            raise Stop
        if not note:
            notes = catalog.CLOSE_NOTES
            note = notes[int(self.rng.random() * len(notes))]
        self._event(self.state, outcome, reason, at, self._coordinator(), note)
        self.state = outcome
        self.close_reason, self.closed_at = reason, at
        if not self.ack or self.ack > at:
            self.ack = at

    def _attempt(self, at: int, method: str, outcome: str, with_caregiver: bool, note: str = "") -> None:
        """Log an attempt and advance the state as ``services.attempts.log_attempt`` does."""
        if at > self.now:
            raise Stop
        if at <= self.last:
            at = self.last + 1
        r = self.rng.random
        caller = self.callers[int(r() * len(self.callers))]
        if not note:
            notes = catalog.ATTEMPT_NOTES
            note = notes[int(r() * len(notes))] if outcome != odds.O_REACHED else ""
        self.tried.append([at, caller, method, outcome, 1 if with_caregiver else 0, note, 0])
        self.count += 1
        if not self.first:
            self.first = at
        if not self.ack:
            self.ack = at
        self.last = at
        if outcome == odds.O_REACHED and self.state in (odds.RECEIVED, odds.CONTACT_ATTEMPTED):
            self._event(self.state, odds.REACHED, "", at, caller, "patient reached")
            self.state = odds.REACHED
        elif self.state == odds.RECEIVED:
            self._event(self.state, odds.CONTACT_ATTEMPTED, "", at, caller, "first contact attempt")
            self.state = odds.CONTACT_ATTEMPTED

    def _record(self, line: LinePlan, since: int, *, chased: bool) -> None:
        """A required record requested from the partner (and chased) but not received."""
        clock = self.clock
        requested = since + int(self.rng.random() * DAY)
        if requested > self.now:
            return
        chased_at = requested + int((5 + self.rng.random() * 5) * DAY)
        chased_on = stored_date(clock.local_date(chased_at)) if chased and chased_at <= self.now else ""
        name = line.spec.required_records[0]
        self.records.append(
            (self.next_record, self.rid, name, "", stored_date(clock.local_date(requested)), chased_on)
        )
        self.next_record += 1

    def _records_on_file(self, line: LinePlan) -> None:
        """An open referral lists every record its service line requires, as the services create them:
        those not chased as missing arrived with the referral or a few days after it. (Closed referrals
        keep only the rows of records that went missing: fewer rows to write for a million referrals.)"""
        missing = {row[2] for row in self.records if row[1] == self.rid}
        for name in line.spec.required_records:
            if name in missing:
                continue
            arrived = min(self.received + int(self.rng.random() * 3 * DAY), self.now)
            day = stored_date(self.clock.local_date(arrived))
            self.records.append((self.next_record, self.rid, name, day, "", ""))
            self.next_record += 1

    def _finish(self, line: LinePlan) -> Outcome:
        text = self.clock.text
        rid = self.rid
        if self.state in odds.OPEN_STATES:
            self._records_on_file(line)
        callback = 0
        if self.tried and self.state in odds.CALLBACK_STATES and self.rng.random() < 0.35:
            last = self.tried[-1]
            if last[3] != odds.O_REACHED:
                callback = self.clock.later(last[0], (0.5 + self.rng.random() * 2.5) * DAY, self.rng)
                last[6] = callback
                last[5] = "Asked to call back"
        aid = self.next_attempt
        for at, caller, method, outcome, with_caregiver, note, callback_at in self.tried:
            callback_text = text(callback_at) if callback_at else ""
            self.attempts.append(
                (aid, rid, text(at), caller, method, outcome, with_caregiver, note, callback_text)
            )
            aid += 1
        self.next_attempt = aid
        updated = self.last
        appointment_at = booked_at = 0
        confirmed = False
        for appointment in self.booked:
            self.appointments.append(
                (
                    appointment.id,
                    rid,
                    text(appointment.starts),
                    appointment.provider,
                    line.spec.location,
                    appointment.status,
                    text(appointment.confirmed) if appointment.confirmed else "",
                    appointment.confirmed_by,
                    appointment.replaces,
                    text(appointment.created),
                    appointment.by,
                )
            )
            updated = max(updated, appointment.created, appointment.confirmed)
            if appointment.status in (odds.A_BOOKED, odds.A_CONFIRMED):
                appointment_at, booked_at = appointment.starts, appointment.created
                confirmed = appointment.status == odds.A_CONFIRMED
        if self.reach_time and self.state in odds.INTAKE_STATES:
            self._answers(line)
        last_attempt: int = self.tried[-1][0] if self.tried else 0
        return Outcome(
            self.state,
            self.close_reason,
            self.closed_at,
            self.ack,
            self.first,
            last_attempt,
            self.count,
            callback,
            max(updated, self.ack),
            self.changed,
            appointment_at,
            booked_at,
            confirmed,
        )

    def _answers(self, line: LinePlan) -> None:
        """The intake checklist of a referral still being worked: complete once it is scheduled."""
        r = self.rng.random
        at = self.reach_time
        partial = self.state == odds.REACHED
        by = self.callers[int(r() * len(self.callers))]
        stamp = self.clock.text(at)
        for item in line.items:
            if partial and (item.blocks_scheduling or r() < 0.3) and r() < 0.6:
                continue
            if item.kind is ItemKind.DATE:
                earlier = at - int((10 + r() * 300) * DAY)
                value = json.dumps(stored_date(self.clock.local_date(earlier)))
            else:
                values = self._answer_values.get(item.item_id)
                if values is None:
                    values = self._answer_values[item.item_id] = odds.answer_pool(item)
                value = values[0] if item.blocks_scheduling else values[int(r() * len(values))]
            self.answers.append((self.next_answer, self.rid, item.item_id, value, stamp, by))
            self.next_answer += 1
