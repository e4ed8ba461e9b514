"""Local calendar months (``refdesk.domain.times``), as the metric cells are keyed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

from refdesk.domain.times import as_utc, to_local


def month_of(moment: datetime) -> date:
    """The first day of the local month ``moment`` (aware) falls in."""
    return to_local(moment).date().replace(day=1)


def day_start(day: date) -> datetime:
    """The UTC instant local ``day`` begins."""
    return as_utc(datetime.combine(day, time(0, 0)))


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the local month beginning on ``month``, as UTC instants."""
    return day_start(month), day_start(next_month(month))


def months(first: date, last: date) -> Iterator[date]:
    """The first day of each month from ``first``'s to ``last``'s, both included."""
    month, end = first.replace(day=1), last.replace(day=1)
    while month <= end:
        yield month
        month = next_month(month)
