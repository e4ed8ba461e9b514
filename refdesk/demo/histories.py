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

from bisect import bisect_right
from contextlib import suppress

from refdesk.demo import odds
from refdesk.demo.clock import DAY, HOUR, MINUTE
from refdesk.demo.history_rows import HistoryRows, Outcome, Stop, Visit
from refdesk.demo.plans import LinePlan
from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.vocab import Urgency


class HistoryMaker(HistoryRows):
    """Plays referrals forward and appends their rows to the lists of the current batch."""

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
        with suppress(Stop):
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
        """Call until reached (returns); declined, unreachable or stalled end the story (Stop)."""
        r = self.rng.random
        clock = self.clock
        speed = odds.SPEED[urgency]
        if not self.ack:
            raise Stop
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
                raise Stop
            if outcome == odds.O_WRONG and (not has_alt_phone or r() < 0.5):
                self._close(
                    odds.UNABLE_TO_REACH, odds.INVALID_CONTACT, clock.later(t, 600 + r() * 2 * DAY, self.rng)
                )
                raise Stop
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
                raise Stop
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

    def _book(self, line: LinePlan, urgency: str, when: int, replaces: int) -> Visit:
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
    ) -> Visit:
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
        appointment = Visit(
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

    def _visit(self, line: LinePlan, appointment: Visit, *, final: bool) -> bool:
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
            raise Stop  # booked ahead (or the visit is under way)
        roll = r()
        if final or roll < 0.84:
            done = self._stall("visit", starts + 1800 + int(r() * 90 * MINUTE))
            if done > self.now:
                raise Stop
            appointment.status = odds.A_COMPLETED
            self._move(odds.COMPLETED, done, self.callers[int(r() * len(self.callers))])
            return True
        if roll < 0.94:
            return self._no_show(appointment)
        return self._cancelled(appointment)

    def _no_show(self, appointment: Visit) -> bool:
        r = self.rng.random
        clock = self.clock
        marked = clock.later(self._stall("visit", appointment.starts), HOUR + r() * 4 * HOUR, self.rng)
        if marked > self.now:
            raise Stop
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
        raise Stop  # nobody followed up: the referral waits as a no-show

    def _cancelled(self, appointment: Visit) -> bool:
        r = self.rng.random
        clock = self.clock
        moment = max(
            clock.business(appointment.starts - int((0.2 + r() * 2) * DAY), self.rng), self.last + 60
        )
        if moment >= appointment.starts:
            moment = max(appointment.starts - 600, self.last + 60)
        if moment > self.now:
            raise Stop
        appointment.status = odds.A_CANCELLED
        self._move(
            odds.APPOINTMENT_CANCELLED, moment, self._coordinator(), "Patient cancelled the appointment"
        )
        roll = r()
        if roll < 0.6:
            rebook = clock.later(self._stall("follow_up", moment), (0.5 + r() * 5) * DAY, self.rng)
            if rebook > self.now:
                raise Stop
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
        raise Stop

    def _stall(self, phase: str, moment: int) -> int:
        """``moment``, or much later when this referral stalls in ``phase``."""
        if self.stall_phase == phase:
            self.stall_phase = ""
            return moment + self.stall_for
        return moment
