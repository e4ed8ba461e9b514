"""Business hours: response targets count clinic hours, not clock hours.

A referral faxed on Friday at 16:00 with an 8-hour acknowledgement target is due on Monday at 15:00,
not on Saturday at midnight. The clinic's hours are a setting; the default is Monday to Friday, 8 to 17.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from refdesk.domain.times import as_utc


@dataclass(frozen=True)
class BusinessHours:
    opens: time = time(8, 0)
    closes: time = time(17, 0)
    #: Monday is 0.
    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    #: The clinic's zone; None means the workstation's local zone.
    zone: tzinfo | None = field(default=None, compare=False)

    def is_open_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def _local(self, moment: datetime) -> datetime:
        return as_utc(moment).astimezone(self.zone)

    def _at(self, day: date, clock: time, like: datetime) -> datetime:
        return datetime.combine(day, clock, tzinfo=like.tzinfo)

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` business hours after ``start`` (aware in, aware UTC out)."""
        remaining = timedelta(hours=hours)
        cursor = self._local(start)
        for _ in range(3700):  # ten years of days: a calendar with no open day fails loudly, not forever
            day = cursor.date()
            if self.is_open_day(day):
                opening = self._at(day, self.opens, cursor)
                closing = self._at(day, self.closes, cursor)
                begin = max(cursor, opening)
                if begin < closing:
                    available = closing - begin
                    if remaining <= available:
                        return as_utc(begin + remaining)
                    remaining -= available
            next_day = day + timedelta(days=1)
            cursor = self._at(next_day, time(0, 0), cursor).astimezone(self.zone)
        raise ValueError("the business calendar has no open hours")


DEFAULT_HOURS = BusinessHours()
