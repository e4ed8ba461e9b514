"""Paragraph styles and text for documents: escaping user text into markup (``markup``, ``para``), dates
in words, the shared ``Styles`` and small layouts built of paragraphs (``bullets``, ``side_by_side``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from refdesk.domain.times import to_local
from refdesk.reports.fonts import fallback_markup, register_fonts
from refdesk.reports.letterhead import (
    ACCENT,
    MUTED,
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
#: Characters a PDF text string cannot carry usefully (C0 controls other than tab and new line).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# -- text --------------------------------------------------------------------------------------------


def markup(text: str | None) -> str:
    """User text made safe for paragraph markup: ``&``, ``<``, ``>`` escaped, control characters dropped,
    new lines kept as line breaks, CJK characters in the fallback face. Use it when a paragraph mixes the
    document's own tags with user text: ``f"<b>Re:</b> {markup(name)}"``."""
    if not text:
        return ""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return fallback_markup(escape(cleaned).replace("\n", "<br/>"))


def _plain(text: str) -> str:
    """Text for the canvas: new lines kept (as ``\\n``), other control characters dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def para(text: str | None, style: ParagraphStyle) -> Paragraph:
    """A paragraph showing ``text`` exactly as typed (never interpreted as markup)."""
    return Paragraph(markup(text), style)


def long_date(day: date) -> str:
    """``May 15, 2024``: how a letter writes its date (no locale: the letter is in English)."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def short_date(day: date) -> str:
    """``05/15/2024``: dates of birth and dates in lists, as US forms write them."""
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def period_text(start: date, end: date) -> str:
    """A period as a letter names it: ``April 2024`` for a whole month, ``April 1–15, 2024`` within one
    month, ``March 15, 2024 – April 14, 2024`` otherwise."""
    if start.day == 1 and start.year == end.year and start.month == end.month:
        following = date(end.year + end.month // 12, end.month % 12 + 1, 1)
        if (following - end).days == 1:
            return f"{_MONTHS[start.month - 1]} {start.year}"
    if start.year == end.year and start.month == end.month:
        if start.day == end.day:
            return long_date(start)
        return f"{_MONTHS[start.month - 1]} {start.day}–{end.day}, {start.year}"
    return f"{long_date(start)} – {long_date(end)}"


def generated_text(moment: datetime) -> str:
    """``Generated 05/15/2024 10:30 AM`` in the workstation's local time (naive values are local)."""
    local = to_local(moment) if moment.tzinfo is not None else moment
    hour = local.hour % 12 or 12
    half = "PM" if local.hour >= 12 else "AM"
    return f"Generated {short_date(local.date())} {hour}:{local.minute:02d} {half}"


# -- styles ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Styles:
    """The paragraph styles documents use, all in the bundled Unicode family."""

    body: ParagraphStyle
    small: ParagraphStyle
    heading: ParagraphStyle
    title: ParagraphStyle
    bullet: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle


def styles() -> Styles:
    family = register_fonts()
    body = ParagraphStyle(
        "RefDeskBody", fontName=family.regular, fontSize=10.5, leading=14.5, spaceAfter=9, alignment=TA_LEFT
    )
    return Styles(
        body=body,
        small=ParagraphStyle("RefDeskSmall", parent=body, fontSize=8, leading=10.5, textColor=MUTED),
        heading=ParagraphStyle(
            "RefDeskHeading", parent=body, fontName=family.bold, fontSize=12, leading=15, spaceBefore=6
        ),
        title=ParagraphStyle(
            "RefDeskTitle", parent=body, fontName=family.bold, fontSize=15, leading=19, textColor=ACCENT
        ),
        bullet=ParagraphStyle("RefDeskBullet", parent=body, spaceAfter=3),
        cell=ParagraphStyle("RefDeskCell", parent=body, fontSize=9, leading=11.5, spaceAfter=0),
        cell_head=ParagraphStyle(
            "RefDeskCellHead", parent=body, fontName=family.bold, fontSize=9, leading=11.5, spaceAfter=0
        ),
    )


def bullets(items: Iterable[str], style: ParagraphStyle, *, space_after: float = 9) -> list[Flowable]:
    """A bulleted list of paragraphs and the space after it. ``items`` are markup: escape user text in
    them with ``markup``."""
    listing = ListFlowable(
        [ListItem(Paragraph(item, style), leftIndent=18) for item in items],
        bulletType="bullet",
        start="•",
        bulletFontName=style.fontName,
        bulletFontSize=style.fontSize,
        leftIndent=18,
    )
    return [listing, Spacer(1, space_after)]


def side_by_side(
    left: list[Flowable], right: list[Flowable], width: float, *, split: float = 0.5, gap: float = 16
) -> Table:
    """Two columns of flowables side by side, ``split`` of the width (less the ``gap``) to the left one
    (a table's cells take lists; a KeepTogether inside a cell cannot be laid out)."""
    first = (width - gap) * split
    table = Table([[left, right]], colWidths=[first + gap, width - gap - first], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), gap),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table
