"""The bundled TTF family every document prints with, registered once per process.

ReportLab's built-in fonts know Latin-1 only: "Ольга" or "Nguyễn" would print as black boxes. DejaVu Sans
(``resources/fonts``) covers Latin with Vietnamese, Greek and Cyrillic, and is embedded (subset) in each
PDF, so a letter prints the same on any machine and its text can be copied out of the file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from refdesk.paths import resource_path


@dataclass(frozen=True, slots=True)
class FontFamily:
    """The names the family is registered under (what paragraph styles and canvases use)."""

    regular: str
    bold: str
    italic: str


#: The one family RefDesk's documents use. Bold italic falls back to bold: the bundle stays small and no
#: document needs it.
FAMILY = FontFamily(regular="RefDeskSans", bold="RefDeskSans-Bold", italic="RefDeskSans-Italic")
_FILES = {
    FAMILY.regular: "DejaVuSans.ttf",
    FAMILY.bold: "DejaVuSans-Bold.ttf",
    FAMILY.italic: "DejaVuSans-Oblique.ttf",
}
_lock = threading.Lock()
_registered = False


def register_fonts() -> FontFamily:
    """Register the bundled family with ReportLab (once; safe from several worker threads) and return it.

    ``<b>`` and ``<i>`` in paragraph markup map to the family's bold and italic faces.

    Raises:
        FileNotFoundError: a font file is missing from the resources (a broken install, not user input).
    """
    global _registered
    with _lock:
        if not _registered:
            for name, file_name in _FILES.items():
                pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", file_name))))
            addMapping(FAMILY.regular, 0, 0, FAMILY.regular)
            addMapping(FAMILY.regular, 1, 0, FAMILY.bold)
            addMapping(FAMILY.regular, 0, 1, FAMILY.italic)
            addMapping(FAMILY.regular, 1, 1, FAMILY.bold)
            _registered = True
    return FAMILY
