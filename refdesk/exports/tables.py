"""CSV exports of the queue and of the metrics, for a spreadsheet.

The queue export lists what the queue shows for a filter, in its order, through the queue service
itself (``matching_ids`` then ``rows_by_id`` page by page), so the file and the screen never disagree,
and a million rows stream through a few hundred at a time. The metrics export writes one row per scope
(the program, each partner) and period (this one and the previous of equal length), one column per
figure, so a coordinator can sort, filter and chart it.

Both write through ``SafeCsv`` (no cell can start a formula, UTF-8 with BOM, whole file or none) and
audit one row, after the file is in place; a failure or Cancel is audited too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import exc

from refdesk.domain.formats import referral_number
from refdesk.domain.lifecycle import CLOSE_REASONS, LABELS, CloseReason
from refdesk.domain.next_action import LABELS as ACTION_LABELS
from refdesk.domain.times import to_local
from refdesk.domain.vocab import Channel
from refdesk.exports.csv_safe import SafeCsv
from refdesk.exports.trail import Steps, failures_audited
from refdesk.reports.atomic import taken_back_on_failure
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.metrics import Figures, Report, Timing
from refdesk.services.queue import QueueFilter, QueueRow, QueueSort, matching_ids, rows_by_id
from refdesk.storage import Database

#: Rows fetched per query while streaming the queue (primary-key lookups; memory stays flat).
PAGE_ROWS = 500
CANCELLED = "Cancelled: nothing was exported."

QUEUE_COLUMNS = (
    "Referral",
    "Received",
    "Patient last name",
    "Patient first name",
    "Date of birth",
    "Phone",
    "Partner",
    "Service line",
    "Urgency",
    "State",
    "Owner",
    "Attempts",
    "Next action",
    "Next action due",
    "Acknowledged",
    "First attempt",
    "Acknowledgement due",
    "First contact due",
)


def _when(moment: datetime | None) -> str:
    """Local time as a spreadsheet parses it: ``2024-05-15 14:30`` (formatted by hand: ``strftime`` was
    a third of the time of a large export)."""
    if moment is None:
        return ""
    local = to_local(moment)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def _day(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def queue_cells(row: QueueRow) -> list[object]:
    """One queue row as the export's cells (in ``QUEUE_COLUMNS`` order)."""
    return [
        referral_number(row.id),
        _when(row.received_at),
        row.patient_last_name,
        row.patient_first_name,
        _day(row.patient_dob),
        row.phone,
        row.partner_name,
        row.service_line_name,
        row.urgency.label,
        LABELS[row.state],
        row.owner_name or "",
        row.attempt_count,
        ACTION_LABELS[row.next_action] if row.next_action is not None else "",
        _when(row.next_action_at),
        _when(row.acknowledged_at),
        _when(row.first_attempt_at),
        _when(row.ack_due_at),
        _when(row.first_contact_due_at),
    ]


def export_queue(
    db: Database,
    actor: Actor,
    flt: QueueFilter,
    target: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    sort: QueueSort | None = None,
) -> int:
    """Write the referrals ``flt`` matches, in ``sort``'s order (the queue's default: newest first), to
    the CSV ``target``; returns the rows written (the header not counted).

    ``progress(done, total)`` after each page; ``should_stop()`` true stops within a page with
    ``OperationCancelled`` and leaves no file. A referral deleted while the export runs is skipped.

    Raises:
        OperationCancelled: ``should_stop()`` became true.
        ExportError: the file could not be written.
    """
    order = sort or QueueSort()
    steps = Steps(progress, should_stop, CANCELLED)
    with failures_audited(db, actor, "export.queue", "referral"), SafeCsv(target) as out:
        try:
            ids = matching_ids(db, flt, order, should_stop=should_stop)
        except exc.OperationalError:  # SQLite interrupted by should_stop
            steps.check()
            raise
        total = len(ids)
        out.row(QUEUE_COLUMNS)
        for start in range(0, total, PAGE_ROWS):
            steps.check()
            page = ids[start : start + PAGE_ROWS]
            rows = rows_by_id(db, page)
            for referral_id in page:
                row = rows.get(referral_id)
                if row is not None:
                    out.row(queue_cells(row))
            if progress is not None:
                progress(min(start + PAGE_ROWS, total), total)
        steps.check()
        written = out.rows - 1
        _publish(db, actor, "export.queue", "referral", out, {"rows": written, "filter": _describe(flt)})
    return written


def _publish(
    db: Database, actor: Actor, action: str, entity: str, out: SafeCsv, detail: dict[str, Any]
) -> None:
    """Put the file in place and audit it in one transaction: when the commit fails after the file went
    in place, the file is taken back (what is on disk matches the log)."""
    with taken_back_on_failure() as placed, audited(db, actor, action, entity) as scope:
        scope.detail.update({"file_name": out.publish(), **detail})
        placed.append(out.target)


