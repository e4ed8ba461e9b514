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

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import select

from refdesk.domain.lifecycle import CLOSE_REASONS, CloseReason
from refdesk.domain.models import ServiceLine
from refdesk.domain.times import to_local, utc_now
from refdesk.exports.trail import Steps, failures_audited
from refdesk.reports.atomic import taken_back_on_failure, write_atomic
from refdesk.reports.base import (
    Checkpoint,
    DocumentInfo,
    Layout,
    Listing,
    ListingLook,
    PageSize,
    Styles,
    TextCell,
    content_width,
    markup,
    period_text,
    render,
    require_clinic_name,
    side_by_side,
    styles,
)
from refdesk.reports.charts import funnel_chart, monthly_chart
from refdesk.reports.fonts import register_fonts
from refdesk.reports.letterhead import ACCENT, HEAD_FILL, MUTED, RULE, Letterhead
from refdesk.services import metrics, settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.metrics import Figures, Period, Report, Timing, change
from refdesk.storage import Database

TITLE = "Partner summary"
ACTION = "report.summary"
CANCELLED = "Cancelled: no summary was written."
DASH = "—"
#: The gap between two side-by-side blocks, and the trend table's share of a row it shares.
_GAP = 16.0
_TREND_SHARE = 0.56

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


# -- styles ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Look:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_note: ParagraphStyle
    big: ParagraphStyle
    card_label: ParagraphStyle
    listing: ListingLook


def _look(style: Styles) -> _Look:
    family = register_fonts()
    cell = ParagraphStyle("SummaryCell", parent=style.cell, fontSize=8.5, leading=11)
    head = ParagraphStyle("SummaryHead", parent=cell, fontName=family.bold)
    return _Look(
        title=ParagraphStyle("SummaryTitle", parent=style.title, fontSize=16, leading=20, spaceAfter=1),
        subtitle=ParagraphStyle("SummarySubtitle", parent=style.body, fontSize=9, leading=12,
                                textColor=MUTED),
        heading=ParagraphStyle(
            "SummaryHeading", parent=style.heading, fontSize=10, leading=13, spaceBefore=7, spaceAfter=3,
            textColor=ACCENT,
        ),
        body=ParagraphStyle("SummaryBody", parent=style.body, fontSize=9, leading=12.5, spaceAfter=4),
        small=ParagraphStyle("SummarySmall", parent=style.small, fontSize=7.5, leading=9.5),
        cell=cell,
        cell_bold=head,
        cell_note=ParagraphStyle("SummaryNote", parent=cell, fontSize=7.5, leading=9.5, textColor=MUTED),
        big=ParagraphStyle("SummaryBig", parent=cell, fontName=family.bold, fontSize=15, leading=18,
                           textColor=ACCENT),
        card_label=ParagraphStyle("SummaryCardLabel", parent=cell, fontSize=7.5, leading=9.5,
                                  textColor=MUTED),
        listing=ListingLook(head=head, padding=3.5, top_padding=3),
    )  # fmt: skip


def _table_style(*extra: tuple[object, ...], header: bool = True) -> TableStyle:
    family = register_fonts()
    commands: list[tuple[object, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), family.regular),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("LEADING", (0, 0), (-1, -1), 11),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 1 if header else 0), (-1, -1), 0.3, RULE),
    ]
    if header:
        commands += [
            ("FONTNAME", (0, 0), (-1, 0), family.bold),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
        ]
    return TableStyle([*commands, *extra])


def _grid(
    rows: Sequence[Sequence[str]], widths: Sequence[float], first: ParagraphStyle, *extra: tuple[object, ...]
) -> Table:
    """A small table of plain strings (drawn as typed, never markup): the first column wraps (names,
    reasons), the others are numbers, right-aligned; the first row is the header."""
    data: list[list[object]] = [list(rows[0])]
    data += [[TextCell((row[0], first)), *row[1:]] for row in rows[1:]]
    table = Table(data, colWidths=list(widths), hAlign="LEFT")
    table.setStyle(_table_style(*extra))
    return table


# -- the pieces --------------------------------------------------------------------------------------


def _cards(current: Figures, previous: Figures, look: _Look, width: float) -> Table:
    """The five figures a coordinator looks at first, each with its change."""
    funnel, before = current.funnel, previous.funnel
    items = [
        (f"{current.received:,}", "referrals received", count_change(current.received, previous.received)),
        (
            percent(funnel.share(funnel.completed)),
            "seen for a first visit",
            share_change(funnel.share(funnel.completed), before.share(before.completed)),
        ),
        (
            percent(current.acknowledgement.within_target),
            "acknowledged on time",
            share_change(current.acknowledgement.within_target, previous.acknowledgement.within_target),
        ),
        (
            percent(current.first_contact.within_target),
            "first contact on time",
            share_change(current.first_contact.within_target, previous.first_contact.within_target),
        ),
        (
            days(current.median_days_to_appointment),
            "median wait, first visit",
            value_change(current.median_days_to_appointment, previous.median_days_to_appointment, days),
        ),
    ]
    cells = [
        [
            Paragraph(markup(value), look.big),
            Paragraph(markup(label), look.card_label),
            Paragraph(markup(_against(moved)), look.cell_note),
        ]
        for value, label, moved in items
    ]
    gap = 6
    table = Table([cells], colWidths=[(width + gap) / len(cells)] * len(cells), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), gap),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LINEBEFORE", (0, 0), (-1, -1), 2, ACCENT),
            ]
        )
    )
    return table


def _against(moved: str) -> str:
    """A card's last line: the change and what it is against."""
    if moved == DASH:
        return "nothing to compare with"
    if moved == "new":
        return "none in the previous period"
    return f"{moved} vs previous"


