"""The partner summary as a coordinator reads it: the program overview, then a page per partner with its
figures; partner names exactly as typed; changes against the previous period in plain marks; and, from
the real metrics, a file written whole, audited, with progress and a Cancel that writes nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.vocab import Channel
from refdesk.errors import OperationCancelled, RefDeskError
from refdesk.reports.letterhead import Letterhead
from refdesk.reports.summary import (
    SummaryDocument,
    build_summary,
    count_change,
    duration,
    share_change,
    write_summary,
)
from refdesk.services.actor import Actor
from refdesk.services.metrics import Figures, Funnel, PartnerFigures, Period, Report, Timing
from refdesk.storage import Database
from tests.refdesk.reports.clinic_data import OTHER_PARTNER, Month
from tests.refdesk.services.helpers import audit_rows

MAY = Period(date(2024, 5, 1), date(2024, 5, 31))
HEAD = Letterhead("Riverside Clinic", ("12 River Road",), "(555) 201-0000", "(555) 201-0001")
NAMES = ["Zoë Nguyễn Family Practice", "Łukasz <b>&amp; Partners", "Ольга & <i>Co</i>"]


def figures(received: int, *, completed: int = 0, months: tuple[int, ...] = (4, 5)) -> Figures:
    return Figures(
        received=received,
        by_month=tuple((date(2024, month, 1), received // len(months)) for month in months),
        by_service_line=(("Physical therapy <PT>", received),) if received else (),
        by_channel=((Channel.FAX, received),) if received else (),
        acknowledgement=Timing(measured=received, median_hours=0.75, p90_hours=5.5, within_target=0.9),
        first_contact=Timing(measured=received, median_hours=30.0, p90_hours=60.0, within_target=0.8,
                             pending=2),
        funnel=Funnel(received=received, contacted=received, reached=received // 2, scheduled=received // 2,
                      completed=completed),
        median_days_to_appointment=12.0 if received else None,
        no_show_rate=0.1 if received else None,
        close_reasons=((CloseReason.NO_RESPONSE, 3), (CloseReason.OUT_OF_NETWORK, 1)) if received else (),
    )  # fmt: skip


def report() -> Report:
    partners = (
        PartnerFigures(1, NAMES[0], figures(40, completed=10), figures(20, completed=5)),
        PartnerFigures(2, NAMES[1], figures(12, completed=3), figures(12, completed=6)),
        PartnerFigures(3, NAMES[2], figures(0), figures(7)),
    )
    return Report(MAY, figures(52, completed=13), figures(39, completed=11), partners)


def pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_an_overview_then_a_page_per_partner_with_names_as_typed() -> None:
    document = SummaryDocument(
        HEAD, report(), {"Physical therapy <PT>": (8, 16)}, datetime(2024, 6, 3, tzinfo=UTC)
    )

    texts = pages(build_summary(document))

    assert len(texts) == 4
    overview, *partner_pages = texts
    assert "Partner summary: the program" in overview
    assert "May 2024 · compared with March 31, 2024 – April 30, 2024 · 3 partners" in overview
    assert "52 referrals received ▲ 33% vs previous" in overview
    for name in NAMES:
        assert name in overview
    assert f"Stopped referring (referred in the previous period, not in this one): {NAMES[2]}" in overview
    for name, text in zip(NAMES, partner_pages, strict=True):
        assert text.startswith(f"Riverside Clinic Partner summary · May 2024 {name} May 2024")
    first = partner_pages[0]
    assert "40 referrals received ▲ 100% vs previous" in first
    assert "40 (100%)" in first and "10 (25%)" in first  # the funnel's bars
    assert "Acknowledgement 40 45 min 5.5 h 90% 0" in first
    assert "First contact attempt 40 30.0 h 2.5 days 80% 2" in first
    assert "acknowledgement 8, first contact 16" in first
    assert "No response after attempts 3 75%" in first
    assert "Physical therapy <PT> 40 100%" in first and "Fax 40 100%" in first
    assert "Seen (first visit) 25% 25% ±0 pts" in first
    assert "Page 2 of 4" in first
    assert "No referral of the period was closed without a visit." in partner_pages[2]


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(12, 10, "▲ 20%"), (8, 10, "▼ 20%"), (10, 10, "±0%"), (3, 0, "new"), (0, 0, "—")],
)
def test_a_count_changes_by_a_share(current: int, previous: int, expected: str) -> None:
    assert count_change(current, previous) == expected


def test_shares_change_in_points_and_durations_read_in_their_unit() -> None:
    assert [
        share_change(0.5, 0.4),
        share_change(0.39, 0.4),
        share_change(0.4, 0.4),
        share_change(None, 0.4),
    ] == [
        "▲ 10 pts",
        "▼ 1 pt",
        "±0 pts",
        "—",
    ]
    assert [duration(0.25), duration(5.5), duration(72), duration(None)] == [
        "15 min",
        "5.5 h",
        "3.0 days",
        "—",
    ]


# -- from the real metrics ---------------------------------------------------------------------------


def test_the_summary_of_a_month_is_written_and_audited(
    db: Database, actor: Actor, month: Month, out: Path
) -> None:
    target = out / "summary.pdf"
    seen: list[tuple[int, int]] = []

    assert (
        write_summary(db, actor, month.period, None, target, progress=lambda d, t: seen.append((d, t)))
        == target
    )

    texts = pages(target.read_bytes())
    overview = " ".join(
        text for text in texts if "Partner summary: the program" in text or "Partners, by" in text
    )
    assert "6 referrals received" in overview
    assert "Oak Street Primary Care" in overview and OTHER_PARTNER in overview
    oak = texts[1]  # partners by name: Latin before Cyrillic
    assert "Oak Street Primary Care" in oak and OTHER_PARTNER not in oak
    assert "5 referrals received none in the previous period" in oak
    assert "5 (100%)" in oak and "1 (20%)" in oak  # the funnel's received and first-visit bars
    assert "No response after attempts 1 50%" in oak and "Out of network 1 50%" in oak
    assert "Physical therapy 5 100%" in oak and "Fax 5 100%" in oak
    assert seen[0] == (1, 3) and seen[-1] == (3, 3)
    [audit] = audit_rows(db, "report.summary")
    assert audit.success and audit.detail is not None and audit.detail["partners"] == 2


def test_cancel_writes_nothing_and_is_audited(db: Database, actor: Actor, month: Month, out: Path) -> None:
    asked: list[int] = []

    def stop_on_the_first_partner_page() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(OperationCancelled):
        write_summary(
            db,
            actor,
            month.period,
            [month.partner_id],
            out / "s.pdf",
            should_stop=stop_on_the_first_partner_page,
        )
    assert list(out.iterdir()) == []
    assert [a.success for a in audit_rows(db, "report.summary")] == [False]


def test_no_summary_without_the_clinics_name(db: Database, actor: Actor, partner_id: int, out: Path) -> None:
    with pytest.raises(RefDeskError, match="clinic's name"):
        write_summary(db, actor, MAY, None, out / "s.pdf")
    assert list(out.iterdir()) == []
