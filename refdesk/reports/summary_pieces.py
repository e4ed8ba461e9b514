"""The building blocks of the partner summary's pages: its styles, the key-figure cards, the charts, the
timings against targets, the trend, the close reasons and the mix of service lines and channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from refdesk.domain.lifecycle import CLOSE_REASONS, CloseReason
from refdesk.reports.base import (
    ListingLook,
    Styles,
    TextCell,
    markup,
    side_by_side,
)
from refdesk.reports.charts import funnel_chart, monthly_chart
from refdesk.reports.fonts import register_fonts
from refdesk.reports.letterhead import ACCENT, HEAD_FILL, MUTED, RULE
from refdesk.reports.summary_data import (
    DASH,
    Targets,
    count_change,
    days,
    duration,
    percent,
    share_change,
    value_change,
)
from refdesk.services.metrics import Figures, Timing

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
