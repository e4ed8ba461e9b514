"""Fast plain-text table cells: ``TextCell`` (lines of plain text in a cell) and ``Listing`` (a long table
of such cells), drawn straight on the canvas so user text is never read as markup."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
)

from refdesk.reports.fonts import runs, text_width
from refdesk.reports.letterhead import (
    ACCENT,
    HEAD_FILL,
    RULE,
)
from refdesk.reports.styling import _plain

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
