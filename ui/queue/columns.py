"""What each queue column shows: headers, display text, tooltips, raw sort values, and the missed-target
mark. Kept apart from the model so the wording can be read (and tested) without Qt's index machinery.

Dates and times use the one format of the whole UI (``ui.widgets.dates``), in the workstation's local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from refdesk.domain import lifecycle
from refdesk.domain import next_action as next_actions
from refdesk.domain.formats import referral_number
from refdesk.domain.next_action import Deadlines, Facts, missed_target
from refdesk.domain.times import to_local, utc_now
from refdesk.domain.vocab import Urgency
from refdesk.services.queue import QueueRow, SortKey
from ui.widgets.dates import format_date, format_datetime, format_time


class Column(IntEnum):
    RECEIVED = 0
    PATIENT = 1
    DOB = 2
    PHONE = 3
    PARTNER = 4
    SERVICE_LINE = 5
    URGENCY = 6
    STATE = 7
    OWNER = 8
    ATTEMPTS = 9
    NEXT_ACTION = 10


HEADERS: dict[Column, str] = {
    Column.RECEIVED: "Received",
    Column.PATIENT: "Patient",
    Column.DOB: "DOB",
    Column.PHONE: "Phone",
    Column.PARTNER: "Partner",
    Column.SERVICE_LINE: "Service line",
    Column.URGENCY: "Urgency",
    Column.STATE: "State",
    Column.OWNER: "Owner",
    Column.ATTEMPTS: "Attempts",
    Column.NEXT_ACTION: "Next action / due",
}

HEADER_TIPS: dict[Column, str] = {
    Column.RECEIVED: "How long ago the referral arrived (hover a row for the exact time)",
    Column.DOB: "Date of birth",
    Column.ATTEMPTS: "Contact attempts so far",
    Column.NEXT_ACTION: "What to do next and by when",
}

#: Every column sorts in SQL; a column missing here would not be sortable.
SORT_KEYS: dict[Column, SortKey] = {
    Column.RECEIVED: SortKey.RECEIVED,
    Column.PATIENT: SortKey.PATIENT,
    Column.DOB: SortKey.DOB,
    Column.PHONE: SortKey.PHONE,
    Column.PARTNER: SortKey.PARTNER,
    Column.SERVICE_LINE: SortKey.SERVICE_LINE,
    Column.URGENCY: SortKey.URGENCY,
    Column.STATE: SortKey.STATE,
    Column.OWNER: SortKey.OWNER,
    Column.ATTEMPTS: SortKey.ATTEMPTS,
    Column.NEXT_ACTION: SortKey.DUE,
}

#: Urgencies the table makes stand out.
PRIORITY = frozenset({Urgency.URGENT, Urgency.STAT})

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(slots=True)
class Entry:
    """A fetched row and its missed-target verdict, re-checked only once a pending target falls due (so
    painting does not recompute it for every cell)."""

    row: QueueRow
    missed: str | None
    recheck_at: datetime | None

    @classmethod
    def of(cls, row: QueueRow, now: datetime) -> Entry:
        return cls(row, *missed(row, now))

    def reason(self) -> str | None:
        if self.recheck_at is not None:
            now = utc_now()
            if now >= self.recheck_at:
                self.missed, self.recheck_at = missed(self.row, now)
        return self.missed


def age_text(received_at: datetime, now: datetime) -> str:
    """How long ago, coarse enough to read at a glance: "45 min", "3 h", "2 d", "5 w", "2 y"."""
    seconds = max(0, int((now - received_at).total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h"
    if days < 14:
        return f"{days} d"
    if days < 365:
        return f"{days // 7} w"
    return f"{days // 365} y"


def due_text(due: datetime, now: datetime) -> str:
    """When something is due, relative to today in local time; "late" once it has passed."""
    if due < now:
        return "late"
    local, today = to_local(due), to_local(now).date()
    if local.date() == today:
        return f"today {format_time(local.time())}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {format_time(local.time())}"
    if local.date() < today + timedelta(days=7):
        return f"{local:%a} {format_time(local.time())}"
    return format_date(local.date())


def next_action_text(row: QueueRow, now: datetime) -> str:
    if row.next_action is None:
        return ""
    label = next_actions.LABELS[row.next_action]
    return label if row.next_action_at is None else f"{label} · {due_text(row.next_action_at, now)}"


def missed(row: QueueRow, now: datetime) -> tuple[str | None, datetime | None]:
    """Why the row missed its service line's response target (None when it has not), and the moment a
    target still ahead falls due (when the answer may change; None when it cannot)."""
    if not lifecycle.is_open(row.state):
        return None, None
    due = Deadlines(row.ack_due_at or _FAR_FUTURE, row.first_contact_due_at or _FAR_FUTURE)
    facts = Facts(
        row.state, row.received_at, acknowledged_at=row.acknowledged_at, first_attempt_at=row.first_attempt_at
    )
    reason = missed_target(facts, due, now)
    if reason is not None:
        return reason, None
    pending = ((row.ack_due_at, row.acknowledged_at), (row.first_contact_due_at, row.first_attempt_at))
    ahead = [target for target, met in pending if target is not None and met is None]
    return None, min(ahead) if ahead else None


def display(row: QueueRow, column: Column, now: datetime) -> str:
    if column is Column.RECEIVED:
        return age_text(row.received_at, now)
    if column is Column.PATIENT:
        return row.patient_name
    if column is Column.DOB:
        return format_date(row.patient_dob)
    if column is Column.PHONE:
        return row.phone
    if column is Column.PARTNER:
        return row.partner_name
    if column is Column.SERVICE_LINE:
        return row.service_line_name
    if column is Column.URGENCY:
        return row.urgency.label
    if column is Column.STATE:
        return lifecycle.LABELS[row.state]
    if column is Column.OWNER:
        return row.owner_name or ""
    if column is Column.ATTEMPTS:
        return str(row.attempt_count)
    return next_action_text(row, now)


def tooltip(row: QueueRow, column: Column, now: datetime, reason: str | None) -> str:
    """Plain text (the model escapes it): the cell in full, then the missed-target reason if any."""
    if column is Column.RECEIVED:
        text = f"{referral_number(row.id)} received {format_datetime(row.received_at)}"
    elif column is Column.NEXT_ACTION and row.next_action is not None:
        text = next_actions.LABELS[row.next_action]
        if row.next_action_at is not None:
            late = " (late)" if row.next_action_at < now else ""
            text += f", due {format_datetime(row.next_action_at)}{late}"
    else:
        text = display(row, column, now)
    return f"{text}\n{reason}" if reason and text else reason or text


def sort_value(row: QueueRow, column: Column) -> Any:
    """The raw value behind a cell (what a small proxy or a delegate would compare)."""
    values: dict[Column, Any] = {
        Column.RECEIVED: row.received_at,
        Column.PATIENT: f"{row.patient_last_name}, {row.patient_first_name}".casefold(),
        Column.DOB: row.patient_dob,
        Column.PHONE: row.phone,
        Column.PARTNER: row.partner_name,
        Column.SERVICE_LINE: row.service_line_name,
        Column.URGENCY: row.urgency.value,
        Column.STATE: row.state.value,
        Column.OWNER: row.owner_name or "",
        Column.ATTEMPTS: row.attempt_count,
        Column.NEXT_ACTION: row.next_action_at,
    }
    return values[column]