def _charts(current: Figures, look: _Look, width: float) -> Table:
    gap = 16
    half = (width - gap) / 2
    return side_by_side(
        [funnel_chart(current.funnel, half, 106)],
        [monthly_chart(current.by_month, half, 106)],
        width,
        gap=gap,
    )


def _targets_note(figures: Figures, targets: Targets) -> str:
    """Which targets the timings are measured against (business hours, per service line)."""
    names = [name for name, _n in figures.by_service_line if name in targets]
    if not names:
        return ""
    acks = sorted({targets[name][0] for name in names})
    firsts = sorted({targets[name][1] for name in names})

    def span(values: list[int]) -> str:
        return f"{values[0]}" if len(values) == 1 else f"{values[0]}–{values[-1]}"

    return (
        f"Targets, in business hours from receipt, set by each service line: acknowledgement {span(acks)}, "
        f"first contact {span(firsts)}. Times shown are clock time."
    )


def _timing_row(label: str, timing: Timing) -> list[str]:
    return [
        label,
        f"{timing.measured:,}",
        duration(timing.median_hours),
        duration(timing.p90_hours),
        percent(timing.within_target),
        f"{timing.pending:,}",
    ]


def _timings(current: Figures, targets: Targets, look: _Look, width: float) -> list[Flowable]:
    rows = [
        ["", "Measured", "Median", "90% within", "Within target", "Still pending"],
        _timing_row("Acknowledgement", current.acknowledgement),
        _timing_row("First contact attempt", current.first_contact),
    ]
    fractions = (0.3, 0.13, 0.13, 0.14, 0.15, 0.15)
    block: list[Flowable] = [
        Paragraph("Timings against targets", look.heading),
        _grid(rows, [width * f for f in fractions], look.cell),
    ]
    note = _targets_note(current, targets)
    if note:
        block += [Spacer(1, 3), Paragraph(markup(note), look.small)]
    return block


def _trend(current: Figures, previous: Figures, look: _Look, width: float) -> list[Flowable]:
    now, then = current.funnel, previous.funnel
    rows = [
        ["", "Previous", "This period", "Change"],
        ["Referrals received", f"{previous.received:,}", f"{current.received:,}",
         count_change(current.received, previous.received)],
    ]  # fmt: skip
    for label, stage, before in (
        ("Reached", now.reached, then.reached),
        ("Scheduled", now.scheduled, then.scheduled),
        ("Seen (first visit)", now.completed, then.completed),
    ):
        share, was = now.share(stage), then.share(before)
        rows.append([label, percent(was), percent(share), share_change(share, was)])
    shares: list[tuple[str, float | None, float | None]] = [
        (
            "Acknowledged on time",
            previous.acknowledgement.within_target,
            current.acknowledgement.within_target,
        ),
        ("First contact on time", previous.first_contact.within_target, current.first_contact.within_target),
        ("No-show rate", previous.no_show_rate, current.no_show_rate),
        ("Reschedule rate", previous.reschedule_rate, current.reschedule_rate),
    ]
    for label, was, share in shares:
        rows.append([label, percent(was), percent(share), share_change(share, was)])
    rows.append(
        [
            "Wait for first visit",
            days(previous.median_days_to_appointment),
            days(current.median_days_to_appointment),
            value_change(current.median_days_to_appointment, previous.median_days_to_appointment, days),
        ]
    )
    fractions = (0.37, 0.2, 0.23, 0.2)
    return [Paragraph("Trend: this period against the previous one", look.heading),
            _grid(rows, [width * f for f in fractions], look.cell)]  # fmt: skip


def _close_reasons(figures: Figures, look: _Look, width: float, *, limit: int = 6) -> list[Flowable]:
    closed = sum(number for _reason, number in figures.close_reasons)
    block: list[Flowable] = [Paragraph("Why referrals did not convert", look.heading)]
    if not closed:
        return [*block, Paragraph("No referral of the period was closed without a visit.", look.body)]
    reasons: list[tuple[CloseReason | None, int]] = list(figures.close_reasons[:limit])
    rest = sum(number for _reason, number in figures.close_reasons[limit:])
    if rest:
        reasons.append((None, rest))
    rows: list[list[str]] = [["Reason", "Referrals", "Share"]]
    for reason, number in reasons:
        label = CLOSE_REASONS[reason].label if reason is not None else "Other reasons"
        rows.append([label, f"{number:,}", f"{number / closed:.0%}"])
    return [*block, _grid(rows, [width * 0.64, width * 0.2, width * 0.16], look.cell)]


def _mix(figures: Figures, look: _Look, width: float, *, limit: int = 5) -> Table:
    """Service lines and channels side by side: where the referrals went and how they came."""
    gap = 16
    half = (width - gap) / 2

    def block(title: str, head: str, items: Sequence[tuple[str, int]]) -> list[Flowable]:
        total = sum(number for _name, number in items)
        shown = list(items[:limit])
        rest = sum(number for _name, number in items[limit:])
        if rest:
            shown.append(("Others", rest))
        rows: list[list[str]] = [[head, "Referrals", "Share"]]
        rows += [[name, f"{number:,}", f"{number / total:.0%}" if total else DASH] for name, number in shown]
        if len(rows) == 1:
            rows.append([DASH, "0", DASH])
        return [
            Paragraph(title, look.heading),
            _grid(rows, [half * 0.6, half * 0.22, half * 0.18], look.cell),
        ]

    lines = block("By service line", "Service line", figures.by_service_line)
    channels = block("By channel", "Channel", [(channel.label, n) for channel, n in figures.by_channel])
    return side_by_side(lines, channels, width, gap=gap)


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
