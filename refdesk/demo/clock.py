"""The demo's calendar: whole seconds since the epoch, turned into the exact text SQLite stores.

A million referrals carry some fifteen million timestamps. Building a ``datetime`` for each and letting
the column type format it costs more than everything else the generator does, so times stay integers
and are written with two table lookups (the day's text and the time of day's text). The text is the
one SQLAlchemy's ``DateTime`` writes on SQLite (``2025-03-14 09:30:00.000000``, naive UTC); a test reads
the rows back through the ORM and compares with what the column types produce.

Business hours are the workstation's: the demo is looked at on the desk it was built on, so a referral
"received at 9:40" should read 9:40 there. The same seed, ``now`` and time zone give the same data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from random import Random

from refdesk.demo.deadlines import FastHours, ZoneOffsets

DAY = 86_400
HOUR = 3_600
MINUTE = 60

#: How referrals arrive over a local day (faxes also come in overnight), by hour 0..23.
_ARRIVAL_BY_HOUR = (
    (0.4, 0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.5)
    + (4.0, 6.5, 7.0, 6.5, 5.0, 5.5, 6.5, 6.0)
    + (5.0, 3.5, 1.5, 1.0, 0.8, 0.7, 0.6, 0.5)
)
#: Relative referral volume by local weekday, Monday first.
_ARRIVAL_BY_WEEKDAY = (1.15, 1.05, 1.0, 1.0, 0.95, 0.14, 0.07)


@cache
def _times_of_day() -> list[str]:
    """The stored text of every second of a day, built once per process when a clock is made."""
    return [f"{s // HOUR:02d}:{s // MINUTE % 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]


def stored_date(day: date) -> str:
    """A date as SQLAlchemy's ``Date`` stores it on SQLite."""
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


class DemoClock:
    """The twelve months before ``now`` (and some months after, for appointments booked ahead)."""

    def __init__(self, now: datetime, *, days_back: int = 365, days_ahead: int = 400) -> None:
        self.now = int(now.astimezone(UTC).timestamp())
        self.start = self.now - days_back * DAY
        #: Day 0 of the text table: a UTC midnight well before ``start`` (partners predate referrals).
        base_day = (self.start - 60 * DAY) // DAY
        self._base = base_day * DAY
        last_day = (self.now + days_ahead * DAY) // DAY
        self._day_text = [
            stored_date(datetime.fromtimestamp(number * DAY, UTC).date()) + " "
            for number in range(base_day, last_day + 1)
        ]
        self.offsets = ZoneOffsets(self._base, last_day * DAY)
        #: The clinic's business hours (the calendar the response targets are counted in).
        self.hours = FastHours(self.offsets)
        self._constant = self.offsets.constant
        self._arrival_cum = _cumulative(_ARRIVAL_BY_HOUR)
        #: ``text(moment)``: the stored text of a UTC moment (epoch seconds). A plain function with its
        #: tables bound, because it runs some fifteen times per referral.
        self.text = _text_function(self._day_text, self._base)

    @classmethod
    def at(cls, now: int) -> DemoClock:
        """The clock for ``now`` given in epoch seconds (how a worker process receives it)."""
        return cls(datetime.fromtimestamp(now, UTC))

    # --- writing ---------------------------------------------------------------------------------

    def aware(self, moment: int) -> datetime:
        """The moment as an aware UTC datetime (for the few rows written through the column types)."""
        return datetime.fromtimestamp(moment, UTC)

    def local_date(self, moment: int) -> date:
        return datetime.fromtimestamp(moment + self.offsets.at(moment), UTC).date()

    # --- local time ------------------------------------------------------------------------------

    def utc_offset(self, moment: int) -> int:
        return self.offsets.at(moment)

    def business(self, moment: int, rng: Random) -> int:
        """``moment`` if the clinic is open then, else a moment soon after it next opens.

        Staff act during opening hours; a referral faxed on Saturday night is worked on Monday morning.
        """
        hours = self.hours
        offset = self._constant if self._constant is not None else self.offsets.at(moment)
        day, second = divmod(moment + offset, DAY)
        if (day + 3) % 7 in hours.weekdays and day not in hours.holidays:
            if hours.opens <= second < hours.closes:
                return moment
            if second >= hours.opens:
                day += 1
        else:
            day += 1
        while not hours.is_open_day(day):
            day += 1
        return day * DAY + hours.opens + int(rng.random() * 90 * MINUTE) - offset

    def later(self, moment: int, seconds: float, rng: Random) -> int:
        """A business moment ``seconds`` after ``moment``."""
        return self.business(moment + int(seconds), rng)

    def local_slot(self, moment: int, rng: Random) -> int:
        """An appointment slot on the local day of ``moment`` (or the next open day), on the quarter hour."""
        hours = self.hours
        offset = self.offsets.at(moment)
        day = (moment + offset) // DAY
        while not hours.is_open_day(day):
            day += 1
        quarters = max((hours.closes - hours.opens) // (15 * MINUTE) - 3, 1)
        return day * DAY + hours.opens + int(rng.random() * quarters) * 15 * MINUTE - offset

    # --- arrivals --------------------------------------------------------------------------------

    def local_days(self) -> list[tuple[int, int]]:
        """Each local day of the twelve months as (local midnight in UTC seconds, weekday)."""
        days = []
        first = (self.start + self.utc_offset(self.start)) // DAY
        last = (self.now + self.utc_offset(self.now)) // DAY
        for day in range(first, last + 1):
            midnight = day * DAY - self.offsets.at(day * DAY)
            days.append((midnight, (day + 3) % 7))
        return days

    def day_weight(self, midnight: int, weekday: int) -> float:
        """Expected share of referrals on a local day: weekday shape, steady growth, and only the part of
        the first and last day that lies inside the twelve months."""
        growth = 0.75 + 0.5 * (midnight - self.start) / (self.now - self.start)
        return _ARRIVAL_BY_WEEKDAY[weekday] * growth * self._open_share(midnight)

    def _open_share(self, midnight: int) -> float:
        low = max(self.start - midnight, 0)
        high = min(self.now - midnight, DAY)
        if high <= low:
            return 0.0
        total = self._arrival_cum[-1]
        return (self._mass(high) - self._mass(low)) / total

    def _mass(self, second: int) -> float:
        hour, rest = divmod(second, HOUR)
        if hour >= 24:
            return self._arrival_cum[-1]
        return self._arrival_cum[hour] + _ARRIVAL_BY_HOUR[hour] * rest / HOUR

    def arrival(self, midnight: int, rng: Random) -> int:
        """A random arrival time on the local day starting at ``midnight``, inside the twelve months."""
        low = self._mass(max(self.start - midnight, 0))
        high = self._mass(min(self.now - midnight, DAY))
        mass = low + rng.random() * (high - low)
        hour = min(bisect_right(self._arrival_cum, mass) - 1, 23)
        within = (mass - self._arrival_cum[hour]) / _ARRIVAL_BY_HOUR[hour]
        moment = midnight + hour * HOUR + int(within * HOUR)
        return min(max(moment, self.start), self.now - 1)

    def as_date(self, moment: int) -> date:
        return datetime.fromtimestamp(moment, UTC).date()


def _text_function(day_text: list[str], base: int) -> Callable[[int], str]:
    times = _times_of_day()

    def text(moment: int) -> str:
        since = moment - base
        return day_text[since // 86_400] + times[since % 86_400]

    return text


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    total = 0.0
    out = [0.0]
    for weight in weights:
        total += weight
        out.append(total)
    return out
