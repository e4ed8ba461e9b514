"""Outreach cadence arithmetic: calendar months between touches, and when the next touch is due."""

from __future__ import annotations

import calendar
from datetime import datetime

from refdesk.domain.vocab import OutreachCadence

#: Months between touches for each outreach cadence (NONE: no touch is ever due).
CADENCE_MONTHS: dict[OutreachCadence, int] = {OutreachCadence.MONTHLY: 1, OutreachCadence.QUARTERLY: 3}


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months; a day the target month lacks becomes its last day
    (Jan 31 + 1 month = Feb 28/29), so a monthly cadence never skips a month."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def next_touch_due(
    cadence: OutreachCadence, last_touch_at: datetime | None, now: datetime
) -> datetime | None:
    """When the next touch is due: the last touch plus the cadence (monthly: 1 month, quarterly: 3);
    a partner never touched is due now; without a cadence nothing is ever due (None)."""
    months = CADENCE_MONTHS.get(cadence)
    if months is None:
        return None
    if last_touch_at is None:
        return now
    return add_months(last_touch_at, months)
