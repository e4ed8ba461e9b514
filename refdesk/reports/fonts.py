"""The bundled TTF family every document prints with, registered once per process, and its CJK fallback.

ReportLab's built-in fonts know Latin-1 only: "Ольга" or "Nguyễn" would print as black boxes. DejaVu Sans
(``resources/fonts``) covers Latin with Vietnamese, Greek and Cyrillic, and is embedded (subset) in each
PDF, so a letter prints the same on any machine and its text can be copied out of the file.

DejaVu has no Chinese, Japanese or Korean, and ReportLab does no glyph fallback of its own: "娜 杨" or
"장지우" would print as empty boxes. The characters a face lacks and Droid Sans Fallback has (Han, kana,
Hangul, CJK punctuation) are switched to that face run by run: ``fallback_markup`` wraps them in
``<font face=...>`` inside paragraph markup, ``runs`` splits plain text for the code that draws on the
canvas itself (``text_width`` measures such text, ``draw_string`` draws it). Bold and italic fall back
to the same face. The fallback is 3.4 MB: it is read only when a document first needs it, and a PDF
embeds only the glyphs it uses.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont

from refdesk.paths import resource_path


@dataclass(frozen=True, slots=True)
class FontFamily:
    """The names the family is registered under (what paragraph styles and canvases use)."""

    regular: str
    bold: str
    italic: str
    #: The face for the characters the others lack (CJK): one face for every weight and slant.
    fallback: str = "RefDeskCJK"


#: The one family RefDesk's documents use. Bold italic falls back to bold: the bundle stays small and no
#: document needs it.
FAMILY = FontFamily(regular="RefDeskSans", bold="RefDeskSans-Bold", italic="RefDeskSans-Italic")
_FILES = {
    FAMILY.regular: "DejaVuSans.ttf",
    FAMILY.bold: "DejaVuSans-Bold.ttf",
    FAMILY.italic: "DejaVuSans-Oblique.ttf",
}
_FALLBACK_FILE = "DroidSansFallback.ttf"
#: Paragraph markup does not know the face it ends up in: it falls back where any face of the family lacks.
_ANY_FACE = "*"
#: Characters that need no glyph (``runs`` never sees them switch face).
_NO_GLYPH = frozenset(map(ord, "\t\n\r"))

_lock = threading.Lock()
_registered = False
#: Per face (and ``_ANY_FACE``): the code points it has a glyph for, and a pattern finding one it lacks.
_covered: dict[str, frozenset[int]] = {}
_lacks: dict[str, re.Pattern[str]] = {}
#: Per face: runs of characters it lacks that the fallback has (one capturing group, for ``re.split``).
#: Empty until a document first needs the fallback.
_fallback_runs: dict[str, re.Pattern[str]] = {}


def _points(font: TTFont) -> frozenset[int]:
    """The code points the font maps to a real glyph (not to glyph 0, the empty box)."""
    return frozenset(point for point, glyph in font.face.charToGlyph.items() if glyph)


def _char_class(points: Iterable[int]) -> str:
    """The inside of a regular expression's ``[...]`` matching exactly ``points``, as ranges."""
    parts: list[str] = []
    ordered = sorted(points)
    start = previous = -2
    for point in [*ordered, -2]:
        if point == previous + 1:
            previous = point
            continue
        if start >= 0:
            first, last = re.escape(chr(start)), re.escape(chr(previous))
            parts.append(first if start == previous else f"{first}-{last}")
        start = previous = point
    return "".join(parts)


