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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
)

from refdesk.errors import RefDeskError
from refdesk.reports.cells import Line, Listing, ListingLook, TextCell
from refdesk.reports.fonts import FontFamily, draw_string, register_fonts
from refdesk.reports.letterhead import (
    ACCENT,
    MUTED,
    Letterhead,
    draw_letterhead,
    letterhead_height,
    load_logo,
)
from refdesk.reports.styling import (
    Styles,
    bullets,
    generated_text,
    long_date,
    markup,
    para,
    period_text,
    short_date,
    side_by_side,
    styles,
)

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
