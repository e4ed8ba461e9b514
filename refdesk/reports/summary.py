"""The partner summary: the coordinator's report of a period, for the program and for each partner.

A program overview first (the key figures against the previous period of equal length, the funnel,
the monthly volume, every partner in one table, the partners who stopped referring, why referrals did
not convert), then one page per partner: its key figures, funnel, monthly volume, timings against the
service lines' targets, the trend beside the previous period, why its referrals did not convert, and
its mix of service lines and channels.

The figures all come from ``services.metrics.compute`` (one definition of every metric, shared with the
Reports tab and the CSV export). ``build_summary`` turns them into PDF bytes (pure: tests build it from
hand-made figures); ``write_summary`` computes, renders off the GUI thread with progress and Cancel,
writes the file atomically and audits it. No patient appears in it: figures only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from refdesk.domain.models import ServiceLine
from refdesk.domain.times import to_local, utc_now
from refdesk.exports.trail import Steps, failures_audited
from refdesk.reports.atomic import taken_back_on_failure, write_atomic
from refdesk.reports.base import (
    PageSize,
    require_clinic_name,
)
from refdesk.reports.summary_data import (
    DASH as DASH,
)
from refdesk.reports.summary_data import (
    TITLE as TITLE,
)
from refdesk.reports.summary_data import (
    SummaryDocument as SummaryDocument,
)
from refdesk.reports.summary_data import (
    Targets as Targets,
)
from refdesk.reports.summary_data import (
    count_change as count_change,
)
from refdesk.reports.summary_data import (
    days as days,
)
from refdesk.reports.summary_data import (
    duration as duration,
)
from refdesk.reports.summary_data import (
    percent as percent,
)
from refdesk.reports.summary_data import (
    share_change as share_change,
)
from refdesk.reports.summary_data import (
    value_change as value_change,
)
from refdesk.reports.summary_layout import build_summary as build_summary
from refdesk.services import metrics, settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.metrics import Period
from refdesk.storage import Database

ACTION = "report.summary"
CANCELLED = "Cancelled: no summary was written."


# -- the desk's action -------------------------------------------------------------------------------


def _targets(db: Database) -> dict[str, tuple[int, int]]:
    with db.session() as session:
        rows = session.execute(
            select(ServiceLine.name, ServiceLine.ack_target_hours, ServiceLine.first_contact_target_hours)
        )
        return {name: (ack, first) for name, ack, first in rows}


def write_summary(
    db: Database,
    actor: Actor,
    period: Period,
    partner_ids: Collection[int] | None,
    target: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    page_size: PageSize = PageSize.LETTER,
    now: datetime | None = None,
) -> Path:
    """Compute the period's figures for ``partner_ids`` (None: every partner ``compute`` reports on) and
    write the summary PDF to ``target`` atomically; one audit row either way.

    ``progress(done, total)`` counts the figures (1) and each partner's page; ``should_stop()`` true
    stops with ``OperationCancelled`` and writes nothing. The long work runs outside any write
    transaction; the file is written with its audit row.

    Raises:
        RefDeskError: no clinic name on the letterhead (the report carries it).
        ValidationError: the period ends before it starts.
        NotFoundError: a partner id names no partner.
        OperationCancelled: ``should_stop()`` became true.
        ExportError: the file could not be written.
    """
    moment = now or utc_now()
    target = Path(target)
    with failures_audited(db, actor, ACTION, "partner"):
        head = settings.letterhead(db)
        require_clinic_name(head, "Reports need")
        report = metrics.compute(db, period, partner_ids, should_stop=should_stop)
        total = len(report.partners) + 1
        if progress is not None:
            progress(1, total)

        steps = Steps(progress, should_stop, CANCELLED)
        document = SummaryDocument(head, report, _targets(db), moment, page_size)
        pdf = build_summary(document, on_partner=lambda index: steps.step(index + 1, total))
        steps.check()
    # The file on disk must match the log: when the commit fails after the write, it is taken back.
    with taken_back_on_failure() as placed, audited(db, actor, ACTION, "partner") as scope:
        digest = write_atomic(target, pdf)
        placed.append(target)
        if len(report.partners) == 1:
            scope.entity_id = report.partners[0].partner_id
        scope.detail.update(
            {
                "file_name": target.name,
                "sha256": digest,
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "partners": len(report.partners),
                "generated_on": to_local(moment).date().isoformat(),
            }
        )
    if progress is not None:
        progress(total, total)
    return target
