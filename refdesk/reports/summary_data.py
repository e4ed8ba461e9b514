"""What the partner summary prints, as plain values (``SummaryDocument``), and the words it prints
for numbers and their changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from refdesk.reports.base import (
    PageSize,
)
from refdesk.reports.letterhead import Letterhead
from refdesk.services.metrics import Report, change

TITLE = "Partner summary"
DASH = "—"

#: Service line name -> (acknowledgement, first contact) targets in business hours.
Targets = Mapping[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class SummaryDocument:
    """Everything the summary prints, as plain values."""

    letterhead: Letterhead
    report: Report
    targets: Targets
    generated_at: datetime
    page_size: PageSize = PageSize.LETTER


# -- words for numbers -------------------------------------------------------------------------------


def percent(share: float | None) -> str:
    return DASH if share is None else f"{share:.0%}"


def duration(hours: float | None) -> str:
    """``45 min``, ``5.5 h``, ``3.2 days``: clock time as a partner reads it."""
    if hours is None:
        return DASH
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def days(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f} day{'s' if round(value) != 1 else ''}"


def count_change(current: int, previous: int) -> str:
    """``▲ 12%`` / ``▼ 8%`` / ``±0%`` / ``new`` (nothing before) / a dash (nothing either time)."""
    if previous == 0:
        return "new" if current else DASH
    relative = change(current, previous)
    assert relative is not None
    if round(relative * 100) == 0:
        return "±0%"
    return f"{'▲' if relative > 0 else '▼'} {abs(relative):.0%}"


def share_change(current: float | None, previous: float | None) -> str:
    """A share's change in percentage points: ``▲ 3 pts``; a dash when either side is unknown."""
    if current is None or previous is None:
        return DASH
    points = round((current - previous) * 100)
    if points == 0:
        return "±0 pts"
    return f"{'▲' if points > 0 else '▼'} {abs(points)} pt{'s' if abs(points) != 1 else ''}"


def value_change(current: float | None, previous: float | None, unit: Callable[[float | None], str]) -> str:
    """A duration's change: ``▲ 2 days`` style, in the metric's own unit."""
    if current is None or previous is None:
        return DASH
    if abs(current - previous) < 0.05:
        return f"±{unit(0)}"
    return f"{'▲' if current > previous else '▼'} {unit(abs(current - previous))}"
