"""The partner summary's page layout: the program overview, one page per partner, and ``build_summary``
which renders them as PDF bytes."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    Spacer,
)

from refdesk.reports.base import (
    Checkpoint,
    DocumentInfo,
    Layout,
    Listing,
    content_width,
    markup,
    period_text,
    render,
    side_by_side,
    styles,
)
from refdesk.reports.summary_data import TITLE, SummaryDocument, count_change, days, percent
from refdesk.reports.summary_pieces import (
    _cards,
    _charts,
    _close_reasons,
    _Look,
    _look,
    _mix,
    _timings,
    _trend,
)
from refdesk.services.metrics import Report

#: The gap between two side-by-side blocks, and the trend table's share of a row it shares.
_GAP = 16.0
_TREND_SHARE = 0.56


# -- the pages ---------------------------------------------------------------------------------------


def _period_line(report: Report) -> str:
    period, before = report.period, report.period.previous()
    return f"{period_text(period.start, period.end)} · compared with {period_text(before.start, before.end)}"


def _overview(document: SummaryDocument, look: _Look, width: float) -> list[Flowable]:
    report = document.report
    partners = report.partners
    story: list[Flowable] = [
        Paragraph("Partner summary: the program", look.title),
        Paragraph(
            markup(f"{_period_line(report)} · {len(partners):,} partner{'s' if len(partners) != 1 else ''}"),
            look.subtitle,
        ),
        Spacer(1, 8),
        _cards(report.program, report.program_previous, look, width),
        Spacer(1, 10),
        _charts(report.program, look, width),
    ]
    story += _timings(report.program, document.targets, look, width)
    story.append(
        side_by_side(
            (_trend(report.program, report.program_previous, look, _TREND_SHARE * (width - _GAP))),
            (_close_reasons(report.program, look, (1 - _TREND_SHARE) * (width - _GAP), limit=8)),
            width,
            split=_TREND_SHARE,
        )
    )
    story.append(CondPageBreak(120))
    story.append(Paragraph("Partners, by referrals received", look.heading))
    story.append(_partner_table(document, look))
    lapsed = [p.partner_name for p in partners if p.current.received == 0 and p.previous.received > 0]
    if lapsed:
        story.append(Spacer(1, 6))
        story.append(
            Paragraph(
                "<b>Stopped referring</b> (referred in the previous period, not in this one): "
                + ", ".join(markup(name) for name in sorted(lapsed, key=str.casefold)),
                look.body,
            )
        )
    return story


_PARTNER_COLUMNS = (
    ("Partner", 0.24),
    ("Received", 0.09),
    ("Change", 0.08),
    ("Reached", 0.09),
    ("Scheduled", 0.11),
    ("Seen", 0.07),
    ("Ack. on time", 0.1),
    ("1st contact on time", 0.12),
    ("Wait", 0.1),
)


def _partner_table(document: SummaryDocument, look: _Look) -> Listing:
    text = look.cell
    ordered = sorted(document.report.partners, key=lambda p: (-p.current.received, p.partner_name.casefold()))
    rows = []
    for partner in ordered:
        current, previous = partner.current, partner.previous
        funnel = current.funnel
        rows.append(
            [
                [(partner.partner_name, text)],
                [(f"{current.received:,}", text)],
                [(count_change(current.received, previous.received), text)],
                [(percent(funnel.share(funnel.reached)), text)],
                [(percent(funnel.share(funnel.scheduled)), text)],
                [(percent(funnel.share(funnel.completed)), text)],
                [(percent(current.acknowledgement.within_target), text)],
                [(percent(current.first_contact.within_target), text)],
                [(days(current.median_days_to_appointment), text)],
            ]
        )
    return Listing(_PARTNER_COLUMNS, rows, look.listing, right_aligned=range(1, len(_PARTNER_COLUMNS)))


def _partner_page(document: SummaryDocument, index: int, look: _Look, width: float) -> list[Flowable]:
    partner = document.report.partners[index]
    current, previous = partner.current, partner.previous
    story: list[Flowable] = [
        Paragraph(markup(partner.partner_name), look.title),
        Paragraph(markup(_period_line(document.report)), look.subtitle),
        Spacer(1, 8),
        _cards(current, previous, look, width),
        Spacer(1, 10),
        _charts(current, look, width),
    ]
    story += _timings(current, document.targets, look, width)
    story.append(
        side_by_side(
            (_trend(current, previous, look, _TREND_SHARE * (width - _GAP))),
            (_close_reasons(current, look, (1 - _TREND_SHARE) * (width - _GAP))),
            width,
            split=_TREND_SHARE,
        )
    )
    story.append(Spacer(1, 4))
    story.append(_mix(current, look, width))
    return story


def build_summary(document: SummaryDocument, *, on_partner: Callable[[int], None] | None = None) -> bytes:
    """The summary as PDF bytes: the overview, then a page per partner (a partner's page that does not
    fit runs on). ``on_partner(index)`` is called as layout reaches each partner's page; it may stop the
    build by raising ``OperationCancelled``."""
    look = _look(styles())
    period = document.report.period
    info = DocumentInfo(
        title=TITLE,
        letterhead=document.letterhead,
        generated_at=document.generated_at,
        layout=Layout.REPORT,
        page_size=document.page_size,
        reference=period_text(period.start, period.end),
        subject=f"Partner summary, {period_text(period.start, period.end)}",
    )
    width = content_width(info)
    story = _overview(document, look, width)
    for index in range(len(document.report.partners)):
        story.append(PageBreak())
        if on_partner is not None:
            story.append(Checkpoint(lambda index=index: on_partner(index)))  # type: ignore[misc]
        story += _partner_page(document, index, look, width)
    return render(info, story)
