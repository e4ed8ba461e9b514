"""What a Today line and heading say, as plain text: kept apart from the model so the wording can be read
and tested without Qt's index machinery.

Times are the workstation's local time in the UI's one format (``ui.widgets.dates``), said relative to
the day the worklist was read ("today 9:30 AM", "tomorrow 10:00 AM") because the desk plans by the day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from refdesk.domain.formats import referral_number
from refdesk.domain.lifecycle import State
from refdesk.domain.times import to_local
from refdesk.domain.vocab import Urgency
from refdesk.services.queue import QueueRow
from refdesk.services.today import Section, SectionKey
from ui.widgets.dates import format_date, format_datetime, format_time

EMPTY_TEXT = "Nothing due today. New referrals will appear here."
NOTHING_HERE = "nothing here"


def heading(section: Section) -> str:
    """``New — not yet acknowledged (12)``; says how many lines are shown when not all of them are."""
    if section.total == 0:
        return f"{section.title} — {NOTHING_HERE}"
    shown = len(section.rows)
    if shown < section.total:
        return f"{section.title} ({section.total_text}, first {shown} shown)"
    return f"{section.title} ({section.total_text})"


def referral_text(row: QueueRow) -> str:
    """Two lines: the patient, then the referral number, partner and service line."""
    return f"{row.patient_name}\n{referral_number(row.id)} · {row.partner_name} · {row.service_line_name}"


def referral_accessible(row: QueueRow) -> str:
    return f"{row.patient_name}, {referral_number(row.id)}, {row.partner_name}, {row.service_line_name}"


def urgency_text(row: QueueRow) -> str:
    """The urgency marker: empty for routine referrals, so the urgent ones stand out."""
    return "" if row.urgency is Urgency.ROUTINE else row.urgency.label


def when_text(section: Section, row: QueueRow, now: datetime) -> str:
    """Two lines on the time the line is about: how late or how soon first, then the moment itself."""
    first, second = _when(section, row, now)
    return f"{first}\n{second}" if second else first


def when_tooltip(section: Section, row: QueueRow, now: datetime) -> str:
    moment = section.moments.get(row.id)
    if isinstance(moment, datetime):
        return format_datetime(moment)
    if isinstance(moment, date):
        return format_date(moment)
    return ""


def _when(section: Section, row: QueueRow, now: datetime) -> tuple[str, str]:
    moment = section.moments.get(row.id)
    key = section.key
    if key == SectionKey.MISSING_RECORDS:
        note = section.notes.get(row.id, "Missing records")
        if isinstance(moment, date) and not isinstance(moment, datetime):
            days = (to_local(now).date() - moment).days
            return (
                note,
                f"requested {format_date(moment)} ({_days(days)} ago)" if days > 0 else "requested today",
            )
        return note, "not requested yet"
    if not isinstance(moment, datetime):
        return "", ""
    if key == SectionKey.NEW:
        return f"received {span(now - moment)} ago", day_and_time(moment, now)
    if key == SectionKey.ATTEMPT_LIMIT:
        attempts = "attempt" if row.attempt_count == 1 else "attempts"
        return f"{row.attempt_count} {attempts}", f"last {day_and_time(moment, now)}"
    if key == SectionKey.REMINDERS:
        return day_and_time(moment, now), f"appointment in {span(moment - now)}"
    if key == SectionKey.NO_SHOWS:
        what = "No-show" if row.state is State.NO_SHOW else "Appointment cancelled"
        if moment <= now:
            return what, f"follow-up late by {span(now - moment)}"
        return what, f"follow up {day_and_time(moment, now)}"
    # first contact and callbacks: due times
    if moment <= now:
        return f"late by {span(now - moment)}", f"due {day_and_time(moment, now)}"
    return f"due {day_and_time(moment, now)}", f"in {span(moment - now)}"


def span(length: timedelta) -> str:
    """A duration as the desk says it: ``5 min``, ``3 h``, ``4 days`` (never negative)."""
    minutes = max(0, int(length.total_seconds() // 60))
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return _days(hours // 24)


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def day_and_time(moment: datetime, now: datetime) -> str:
    """``today 9:30 AM``, ``tomorrow 10:00 AM``, ``yesterday 4:15 PM``, else the full date and time."""
    local, today = to_local(moment), to_local(now).date()
    words = {today: "today", today + timedelta(days=1): "tomorrow", today - timedelta(days=1): "yesterday"}
    word = words.get(local.date())
    return f"{word} {format_time(local.time())}" if word else format_datetime(moment)