def register_fonts() -> FontFamily:
    """Register the bundled family with ReportLab (once; safe from several worker threads) and return it.

    ``<b>`` and ``<i>`` in paragraph markup map to the family's bold and italic faces. The CJK fallback
    is registered when a document first needs it (``runs``, ``fallback_markup``).

    Raises:
        FileNotFoundError: a font file is missing from the resources (a broken install, not user input).
    """
    global _registered
    with _lock:
        if not _registered:
            for name, file_name in _FILES.items():
                font = TTFont(name, str(resource_path("fonts", file_name)))
                pdfmetrics.registerFont(font)
                _covered[name] = _points(font) | _NO_GLYPH
            _covered[_ANY_FACE] = frozenset.intersection(*(_covered[name] for name in _FILES))
            for name, points in _covered.items():
                _lacks[name] = re.compile(f"[^{_char_class(points)}]")
            addMapping(FAMILY.regular, 0, 0, FAMILY.regular)
            addMapping(FAMILY.regular, 1, 0, FAMILY.bold)
            addMapping(FAMILY.regular, 0, 1, FAMILY.italic)
            addMapping(FAMILY.regular, 1, 1, FAMILY.bold)
            _registered = True
    return FAMILY


def _runs_pattern(face: str) -> re.Pattern[str]:
    """``_fallback_runs[face]``, reading and registering the fallback font first if no document has yet."""
    pattern = _fallback_runs.get(face)
    if pattern is not None:
        return pattern
    with _lock:
        if not _fallback_runs:
            font = TTFont(FAMILY.fallback, str(resource_path("fonts", _FALLBACK_FILE)))
            pdfmetrics.registerFont(font)
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(FAMILY.fallback, bold, italic, FAMILY.fallback)
            has = _points(font)
            _fallback_runs.update(
                (name, re.compile(f"([{_char_class(has - covered)}]+)")) for name, covered in _covered.items()
            )
    return _fallback_runs[face]


def _needs_fallback(text: str, face: str) -> bool:
    """Whether ``text`` has a character ``face`` lacks (cheap: all-ASCII text answers at once)."""
    if text.isascii():
        return False
    if not _registered:
        register_fonts()
    lacks = _lacks.get(face)
    return lacks is not None and lacks.search(text) is not None


def runs(text: str, font_name: str) -> list[tuple[str, str]]:
    """``text`` as ``(face, text)`` runs to draw one after the other: ``font_name`` for what it has a
    glyph for, the CJK fallback for what it lacks and the fallback has. Usually one run."""
    if not _needs_fallback(text, font_name):
        return [(font_name, text)]
    parts = _runs_pattern(font_name).split(text)
    # split with a group alternates: font_name's text, the fallback's, font_name's, ...
    fallback = FAMILY.fallback
    return [(fallback if index % 2 else font_name, part) for index, part in enumerate(parts) if part]


def text_width(text: str, font_name: str, size: float) -> float:
    """``stringWidth`` of plain text as ``runs`` draws it."""
    if text.isascii() or not _needs_fallback(text, font_name):
        return float(stringWidth(text, font_name, size))
    return float(sum(stringWidth(part, face, size) for face, part in runs(text, font_name)))


def fallback_markup(escaped: str) -> str:
    """Paragraph markup (user text already escaped) with the runs of characters the family lacks wrapped
    in ``<font face="...">``. Markup characters are ASCII: entities and tags are never split."""
    if not _needs_fallback(escaped, _ANY_FACE):
        return escaped
    return _runs_pattern(_ANY_FACE).sub(rf'<font face="{FAMILY.fallback}">\1</font>', escaped)


def draw_string(
    canvas: Any, x: float, y: float, text: str, font_name: str, size: float, *, right: bool = False
) -> None:
    """``canvas.drawString`` (or ``drawRightString`` with ``right``, ``x`` then being where the text
    ends) of plain user text in ``font_name``, falling back for what it lacks. Sets the canvas's font."""
    parts = runs(text, font_name)
    canvas.setFont(font_name, size)
    if len(parts) == 1:
        (canvas.drawRightString if right else canvas.drawString)(x, y, text)
        return
    if right:
        x -= sum(stringWidth(part, face, size) for face, part in parts)
    line = canvas.beginText(x, y)
    for face, part in parts:
        line.setFont(face, size)
        line.textOut(part)
    canvas.drawText(line)
