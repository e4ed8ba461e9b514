"""The one ReportLab base every RefDesk document is built on: page size, page templates, letterhead,
footer, paragraph styles and the escaping of user text. A document module only builds its story (a list
of flowables) and calls ``render``.

Two layouts:

- ``Layout.LETTER``: the clinic's letterhead on the first page; later pages carry a one-line running
  head (clinic name and the letter's subject) so a loose page is still recognisable.
- ``Layout.REPORT``: the running head on every page, leaving most of the page to tables (partner
  summaries, lists).

Every page ends with the footer ``Page x of y · Generated <date time>``, so a printed page says whether
the set is complete and how current it is. The total page count is only known at the end: pages are
kept until then and the footers drawn last (``_numbered_canvas``). A file holding many letters (a batch
of status letters) marks where each begins with ``start_letter``: each letter then gets its own
letterhead, its own "Page x of y" and its own reference, so it can be pulled from the pile and mailed.

User text (names, addresses, record names, notes) only ever reaches a ``Paragraph`` through ``para`` or
``markup``, which escape it: ``<b>Ольга</b> & O'Brien`` prints as typed and ``<img src=...>`` never opens a
file (promise 18). They also switch Chinese, Japanese and Korean characters to the CJK fallback face
(``fonts.fallback_markup``); text drawn straight on the canvas (``TextCell``, ``Listing``, the page
furniture) is split into runs per face the same way (``fonts.runs``), so "山田 花子" prints as typed too.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from refdesk.domain.times import to_local
from refdesk.errors import RefDeskError
from refdesk.reports.fonts import FontFamily, draw_string, fallback_markup, register_fonts, runs, text_width
from refdesk.reports.letterhead import (
    ACCENT,
    HEAD_FILL,
    MUTED,
    RULE,
    Letterhead,
    draw_letterhead,
    letterhead_height,
    load_logo,
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
#: Characters a PDF text string cannot carry usefully (C0 controls other than tab and new line).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

FOOTER_SIZE = 8.0
HEAD_SIZE = 8.5
#: Room the first page leaves between the letterhead's rule and the letter's first line.
AFTER_LETTERHEAD = 0.3 * inch


class PageSize(Enum):
    """Paper size. A US clinic prints on Letter; A4 is there for everyone else."""

    LETTER = "letter"
    A4 = "a4"

    @property
    def points(self) -> tuple[float, float]:
        width, height = LETTER if self is PageSize.LETTER else A4
        return float(width), float(height)


class Layout(Enum):
    LETTER = "letter"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the page furniture shows. Nothing here should identify a patient: ``title`` and ``subject``
    become PDF metadata, which file browsers and mail clients show without opening the document."""

    title: str
    letterhead: Letterhead
    generated_at: datetime
    layout: Layout = Layout.LETTER
    page_size: PageSize = PageSize.LETTER
    landscape: bool = False
    #: A reference printed at the left of every footer and in the running head ("Referral R-000123").
    reference: str = ""
    subject: str = ""


def require_clinic_name(head: Letterhead, needs: str) -> None:
    """Refuse to print without the clinic's name, which heads every page; ``needs`` names the document
    in the message (``"Letters need"``, ``"The packet needs"``).

    Raises:
        RefDeskError: the letterhead has no clinic name.
    """
    if not head.clinic_name:
        raise RefDeskError(f"{needs} the clinic's name: fill in the letterhead in Settings first.")


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


#: One line of a ``TextCell`` or ``Listing`` cell: plain text (None or "" leaves the line out) and its style.
Line = tuple[str | None, ParagraphStyle]
_Piece = tuple[str, ParagraphStyle]


def _measure(lines: Sequence[tuple[str, ParagraphStyle]], width: float) -> list[_Piece]:
    """``lines`` wrapped to ``width``: the pieces drawn, one per printed line."""
    pieces: list[_Piece] = []
    for text, style in lines:
        for part in text.split("\n"):
            if text_width(part, style.fontName, style.fontSize) <= width:
                pieces.append((part, style))  # most cells: one line, one measurement
                continue
            split = _wrap(part, style.fontName, style.fontSize, width) or [""]
            pieces += [(piece, style) for piece in split]
    return pieces


