"""The demo's fast business-hours arithmetic agrees with the calendar the services use, second for second,
also across daylight-saving changes and in a clinic zone other than the workstation's."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from refdesk.demo.deadlines import FastHours, ZoneOffsets
from refdesk.domain.calendar import DEFAULT_HOURS, BusinessHours


@pytest.fixture
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _compare(hours: BusinessHours, first: datetime, last: datetime, samples: int) -> None:
    start, end = int(first.timestamp()), int(last.timestamp())
    fast = FastHours(ZoneOffsets(start - 86_400 * 30, end + 86_400 * 60, hours), hours)
    rng = random.Random(5)
    for _ in range(samples):
        moment = rng.randrange(start, end)
        span = rng.choice((1, 4, 8, 16, 24, 40))
        expected = hours.add(datetime.fromtimestamp(moment, UTC), span)
        assert fast.add(moment, span) == int(expected.timestamp()), (moment, span)


@pytest.mark.parametrize(
    "local_zone", ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"], indirect=True
)
def test_adding_business_hours_matches_the_calendar_in_the_workstation_zone(local_zone: str) -> None:
    # Spring and autumn clock changes in both hemispheres' zones are inside these months.
    _compare(DEFAULT_HOURS, datetime(2026, 2, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC), 1200)


def test_adding_business_hours_matches_a_clinic_zone_with_holidays() -> None:
    hours = BusinessHours(
        zone=ZoneInfo("America/Chicago"), holidays=frozenset({date(2026, 7, 3), date(2026, 11, 26)})
    )
    _compare(hours, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), 1000)
