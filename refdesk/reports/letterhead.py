"""The clinic's letterhead: what it says (from Settings) and how it is drawn at the top of a letter.

It is drawn straight on the canvas (not as paragraphs), so none of its text is ever read as markup, and
its height is known before the page's frame is laid out. The logo is the image's bytes as Settings holds
them (not a path to a file that can be moved); stored bytes that cannot be decoded are left out with a
log line: the letter still prints, and the person at the desk is not blocked by a damaged image.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader

from refdesk.reports.fonts import FontFamily, draw_string, text_width
from refdesk.reports.letterhead_info import Letterhead as Letterhead  # re-exported: drawing and data together

log = logging.getLogger(__name__)

ACCENT: Color = HexColor("#1f4e5f")
MUTED: Color = HexColor("#555555")
#: Table header rows and the rules between rows: the accent, lightened.
HEAD_FILL: Color = HexColor("#e6eef1")
RULE: Color = HexColor("#c9d3d7")

NAME_SIZE = 17.0
NAME_MIN_SIZE = 11.0
LINE_SIZE = 9.0
LINE_STEP = 12.0
LOGO_MAX_HEIGHT = 0.85 * inch
LOGO_MAX_WIDTH = 1.8 * inch
LOGO_GAP = 14.0
#: Space between the last line of text (or the logo) and the rule under the letterhead.
RULE_GAP = 8.0


def load_logo(data: bytes | None) -> Any | None:
    """The logo as a ReportLab image, or None when there is none or it cannot be decoded.

    The image is decoded here, in full, so a damaged one fails now and is left out, rather than failing
    the letter when the page is drawn. Any failure is caught: image decoders raise what they like on
    damaged data, and a letter must never fail because of its decoration.
    """
    if not data:
        return None
    try:
        image = ImageReader(io.BytesIO(data))
        width, height = image.getSize()
        if width <= 0 or height <= 0:
            raise ValueError("empty image")
        image.getRGBData()
    except Exception as error:  # noqa: BLE001 - see the docstring
        log.warning("letterhead logo skipped: %s", type(error).__name__)
        return None
    return image


def _logo_size(logo: Any) -> tuple[float, float]:
    width, height = logo.getSize()
    scale = min(LOGO_MAX_HEIGHT / height, LOGO_MAX_WIDTH / width)
    return width * scale, height * scale


def letterhead_height(letterhead: Letterhead, logo: Any | None) -> float:
    """How far below the top margin the letterhead's rule lies (the first frame starts below it)."""
    text = NAME_SIZE * 1.25 + LINE_STEP * len(letterhead.text_lines())
    image = _logo_size(logo)[1] if logo is not None else 0.0
    return max(text, image) + RULE_GAP


def draw_letterhead(
    canvas: Any,
    letterhead: Letterhead,
    family: FontFamily,
    logo: Any | None,
    *,
    left: float,
    top: float,
    width: float,
) -> None:
    """Draw the letterhead with its top edge at ``top``, between ``left`` and ``left + width``."""
    canvas.saveState()
    text_left = left
    if logo is not None:
        logo_width, logo_height = _logo_size(logo)
        canvas.drawImage(
            logo, left, top - logo_height, logo_width, logo_height, preserveAspectRatio=True, mask="auto"
        )
        text_left = left + logo_width + LOGO_GAP
    room = left + width - text_left
    size = NAME_SIZE
    while size > NAME_MIN_SIZE and text_width(letterhead.clinic_name, family.bold, size) > room:
        size -= 0.5
    baseline = top - NAME_SIZE
    canvas.setFillColor(ACCENT)
    draw_string(canvas, text_left, baseline, letterhead.clinic_name, family.bold, size)
    canvas.setFillColor(MUTED)
    baseline -= NAME_SIZE * 0.25
    for line in letterhead.text_lines():
        baseline -= LINE_STEP
        draw_string(canvas, text_left, baseline, line, family.regular, LINE_SIZE)
    rule = top - letterhead_height(letterhead, logo)
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1.2)
    canvas.line(left, rule, left + width, rule)
    canvas.restoreState()