def _wrap(text: str, font_name: str, size: float, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` where the words allow (ReportLab's
    ``simpleSplit``, measuring with the fallback face where the font lacks a glyph)."""
    space = text_width(" ", font_name, size)
    lines: list[str] = []
    words: list[str] = []
    used = -space
    for word in text.split():
        word_width = text_width(word, font_name, size)
        if used + space + word_width <= width or not words:
            words.append(word)
            used += space + word_width
        else:
            lines.append(" ".join(words))
            words = [word]
            used = word_width
    if words:
        lines.append(" ".join(words))
    return lines


def _kept(lines: Iterable[Line]) -> list[tuple[str, ParagraphStyle]]:
    return [(_plain(text), style) for text, style in lines if text]


class TextCell(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """Lines of plain text, each in its own style, wrapped to the width it is given: a table cell.

    Drawn straight on the canvas, so user text in it is never read as markup (nothing to escape), and
    much faster to lay out than a ``Paragraph``. Uses a style's font, size, leading and colour only.
    """

    def __init__(self, *lines: Line) -> None:
        super().__init__()
        self.lines = _kept(lines)
        self._pieces: list[_Piece] = []
        self.width = self.height = 0.0

    def wrap(self, available_width: float, _available_height: float) -> tuple[float, float]:
        # A table asks each cell several times (to size rows, to split, to draw): answer from the last.
        if not self._pieces or available_width != self.width:
            self._pieces = _measure(self.lines, available_width)
            self.width = available_width
            self.height = sum(style.leading for _piece, style in self._pieces)
        return self.width, self.height

    def draw(self) -> None:
        pen = _Pen(self.canv.beginText())
        pen.write(self._pieces, 0, self.height)
        self.canv.drawText(pen.text)


class _Pen:
    """Writes pieces of text into one PDF text object, setting the font and colour only when they
    change and moving from line to line by offsets (``Td``, two numbers) rather than placing each line
    afresh (``Tm``, six): number formatting is most of the cost of a long list without ReportLab's
    optional C accelerator. A piece with characters its font lacks is written run by run (``runs``),
    each run in its face, one after the other on the line."""

    def __init__(self, text: Any) -> None:
        self.text = text
        self.style: ParagraphStyle | None = None
        self.face = ""
        self.size = 0.0
        self.at: tuple[float, float] | None = None

    def write(self, pieces: Sequence[_Piece], x: float, top: float, *, right: float | None = None) -> None:
        """``pieces`` one under the other, the first line's top at (``x``, ``top``), or each line ending
        at ``right`` when given."""
        text = self.text
        for piece, style in pieces:
            if style is not self.style:
                text.setFillColor(style.textColor)
                self.style = style
            name, size = style.fontName, style.fontSize
            parts: Sequence[tuple[str, str]] = ((name, piece),) if piece.isascii() else runs(piece, name)
            if right is None:
                left = x
            elif len(parts) == 1:
                left = right - stringWidth(piece, parts[0][0], size)
            else:
                left = right - sum(stringWidth(part, face, size) for face, part in parts)
            # The baseline sits where a Paragraph of the same style puts it: one font size below the top.
            baseline = top - size
            if self.at is None:
                text.setTextOrigin(left, baseline)
            else:
                text.moveCursor(left - self.at[0], self.at[1] - baseline)
            self.at = (left, baseline)
            for face, part in parts:
                if face != self.face or size != self.size:
                    text.setFont(face, size)
                    self.face, self.size = face, size
                text.textOut(part)
            top -= style.leading


@dataclass(frozen=True, slots=True)
class ListingLook:
    """How a ``Listing`` is drawn: the header's style, fill and rule, the rule between rows, padding."""

    head: ParagraphStyle
    head_fill: Color = HEAD_FILL
    head_rule: Color = ACCENT
    rule: Color = RULE
    padding: float = 4.0
    top_padding: float = 3.5


@dataclass(slots=True)
class _Measured:
    width: float
    head: list[list[_Piece]]
    head_height: float
    rows: list[list[list[_Piece]]]
    heights: list[float]


class Listing(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """A long list laid out as a table: a header row repeated on every page, rows of plain-text cells
    (``Line``s, wrapped to their column), a thin rule under each row. A row never splits.

    What ``Table`` with ``TextCell``s does, several times faster: each row is measured once, a page
    break costs a slice, and a page's text is one text object. A batch of 500 status letters lists
    ten thousand referrals and more. Like ``TextCell``, nothing in it is read as markup.
    """

    def __init__(
        self,
        columns: Sequence[tuple[str, float]],
        rows: Sequence[Sequence[Sequence[Line]]],
        look: ListingLook,
        *,
        right_aligned: Collection[int] = (),
    ) -> None:
        super().__init__()
        self.columns = list(columns)
        self.rows = [[_kept(cell) for cell in row] for row in rows]
        self.look = look
        #: Columns (by index) whose text ends at the column's right edge: numbers.
        self.right_aligned = frozenset(right_aligned)
        self._measured: _Measured | None = None
        self.width = self.height = 0.0

    def _widths(self, width: float) -> list[float]:
        return [width * fraction for _title, fraction in self.columns]

    def _measure(self, width: float) -> _Measured:
        if self._measured is not None and self._measured.width == width:
            return self._measured
        look = self.look
        inner = [column - 2 * look.padding for column in self._widths(width)]
        vertical = look.top_padding + look.padding
        head = [
            _measure([(title, look.head)], room)
            for (title, _f), room in zip(self.columns, inner, strict=True)
        ]
        head_height = max(sum(s.leading for _p, s in cell) for cell in head) + vertical
        rows = [[_measure(cell, room) for cell, room in zip(row, inner, strict=True)] for row in self.rows]
        heights = [
            max((sum(s.leading for _p, s in cell) for cell in row), default=0) + vertical for row in rows
        ]
        self._measured = _Measured(width, head, head_height, rows, heights)
        return self._measured

    def wrap(self, available_width: float, _available_height: float) -> tuple[float, float]:
        measured = self._measure(available_width)
        self.width = available_width
        self.height = measured.head_height + sum(measured.heights)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        measured = self._measure(available_width)
        room = available_height - measured.head_height
        count = 0
        for height in measured.heights:
            if height > room:
                break
            room -= height
            count += 1
        if count == 0:
            return []  # not even one row fits under the header here: start on the next page
        if count == len(measured.rows):
            return [self]
        return [self._part(measured, 0, count), self._part(measured, count, len(measured.rows))]

    def _part(self, measured: _Measured, start: int, end: int) -> Listing:
        part = Listing(self.columns, [], self.look, right_aligned=self.right_aligned)
        part.rows = self.rows[start:end]
        part._measured = _Measured(
            measured.width,
            measured.head,
            measured.head_height,
            measured.rows[start:end],
            measured.heights[start:end],
        )
        return part

    def draw(self) -> None:
        canvas = self.canv
        look = self.look
        measured = self._measure(self.width)
        widths = self._widths(self.width)
        lefts = [0.0]
        for column in widths[:-1]:
            lefts.append(lefts[-1] + column)
        rights = [
            left + width - look.padding if index in self.right_aligned else None
            for index, (left, width) in enumerate(zip(lefts, widths, strict=True))
        ]
        top = self.height
        canvas.saveState()
        canvas.setFillColor(look.head_fill)
        canvas.rect(0, top - measured.head_height, self.width, measured.head_height, stroke=0, fill=1)
        pen = _Pen(canvas.beginText())
        for left, right, cell in zip(lefts, rights, measured.head, strict=True):
            pen.write(cell, left + look.padding, top - look.top_padding, right=right)
        rules: list[tuple[float, float, float, float]] = []
        y = top - measured.head_height
        for row, height in zip(measured.rows, measured.heights, strict=True):
            for left, right, cell in zip(lefts, rights, row, strict=True):
                pen.write(cell, left + look.padding, y - look.top_padding, right=right)
            y -= height
            rules.append((0, y, self.width, y))
        canvas.drawText(pen.text)
        canvas.setStrokeColor(look.head_rule)
        canvas.setLineWidth(0.8)
        canvas.line(0, top - measured.head_height, self.width, top - measured.head_height)
        if rules:
            canvas.setStrokeColor(look.rule)
            canvas.setLineWidth(0.3)
            canvas.lines(rules)
        canvas.restoreState()


# -- sections and checkpoints -----------------------------------------------------------------------


#: The canvas attribute a ``Section`` leaves behind; the page furniture reads it (see ``_SectionMark``).
_SECTION_ATTRIBUTE = "_refdesk_section"


@dataclass(frozen=True, slots=True)
class _SectionMark:
    number: int
    reference: str
    title: str | None


class Section(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """Where one document inside a file begins (one partner's letter in a batch of letters).

    It takes no room. Drawn on the section's first page, it leaves its mark on the canvas: the running
    head and footer of the pages that follow show its ``reference``, "Page x of y" counts its pages only,
    and ``title`` becomes an entry of the PDF's outline, so a 500-letter file can be browsed by partner.
    """

    #: Numbers the sections of every document (``next`` on a count is atomic: workers may build at once).
    _numbers = itertools.count(1)

    def __init__(self, reference: str, *, title: str | None = None) -> None:
        super().__init__()
        self.mark = _SectionMark(next(Section._numbers), reference, title)
        self.width = self.height = 0

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        # The outline entry is added when the page is really written (``_numbered_canvas``): until then
        # the document does not know which page object this is.
        setattr(self.canv, _SECTION_ATTRIBUTE, self.mark)


def start_letter(reference: str, *, title: str | None = None, first: bool = False) -> list[Flowable]:
    """The flowables that begin one letter of a batch (``Layout.LETTER``): a new page with the
    letterhead (unless it is the file's ``first`` letter, already on such a page) and its ``Section``."""
    section = Section(reference, title=title)
    return [section] if first else [NextPageTemplate("first"), PageBreak(), section]


class Checkpoint(Flowable):  # type: ignore[misc]  # ReportLab ships no type hints
    """Calls ``callback`` when layout reaches this point of the story: a long build (hundreds of
    letters) reports its progress there, and may stop by raising (``OperationCancelled``)."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__()
        self.callback = callback
        self.width = self.height = 0

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.callback()


# -- pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Margins:
    left: float
    right: float
    top: float
    bottom: float


_LETTER_MARGINS = _Margins(left=1.0 * inch, right=1.0 * inch, top=0.6 * inch, bottom=0.85 * inch)
_REPORT_MARGINS = _Margins(left=0.7 * inch, right=0.7 * inch, top=0.55 * inch, bottom=0.75 * inch)
#: Height the running head takes above a frame (its line, a gap and a rule).
_HEAD_ROOM = 0.35 * inch


class _Pages:
    """Draws one document's page furniture; its bound methods are the page templates' callbacks."""

    def __init__(self, info: DocumentInfo, family: FontFamily) -> None:
        self.info = info
        self.family = family
        self.logo = load_logo(info.letterhead.logo)
        width, height = info.page_size.points
        self.width, self.height = (height, width) if info.landscape else (width, height)
        self.margins = _LETTER_MARGINS if info.layout is Layout.LETTER else _REPORT_MARGINS

    @property
    def content_width(self) -> float:
        return self.width - self.margins.left - self.margins.right

    def frame(self, name: str, *, below_top: float) -> Frame:
        top = self.height - self.margins.top - below_top
        return Frame(
            self.margins.left,
            self.margins.bottom,
            self.content_width,
            top - self.margins.bottom,
            id=name,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    def templates(self) -> list[PageTemplate]:
        size = (self.width, self.height)
        running = PageTemplate(
            id="running",
            frames=[self.frame("body", below_top=_HEAD_ROOM)],
            onPage=self.running_head,
            pagesize=size,
        )
        if self.info.layout is Layout.REPORT:
            return [running]
        first_top = letterhead_height(self.info.letterhead, self.logo) + AFTER_LETTERHEAD
        first = PageTemplate(
            id="first",
            frames=[self.frame("first", below_top=first_top)],
            onPage=self.letterhead,
            pagesize=size,
            autoNextPageTemplate="running",
        )
        return [first, running]

    def letterhead(self, canvas: Any, _doc: Any) -> None:
        draw_letterhead(
            canvas,
            self.info.letterhead,
            self.family,
            self.logo,
            left=self.margins.left,
            top=self.height - self.margins.top,
            width=self.content_width,
        )

    def running_head(self, canvas: Any, _doc: Any) -> None:
        top = self.height - self.margins.top
        baseline = top - HEAD_SIZE
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        draw_string(
            canvas, self.margins.left, baseline, self.info.letterhead.clinic_name, self.family.bold, HEAD_SIZE
        )
        canvas.setFillColor(MUTED)
        right = " · ".join(part for part in (self.info.title, self.reference(canvas)) if part)
        end = self.width - self.margins.right
        draw_string(canvas, end, baseline, right, self.family.regular, HEAD_SIZE, right=True)
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.5)
        rule = baseline - 5
        canvas.line(self.margins.left, rule, self.width - self.margins.right, rule)
        canvas.restoreState()

    def reference(self, canvas: Any) -> str:
        """The reference of the section the page belongs to, or the document's."""
        mark: _SectionMark | None = getattr(canvas, _SECTION_ATTRIBUTE, None)
        return mark.reference if mark is not None else self.info.reference

    def footer(self, canvas: Any, page: int, total: int) -> None:
        baseline = self.margins.bottom - 0.4 * inch
        canvas.saveState()
        canvas.setFont(self.family.regular, FOOTER_SIZE)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.5)
        canvas.line(self.margins.left, baseline + 11, self.width - self.margins.right, baseline + 11)
        reference = self.reference(canvas)
        if reference:
            draw_string(canvas, self.margins.left, baseline, reference, self.family.regular, FOOTER_SIZE)
        text = f"Page {page} of {total} · {generated_text(self.info.generated_at)}"
        canvas.drawRightString(self.width - self.margins.right, baseline, text)
        canvas.restoreState()


def _numbered_canvas(footer: Callable[[Any, int, int], None]) -> type[Canvas]:
    """A canvas class that holds every page until ``save`` and then draws each footer with the total
    (ReportLab's documented recipe: the page count is unknown while the story is laid out). Pages are
    counted per ``Section`` when the story has sections (the pages before the first count together)."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab ships no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            sections = [state.get(_SECTION_ATTRIBUTE) for state in self._saved_pages]
            totals = Counter(sections)
            numbers: Counter[_SectionMark | None] = Counter()
            for state, section in zip(self._saved_pages, sections, strict=True):
                self.__dict__.update(state)
                numbers[section] += 1
                if section is not None and section.title and numbers[section] == 1:
                    key = f"section-{section.number}"
                    self.bookmarkPage(key)
                    self.addOutlineEntry(section.title, key, level=0)
                footer(self, numbers[section], totals[section])
                super().showPage()
            super().save()

    return NumberedCanvas


def render(info: DocumentInfo, story: Sequence[Flowable]) -> bytes:
    """Lay out ``story`` on the document's pages and return the PDF's bytes (write them with
    ``refdesk.reports.atomic.write_atomic``). Pure: reads nothing but the fonts and the logo."""
    family = register_fonts()
    # Binary (Flate only) streams: ReportLab's ASCII85 encoder is pure Python without its optional C
    # accelerator and took a fifth of the time of a 500-letter batch; the files are smaller too.
    rl_config.useA85 = 0
    pages = _Pages(info, family)
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=(pages.width, pages.height),
        leftMargin=pages.margins.left,
        rightMargin=pages.margins.right,
        topMargin=pages.margins.top,
        bottomMargin=pages.margins.bottom,
        title=info.title,
        author=info.letterhead.clinic_name,
        subject=info.subject,
        creator="RefDesk",
        pageCompression=1,
        initialFontName=family.regular,
    )
    document.addPageTemplates(pages.templates())
    document.build(list(story), canvasmaker=_numbered_canvas(pages.footer))
    return buffer.getvalue()


def content_width(info: DocumentInfo) -> float:
    """The width of the text column: documents size their table columns as fractions of it."""
    width, height = info.page_size.points
    page_width = height if info.landscape else width
    margins = _LETTER_MARGINS if info.layout is Layout.LETTER else _REPORT_MARGINS
    return page_width - margins.left - margins.right


__all__ = [
    "Checkpoint",
    "DocumentInfo",
    "Layout",
    "PageSize",
    "Section",
    "Styles",
    "Line",
    "Listing",
    "ListingLook",
    "TextCell",
    "bullets",
    "content_width",
    "generated_text",
    "long_date",
    "markup",
    "para",
    "period_text",
    "render",
    "require_clinic_name",
    "short_date",
    "side_by_side",
    "start_letter",
    "styles",
]
