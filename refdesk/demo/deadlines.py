"""Deadlines and the next action of each demo referral, as ``services.due.refresh`` would have stored them.

``refdesk.domain.calendar`` and ``refdesk.domain.next_action`` are the authority; they work on aware
datetimes and cost ~0.1 ms per referral, which is two minutes at a million. This module does the same
arithmetic on epoch seconds, step by step the way ``BusinessHours.add`` does it (including how it
takes a day's UTC offset at that day's midnight), and a test compares its answers with the domain's
for every referral of a demo database.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime

from refdesk.domain.calendar import DEFAULT_HOURS, BusinessHours
from refdesk.domain.next_action import BOOK_WITHIN_HOURS, REMIND_BEFORE, RETRY_AFTER_HOURS, Action

DAY = 86_400
HOUR = 3_600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class ZoneOffsets:
    """The UTC offset (seconds) of the business zone at any moment, from a table of its transitions.

    ``BusinessHours.zone`` None means the workstation's zone, which is what ``astimezone()`` uses.
    """

    def __init__(self, first: int, last: int, hours: BusinessHours = DEFAULT_HOURS) -> None:
        self._zone = hours.zone
        self._first, self._last = first, last
        self._changes: list[int] = []
        self._offsets = [self._lookup(first)]
        previous = self._offsets[0]
        for moment in range(first + HOUR, last + HOUR, HOUR):
            offset = self._lookup(moment)
            if offset != previous:
                self._changes.append(self._transition(moment - HOUR, moment, previous))
                self._offsets.append(offset)
                previous = offset
        #: The offset when it never changes in the range (a zone without daylight saving): no lookups.
        self.constant: int | None = self._offsets[0] if not self._changes else None

    def _lookup(self, moment: int) -> int:
        if self._zone is None:
            return time.localtime(moment).tm_gmtoff
        offset = datetime.fromtimestamp(moment, self._zone).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def _transition(self, low: int, high: int, before: int) -> int:
        """The first second in (low, high] whose offset is no longer ``before``."""
        while high - low > 1:
            middle = (low + high) // 2
            if self._lookup(middle) == before:
                low = middle
            else:
                high = middle
        return high

    def covers(self, moment: int) -> bool:
        """Whether ``moment`` is comfortably inside the table (an addition stays within weeks of it)."""
        return self._first <= moment <= self._last - 60 * DAY

    def at(self, moment: int) -> int:
        if self._first <= moment <= self._last:
            if self.constant is not None:
                return self.constant
            return self._offsets[bisect_right(self._changes, moment)]
        return self._lookup(moment)


class FastHours:
    """``BusinessHours.add`` on epoch seconds.

    With the workstation's zone the calendar works on fixed offsets, taken again at each local midnight;
    with a named zone it works on wall-clock time and converts at both ends. Both are followed exactly.
    """

    def __init__(self, offsets: ZoneOffsets, hours: BusinessHours = DEFAULT_HOURS) -> None:
        self.offsets = offsets
        self.zone = hours.zone
        self.opens = hours.opens.hour * HOUR + hours.opens.minute * 60 + hours.opens.second
        self.closes = hours.closes.hour * HOUR + hours.closes.minute * 60 + hours.closes.second
        self.weekdays = hours.weekdays
        self.holidays = frozenset(day.toordinal() - _EPOCH_ORDINAL for day in hours.holidays)

    def is_open_day(self, day: int) -> bool:
        """``day``: days since 1970-01-01 (a local date)."""
        return (day + 3) % 7 in self.weekdays and day not in self.holidays

    def add(self, start: int, hours: float) -> int:
        if self.zone is not None:
            return self._add_wall(start, hours)
        remaining = hours * HOUR
        weekdays, holidays, opens, closes = self.weekdays, self.holidays, self.opens, self.closes
        constant = self.offsets.constant
        # One zone offset for the whole span (the common case) needs no look-up per day.
        if constant is not None and self.offsets.covers(start):
            at: Callable[[int], int] = lambda _moment: constant  # noqa: E731
        else:
            at = self.offsets.at
        offset = at(start)
        cursor = start
        day = (start + offset) // DAY
        for _ in range(3700):
            if (day + 3) % 7 in weekdays and day not in holidays:
                midnight = day * DAY - offset
                closing = midnight + closes
                begin = midnight + opens
                if cursor > begin:
                    begin = cursor
                if begin < closing:
                    available = closing - begin
                    if remaining <= available:
                        return int(begin + remaining)
                    remaining -= available
            cursor = (day + 1) * DAY - offset
            offset = at(cursor)
            day = (cursor + offset) // DAY
        raise ValueError("the business calendar has no open hours")

    def _add_wall(self, start: int, hours: float) -> int:
        remaining = hours * HOUR
        cursor = start + self.offsets.at(start)
        day = cursor // DAY
        for _ in range(3700):
            if (day + 3) % 7 in self.weekdays and day not in self.holidays:
                closing = day * DAY + self.closes
                begin = max(cursor, day * DAY + self.opens)
                if begin < closing:
                    available = closing - begin
                    if remaining <= available:
                        wall = int(begin + remaining)
                        offset = datetime.fromtimestamp(wall, UTC).replace(tzinfo=self.zone).utcoffset()
                        return wall - (int(offset.total_seconds()) if offset is not None else 0)
                    remaining -= available
            day += 1
            cursor = day * DAY
        raise ValueError("the business calendar has no open hours")


# The stored values of the states and actions the rules below compare and return.
_RECEIVED, _ATTEMPTED, _REACHED, _SCHEDULED = "received", "contact_attempted", "reached", "scheduled"
_NO_SHOW, _CANCELLED = "no_show", "appointment_cancelled"
_ACK, _FIRST, _CALLBACK = Action.ACKNOWLEDGE.value, Action.FIRST_CONTACT.value, Action.CALLBACK.value
_NEXT, _CLOSE, _BOOK = Action.NEXT_ATTEMPT.value, Action.CLOSE_UNREACHABLE.value, Action.BOOK.value
_REMIND, _RECORD = Action.REMIND.value, Action.RECORD_VISIT.value
_FOLLOW_UP, _REBOOK = Action.FOLLOW_UP_NO_SHOW.value, Action.REBOOK.value
_REMIND_BEFORE = int(REMIND_BEFORE.total_seconds())


def next_step(
    hours: FastHours,
    state: str,
    received_at: int,
    acknowledged_at: int,
    last_attempt_at: int,
    attempt_count: int,
    max_attempts: int,
    callback_due_at: int,
    appointment_at: int,
    state_changed_at: int,
    ack_due_at: int,
    first_contact_due_at: int,
    appointment_booked_at: int = 0,
    appointment_confirmed: bool = False,
) -> tuple[str, int]:
    """``next_action()`` on epoch seconds (0 = none): (action value, due) or ('', 0) when finished."""
    changed = state_changed_at or last_attempt_at or received_at
    if state == _RECEIVED:
        if not acknowledged_at and ack_due_at < first_contact_due_at:
            return _ACK, ack_due_at
        return _FIRST, first_contact_due_at
    if state == _ATTEMPTED:
        if callback_due_at:
            return _CALLBACK, callback_due_at
        last = last_attempt_at or received_at
        if attempt_count >= max_attempts:
            return _CLOSE, last
        return _NEXT, hours.add(last, RETRY_AFTER_HOURS)
    if state == _REACHED:
        if callback_due_at:
            return _CALLBACK, callback_due_at
        return _BOOK, hours.add(changed, BOOK_WITHIN_HOURS)
    if state == _SCHEDULED and appointment_at:
        reminder = appointment_at - _REMIND_BEFORE
        if not appointment_confirmed and (appointment_booked_at or changed) < reminder:
            return _REMIND, reminder
        return _RECORD, appointment_at
    if state == _SCHEDULED:
        return _BOOK, hours.add(changed, BOOK_WITHIN_HOURS)
    if state == _NO_SHOW:
        return _FOLLOW_UP, hours.add(changed, RETRY_AFTER_HOURS)
    if state == _CANCELLED:
        return _REBOOK, hours.add(changed, RETRY_AFTER_HOURS)
    return "", 0
