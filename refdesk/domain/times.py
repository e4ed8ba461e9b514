"""Time handling: stored as UTC, shown in the workstation's local time.

Everything that needs "now" takes it from here so tests can pin the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    return datetime.now().astimezone().date()


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as local wall-clock time (what a person typed)."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    return as_utc(moment).astimezone()
