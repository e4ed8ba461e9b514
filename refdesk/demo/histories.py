"""What happened to each referral: its status events, contact attempts, appointments, checklist answers.

A referral is played forward from its receipt the way the desk works it — acknowledge, call (up to the
service line's attempt limit), reach, intake, book, confirm, see — with the ways it goes wrong along the
way (declines, wrong numbers, no-shows, cancellations, reschedules, a patient calling back after the
referral was closed). Play stops at ``now``: what has not happened yet is where the referral stands,
so recent referrals are naturally still open and old ones mostly finished; a few stall on the way
(waiting for records or authorization, a callback nobody made) and stay open for months.

Each move is one the lifecycle allows, applied the way the services apply it (an attempt advances a
Received referral to Contact attempted, a reached one to Reached), so the counters on the referral are
those the services would have kept. The tests walk every history through ``lifecycle.check_transition``.

Rows are written as stored text (see ``clock``): '' or 0 stand for NULL and become NULL on insert.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from contextlib import suppress
from dataclasses import dataclass
from random import Random
from typing import Any

from refdesk.demo import catalog, odds
from refdesk.demo.clock import DAY, HOUR, MINUTE, DemoClock, stored_date
from refdesk.demo.plans import LinePlan
from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.vocab import ItemKind, Urgency


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


class _Stop(Exception):
    """The story ends here: play reached ``now`` (the referral stays where it is), or it was closed."""


class _Appointment:
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


class HistoryMaker:
    """Plays referrals forward and appends their rows to the lists of the current batch."""

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
        self.booked: list[_Appointment] = []
        self.reach_time = 0
        self.stall_phase = ""
        self.stall_for = 0

    # --- one referral ------------------------------------------------------------------------------

    def play(
        self,
        rid: int,
        received: int,
        line: LinePlan,
        urgency: str,
        channel: str,
        owner: int,
        has_alt_phone: bool,
        has_caregiver: bool,
        duplicate: bool,
    ) -> Outcome:
        self.rid = rid
        self.state = odds.RECEIVED
        self.received = received
        self.last = received
        self.owner = owner
        self.close_reason = ""
        self.closed_at = 0
        self.count = 0
        self.first = 0
        self.tried = []
        self.booked = []
        self.reach_time = 0
        r = self.rng.random
        self.stall_phase = ""
        if r() < odds.STALL_SHARE:
            self.stall_phase = odds.STALL_PHASES[bisect_right(odds.STALL_CUM, r() * odds.STALL_CUM[-1])]
            self.stall_for = odds.FOREVER if r() < 0.5 else int(self.rng.expovariate(1 / odds.STALL_MEAN))
        entry = self.callers[int(r() * len(self.callers))]
        self._event(None, odds.RECEIVED, "", received, entry, "")
        if channel in odds.LIVE_CHANNELS:
            self.ack = received
        else:
            # Most receipts are acknowledged well within the target; a busy day makes some late (in
            # business hours, as the target is counted).
            if r() < odds.LATE_ACK_SHARE:
                ack = self.clock.hours.add(received, line.ack_hours * (1.1 + r() * 2))
            else:
                ack = self.clock.later(received, 300 + r() * line.ack_hours * 0.5 * HOUR, self.rng)
            self.ack = ack if ack <= self.now else 0
        with suppress(_Stop):
            self._work(
                line, urgency, has_alt_phone=has_alt_phone, has_caregiver=has_caregiver, duplicate=duplicate
            )
        return self._finish(line)

    def _work(
        self, line: LinePlan, urgency: str, *, has_alt_phone: bool, has_caregiver: bool, duplicate: bool
    ) -> None:
        r = self.rng.random
        received = self.last
        roll = r()
        if duplicate:
            self._close(
                odds.DUPLICATE,
                odds.DUPLICATE_REFERRAL,
                received + 600 + int(r() * 4 * HOUR),
                "Linked to the earlier referral",
            )
            return
        if roll < 0.035:
            reason = odds.pick(r, odds.EARLY_CLINIC)
            days = (
                10 + r() * 15 if reason == odds.MISSING_RECORDS else 4 + r() * 10 if r() < 0.3 else r() * 1.5
            )
            if reason == odds.MISSING_RECORDS:
                self._record(line, received, chased=True)
            self._close(odds.DECLINED_BY_CLINIC, reason, received + 900 + int(days * DAY))
            return
        if roll < 0.047:
            self._close(odds.CANCELLED_BY_REFERRER, odds.REFERRER, received + int((0.2 + r() * 8) * DAY))
            return
        self._contact(line, urgency, has_alt_phone=has_alt_phone, has_caregiver=has_caregiver)
        self._intake(line, urgency)

    def _contact(self, line: LinePlan, urgency: str, *, has_alt_phone: bool, has_caregiver: bool) -> None:
        """Call until reached (returns); declined, unreachable or stalled end the story (_Stop)."""
        r = self.rng.random
        clock = self.clock
        speed = odds.SPEED[urgency]
        if not self.ack:
            raise _Stop
        delay = 300 + r() * line.first_contact_hours * 0.9 * HOUR * speed
        if r() < 0.04:
            delay += self.rng.expovariate(1 / (20 * DAY))
        t = clock.later(self._stall("received", max(self.last, self.ack)), delay, self.rng)
        tries = 0
        limit = line.max_attempts
        while True:
            if tries and tries == limit - 1 and r() < 0.2:
                method, outcome = odds.LETTER, odds.O_SENT
            else:
                m = r()
                if m < 0.85 or (tries == 0 and m < 0.92):
                    method = odds.CALL
                    p = odds.REACH[min(tries, 3)]
                    x = r()
                    if x < p:
                        outcome = odds.O_DECLINED if r() < 0.07 else odds.O_REACHED
                    elif x < p + 0.025:
                        outcome = odds.O_WRONG
                    else:
                        outcome = odds.O_NO_ANSWER if r() < 0.45 else odds.O_VOICEMAIL
                else:
                    method, outcome = (odds.TEXT if m < 0.95 else odds.EMAIL), odds.O_SENT
            self._attempt(t, method, outcome, has_caregiver and r() < 0.5)
            tries += 1
            if outcome == odds.O_REACHED:
                return
            if outcome == odds.O_DECLINED:
                self._close(odds.DECLINED_BY_PATIENT, odds.pick(r, odds.PATIENT), t + 120 + int(r() * 600))
                raise _Stop
            if outcome == odds.O_WRONG and (not has_alt_phone or r() < 0.5):
                self._close(
                    odds.UNABLE_TO_REACH, odds.INVALID_CONTACT, clock.later(t, 600 + r() * 2 * DAY, self.rng)
                )
                raise _Stop
            if tries >= limit:
                if r() < 0.07:  # kept trying past the limit, weeks later
                    t = clock.later(t, (2 + self.rng.expovariate(1 / 25)) * DAY, self.rng)
                    continue
                self._close(
                    odds.UNABLE_TO_REACH, odds.NO_RESPONSE, clock.later(t, (1.5 + r() * 5) * DAY, self.rng)
                )
                if r() < 0.05:
                    self._called_back()
                    return
                raise _Stop
            gap = (0.7 + r() * 2.2) * DAY
            if r() < 0.03:
                gap += self.rng.expovariate(1 / (30 * DAY))
            t = clock.later(self._stall("attempted", t), gap, self.rng)

    def _called_back(self) -> None:
        """The patient calls after the referral was closed as unreachable: reopen and take the call."""
        r = self.rng.random
        t = self.clock.later(self.last, (1 + r() * 25) * DAY, self.rng)
        self._move(odds.CONTACT_ATTEMPTED, t, note="Patient called back; reopened")
        self.close_reason, self.closed_at = "", 0
        self._attempt(t + 60, odds.CALL, odds.O_REACHED, False, "Patient called back")

    def _intake(self, line: LinePlan, urgency: str) -> None:
        """From reached: decline, wait for records, or book (and rebook) until seen."""
        r = self.rng.random
        clock = self.clock
        t = self.last
        self.reach_time = t
        roll = r()
        if roll < 0.085:
            self._close(
                odds.DECLINED_BY_PATIENT,
                odds.pick(r, odds.PATIENT),
                clock.later(t, 600 + r() * 3 * DAY, self.rng),
            )
            return
        if roll < 0.125:
            reason = odds.pick(r, odds.LATE_CLINIC)
            if reason == odds.MISSING_RECORDS:
                self._record(line, t, chased=True)
            self._close(odds.DECLINED_BY_CLINIC, reason, clock.later(t, (2 + r() * 18) * DAY, self.rng))
            return
        if roll < 0.145:
            self._close(odds.SEEN_ELSEWHERE, odds.ELSEWHERE, clock.later(t, (1 + r() * 10) * DAY, self.rng))
            return
        if roll < 0.155:
            self._close(
                odds.CANCELLED_BY_REFERRER, odds.REFERRER, clock.later(t, (1 + r() * 6) * DAY, self.rng)
            )
            return
        wait = 600 + r() * 1.5 * DAY
        if r() < 0.16:  # waiting for records or an authorization
            wait += (3 + self.rng.expovariate(1 / 25)) * DAY
            self._record(line, t, chased=r() < 0.5)
        when = clock.later(self._stall("reached", t), wait, self.rng)
        replaces = 0
        for booking in range(3):
            appointment = self._book(line, urgency, when, replaces)
            if self._visit(line, appointment, final=booking == 2):
                return
            replaces = appointment.id
            when = self.last + 300

    def _book(self, line: LinePlan, urgency: str, when: int, replaces: int) -> _Appointment:
        r = self.rng.random
        clock = self.clock
        self._move(odds.SCHEDULED, when, self._coordinator())
        appointment = self._appointment(line, urgency, when, replaces)
        if r() < 0.1:  # the patient asks to move it
            moved = clock.later(when, (appointment.starts - when) * r() * 0.8, self.rng)
            if moved < appointment.starts - HOUR and moved <= self.now:
                appointment.status = odds.A_RESCHEDULED
                self.last = max(self.last, moved)
                later = max(appointment.starts + DAY, moved + DAY)
                appointment = self._appointment(line, urgency, moved, appointment.id, not_before=later)
        if r() < 0.72:
            confirmed = clock.business(appointment.starts - int((0.8 + r() * 1.2) * DAY), self.rng)
            if appointment.created < confirmed < appointment.starts and confirmed <= self.now:
                appointment.confirmed = confirmed
                appointment.confirmed_by = "phone" if r() < 0.6 else "text"
                appointment.status = odds.A_CONFIRMED
        return appointment

    def _appointment(
        self, line: LinePlan, urgency: str, created: int, replaces: int, not_before: int = 0
    ) -> _Appointment:
        r = self.rng.random
        if urgency == Urgency.STAT.value:
            lead = 1 + r()
        elif urgency == Urgency.URGENT.value:
            lead = 1 + r() * 6
        else:
            low, high = line.spec.lead_days
            lead = low + r() * (high - low)
        starts = self.clock.local_slot(max(created + int(lead * DAY), not_before), self.rng)
        providers = line.spec.providers
        appointment = _Appointment(
            self.next_appointment,
            starts,
            providers[int(r() * len(providers))],
            created,
            self._coordinator(),
            replaces,
        )
        self.next_appointment += 1
        self.booked.append(appointment)
        self.last = max(self.last, created)
        return appointment

    def _visit(self, line: LinePlan, appointment: _Appointment, *, final: bool) -> bool:
        """What became of the booked visit; True when the referral's story ends here."""
        r = self.rng.random
        clock = self.clock
        starts = appointment.starts
        if r() < 0.035:  # closed before the visit: seen elsewhere, cancelled by the referrer, or declined
            moment = max(clock.later(self.last, (starts - self.last) * r(), self.rng), self.last + 60)
            if moment < starts and moment <= self.now:
                appointment.status = odds.A_CANCELLED
                which = r()
                if which < 0.4:
                    self._close(odds.SEEN_ELSEWHERE, odds.ELSEWHERE, moment)
                elif which < 0.6:
                    self._close(odds.CANCELLED_BY_REFERRER, odds.REFERRER, moment)
                else:
                    self._close(odds.DECLINED_BY_PATIENT, odds.pick(r, odds.AFTER_CANCEL), moment)
                return True
        if starts + HOUR > self.now:
            raise _Stop  # booked ahead (or the visit is under way)
        roll = r()
        if final or roll < 0.84:
            done = self._stall("visit", starts + 1800 + int(r() * 90 * MINUTE))
            if done > self.now:
                raise _Stop
            appointment.status = odds.A_COMPLETED
            self._move(odds.COMPLETED, done, self.callers[int(r() * len(self.callers))])
            return True
        if roll < 0.94:
            return self._no_show(appointment)
        return self._cancelled(appointment)

    def _no_show(self, appointment: _Appointment) -> bool:
        r = self.rng.random
        clock = self.clock
        marked = clock.later(self._stall("visit", appointment.starts), HOUR + r() * 4 * HOUR, self.rng)
        if marked > self.now:
            raise _Stop
        appointment.status = odds.A_NO_SHOW
        self._move(odds.NO_SHOW, marked, self._coordinator())
        t = clock.later(self._stall("follow_up", marked), (0.5 + r() * 2) * DAY, self.rng)
        roll = r()
        if roll < 0.55:
            self._attempt(t, odds.CALL, odds.O_REACHED, False, "Rebooking after missed visit")
            return False
        if roll < 0.7:
            self._attempt(t, odds.CALL, odds.O_DECLINED, False)
            self._close(odds.DECLINED_BY_PATIENT, CloseReason.PATIENT_NOT_INTERESTED.value, t + 300)
            return True
        self._attempt(t, odds.CALL, odds.O_VOICEMAIL, False)
        if roll < 0.88:
            t = clock.later(t, (2 + r() * 2) * DAY, self.rng)
            self._attempt(t, odds.CALL, odds.O_NO_ANSWER, False)
            self._close(odds.UNABLE_TO_REACH, odds.NO_RESPONSE, clock.later(t, (3 + r() * 4) * DAY, self.rng))
            return True
        raise _Stop  # nobody followed up: the referral waits as a no-show

    def _cancelled(self, appointment: _Appointment) -> bool:
        r = self.rng.random
        clock = self.clock
        moment = max(
            clock.business(appointment.starts - int((0.2 + r() * 2) * DAY), self.rng), self.last + 60
        )
        if moment >= appointment.starts:
            moment = max(appointment.starts - 600, self.last + 60)
        if moment > self.now:
            raise _Stop
        appointment.status = odds.A_CANCELLED
        self._move(
            odds.APPOINTMENT_CANCELLED, moment, self._coordinator(), "Patient cancelled the appointment"
        )
        roll = r()
        if roll < 0.6:
            rebook = clock.later(self._stall("follow_up", moment), (0.5 + r() * 5) * DAY, self.rng)
            if rebook > self.now:
                raise _Stop
            self.last = rebook
            return False
        if roll < 0.85:
            if r() < 0.7:
                self._close(
                    odds.DECLINED_BY_PATIENT,
                    odds.pick(r, odds.AFTER_CANCEL),
                    clock.later(moment, (1 + r() * 9) * DAY, self.rng),
                )
            else:
                self._close(
                    odds.SEEN_ELSEWHERE, odds.ELSEWHERE, clock.later(moment, (1 + r() * 9) * DAY, self.rng)
                )
            return True
        raise _Stop

    def _stall(self, phase: str, moment: int) -> int:
        """``moment``, or much later when this referral stalls in ``phase``."""
        if self.stall_phase == phase:
            self.stall_phase = ""
            return moment + self.stall_for
        return moment

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
            raise _Stop
        if at <= self.last:
            at = self.last + 1
        self._event(self.state, target, "", at, staff or self._coordinator(), note)
        self.state = target

    def _close(self, outcome: str, reason: str, at: int, note: str = "") -> None:
        if at < self.last + 60:
            at = self.last + 60
        if at > self.now:
            raise _Stop
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
            raise _Stop
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