def _describe(flt: QueueFilter) -> dict[str, object]:
    """The filter as the audit keeps it: which sets were narrowed, never the search words (they may be a
    patient's name)."""
    return {
        "states": sorted(state.value for state in flt.states),
        "partners": len(flt.partner_ids),
        "service_lines": len(flt.service_line_ids),
        "owners": len(flt.owner_ids),
        "overdue_only": flt.overdue_only,
        "received_from": _day(flt.received_from),
        "received_to": _day(flt.received_to),
        "search": bool(flt.search.strip()),
    }


# -- metrics -----------------------------------------------------------------------------------------


def _percent(share: float | None) -> object:
    return "" if share is None else round(share * 100, 1)


def _number(value: float | None) -> object:
    return "" if value is None else round(value, 1)


def _timing(timing: Timing) -> list[object]:
    return [
        timing.measured,
        _number(timing.median_hours),
        _number(timing.p90_hours),
        _percent(timing.within_target),
        timing.pending,
    ]


def _timing_columns(what: str) -> list[str]:
    return [
        f"{what}: measured",
        f"{what}: median hours",
        f"{what}: 90th percentile hours",
        f"{what}: within target %",
        f"{what}: pending",
    ]


_FIXED_COLUMNS = [
    "Scope",
    "Partner ID",
    "Partner",
    "Period",
    "From",
    "To",
    "Received",
    "Contacted",
    "Reached",
    "Scheduled",
    "Completed",
    "Reached %",
    "Scheduled %",
    "Completed %",
    *_timing_columns("Acknowledgement"),
    *_timing_columns("First contact"),
    "Median days to appointment",
    "No-show %",
    "Reschedule %",
]


def _scopes(report: Report) -> Iterator[tuple[str, int | None, str, str, date, date, Figures]]:
    previous = report.period.previous()
    now, then = report.period, previous
    yield "Program", None, "All partners", "current", now.start, now.end, report.program
    yield "Program", None, "All partners", "previous", then.start, then.end, report.program_previous
    for partner in report.partners:
        name = partner.partner_name
        yield "Partner", partner.partner_id, name, "current", now.start, now.end, partner.current
        yield "Partner", partner.partner_id, name, "previous", then.start, then.end, partner.previous


def metrics_table(report: Report) -> tuple[list[str], list[list[object]]]:
    """The metrics export's header and rows: fixed figures, then one column per close reason, channel,
    service line and month that occurs anywhere in ``report`` (zero where a scope has none)."""
    scopes = list(_scopes(report))
    lines = sorted({name for *_rest, f in scopes for name, _n in f.by_service_line}, key=str.casefold)
    months = sorted({month for *_rest, f in scopes for month, _n in f.by_month})
    reasons: Sequence[CloseReason] = list(CloseReason)
    channels: Sequence[Channel] = list(Channel)
    header = [
        *_FIXED_COLUMNS,
        *(f"Closed: {CLOSE_REASONS[reason].label}" for reason in reasons),
        *(f"Channel: {channel.label}" for channel in channels),
        *(f"Service line: {name}" for name in lines),
        *(f"Received {month:%Y-%m}" for month in months),
    ]
    rows: list[list[object]] = []
    for scope, partner_id, name, which, start, end, figures in scopes:
        funnel = figures.funnel
        closed = dict(figures.close_reasons)
        by_channel = dict(figures.by_channel)
        by_line = dict(figures.by_service_line)
        by_month = dict(figures.by_month)
        rows.append(
            [
                scope,
                partner_id if partner_id is not None else "",
                name,
                which,
                start.isoformat(),
                end.isoformat(),
                figures.received,
                funnel.contacted,
                funnel.reached,
                funnel.scheduled,
                funnel.completed,
                _percent(funnel.share(funnel.reached)),
                _percent(funnel.share(funnel.scheduled)),
                _percent(funnel.share(funnel.completed)),
                *_timing(figures.acknowledgement),
                *_timing(figures.first_contact),
                _number(figures.median_days_to_appointment),
                _percent(figures.no_show_rate),
                _percent(figures.reschedule_rate),
                *(closed.get(reason, 0) for reason in reasons),
                *(by_channel.get(channel, 0) for channel in channels),
                *(by_line.get(line, 0) for line in lines),
                *(by_month.get(month, "") for month in months),
            ]
        )
    return header, rows


def export_metrics(db: Database, actor: Actor, report: Report, target: Path) -> int:
    """Write ``report`` (from ``metrics.compute``) to the CSV ``target``; returns the rows written.

    Raises:
        ExportError: the file could not be written.
    """
    with failures_audited(db, actor, "export.metrics", "partner"), SafeCsv(target) as out:
        header, rows = metrics_table(report)
        out.row(header)
        for row in rows:
            out.row(row)
        detail = {
            "rows": len(rows),
            "period_start": report.period.start.isoformat(),
            "period_end": report.period.end.isoformat(),
            "partners": len(report.partners),
        }
        _publish(db, actor, "export.metrics", "partner", out, detail)
    return len(rows)
