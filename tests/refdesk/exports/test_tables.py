"""The queue and metrics exports as a spreadsheet opens them: the queue's rows in the queue's order, no
cell that runs as a formula even when a patient's name is one, streamed page by page, a Cancel that
leaves nothing; the metrics one row per scope and period. Each export is audited."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import Channel
from refdesk.errors import OperationCancelled
from refdesk.exports import tables
from refdesk.exports.csv_safe import FORMULA_STARTS
from refdesk.exports.tables import QUEUE_COLUMNS, export_metrics, export_queue
from refdesk.services.actor import Actor
from refdesk.services.metrics import Figures, Funnel, PartnerFigures, Period, Report, Timing
from refdesk.services.queue import QueueFilter
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.services.workflow import close
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows

HOSTILE = [
    ('=HYPERLINK("http://evil","Click")', "Nguyễn"),
    ("@SUM(1)", "-Ольга"),
    ("+Łukasz", "<b>&amp;"),
    ("Zoë", "Tab\tName"),
]


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


@pytest.fixture
def referrals(db: Database, actor: Actor, new_referral: NewReferral) -> list[int]:
    """Four open referrals with hostile names, received an hour apart (oldest first), and a closed one."""
    start = utc_now() - timedelta(days=2)
    ids = [
        create_referral(
            db,
            actor,
            replace(
                new_referral,
                patient_first_name=first,
                patient_last_name=last,
                received_at=start + n * timedelta(hours=1),
            ),
        )
        for n, (first, last) in enumerate(HOSTILE)
    ]
    closed = create_referral(db, actor, replace(new_referral, patient_first_name="Closed", received_at=start))
    close(db, actor, closed, CloseReason.DUPLICATE_REFERRAL)
    return ids


def test_the_queue_export_lists_the_queue_in_its_order_and_runs_no_formula(
    db: Database, actor: Actor, referrals: list[int], out: Path
) -> None:
    target = out / "queue.csv"

    assert export_queue(db, actor, QueueFilter(), target) == 4

    rows = read(target)
    assert rows[0] == list(QUEUE_COLUMNS)
    assert [row[0] for row in rows[1:]] == [f"R-{rid:06d}" for rid in reversed(referrals)]  # newest first
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
    by_number = {row[0]: row for row in rows[1:]}
    first = by_number[f"R-{referrals[0]:06d}"]
    assert first[2:4] == ["Nguyễn", '\'=HYPERLINK("http://evil","Click")']
    assert by_number[f"R-{referrals[1]:06d}"][2:4] == ["'-Ольга", "'@SUM(1)"]
    assert by_number[f"R-{referrals[2]:06d}"][2:4] == ["<b>&amp;", "'+Łukasz"]
    assert first[4] == "1958-04-02" and first[6] == "Oak Street Primary Care" and first[9] == "Received"
    [audit] = audit_rows(db, "export.queue")
    assert audit.success and audit.detail is not None and audit.detail["rows"] == 4
    assert audit.detail["file_name"] == "queue.csv" and audit.detail["filter"]["search"] is False


def test_the_queue_streams_by_pages_and_reports_progress(
    db: Database, actor: Actor, referrals: list[int], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "PAGE_ROWS", 3)
    pages: list[int] = []
    real = tables.rows_by_id

    def counted(database: Database, ids: list[int]) -> object:
        pages.append(len(ids))
        return real(database, ids)

    monkeypatch.setattr(tables, "rows_by_id", counted)
    seen: list[tuple[int, int]] = []
    everything = QueueFilter(states=frozenset(State))

    assert (
        export_queue(db, actor, everything, out / "all.csv", progress=lambda d, t: seen.append((d, t))) == 5
    )

    assert pages == [3, 2] and seen == [(3, 5), (5, 5)]


def test_cancel_leaves_no_file_and_keeps_an_old_one(
    db: Database, actor: Actor, referrals: list[int], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "PAGE_ROWS", 1)
    target = out / "queue.csv"
    target.write_text("last week's export")
    asked: list[int] = []

    def stop_after_two_pages() -> bool:
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(OperationCancelled):
        export_queue(db, actor, QueueFilter(), target, should_stop=stop_after_two_pages)

    assert target.read_text() == "last week's export"
    assert [p.name for p in out.iterdir()] == ["queue.csv"]
    assert [(a.success, (a.detail or {}).get("error")) for a in audit_rows(db, "export.queue")] == [
        (False, "Cancelled: nothing was exported.")
    ]


def figures(received: int, month: date, line: str) -> Figures:
    return Figures(
        received=received,
        by_month=((month, received),),
        by_service_line=((line, received),),
        by_channel=((Channel.FAX, received),),
        acknowledgement=Timing(measured=received, median_hours=2.25, p90_hours=7.0, within_target=0.75),
        first_contact=Timing(measured=received - 1, median_hours=10.0, within_target=0.5, pending=1),
        funnel=Funnel(received=received, contacted=3, reached=2, scheduled=2, completed=1),
        median_days_to_appointment=6.5,
        no_show_rate=0.0,
        reschedule_rate=None,
        close_reasons=((CloseReason.NO_RESPONSE, 1),),
    )


def test_the_metrics_export_has_a_row_per_scope_and_period(db: Database, actor: Actor, out: Path) -> None:
    period = Period(date(2024, 5, 1), date(2024, 5, 31))
    current = figures(4, date(2024, 5, 1), "=cmd|' /C calc'!A0")
    previous = figures(2, date(2024, 4, 1), "Physical therapy")
    report = Report(
        period, current, previous, (PartnerFigures(7, "-Minus Clinic & <Co>", current, previous),)
    )
    target = out / "metrics.csv"

    assert export_metrics(db, actor, report, target) == 4

    header, *rows = read(target)
    column = {name: index for index, name in enumerate(header)}
    assert "Service line: =cmd|' /C calc'!A0" in column  # inside a cell a formula is only text
    assert [row[column["Scope"]] for row in rows] == ["Program", "Program", "Partner", "Partner"]
    assert [row[column["Period"]] for row in rows] == ["current", "previous"] * 2
    program = rows[0]
    assert program[column["From"]] == "2024-05-01" and program[column["To"]] == "2024-05-31"
    assert rows[1][column["From"]] == "2024-03-31" and rows[1][column["To"]] == "2024-04-30"
    assert program[column["Received"]] == "4" and program[column["Completed %"]] == "25.0"
    assert program[column["Acknowledgement: median hours"]] == "2.2"
    assert program[column["Acknowledgement: within target %"]] == "75.0"
    assert program[column["First contact: pending"]] == "1"
    assert program[column["Reschedule %"]] == "" and program[column["No-show %"]] == "0.0"
    assert program[column["Closed: No response after attempts"]] == "1"
    assert program[column["Channel: Fax"]] == "4" and program[column["Channel: Phone"]] == "0"
    assert program[column["Received 2024-05"]] == "4" and program[column["Received 2024-04"]] == ""
    assert rows[2][column["Partner"]] == "'-Minus Clinic & <Co>" and rows[2][column["Partner ID"]] == "7"
    for row in [header, *rows]:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row)
    [audit] = audit_rows(db, "export.metrics")
    assert audit.success and audit.detail is not None and audit.detail["rows"] == 4
