"""Names in Chinese, Japanese or Korean script print as typed: DejaVu has no glyph for them, so every way
text reaches a PDF (paragraphs, plain-text cells and listings, the letterhead and page furniture) switches
to the bundled CJK fallback face for those characters, and only a document that needs it embeds it."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table

from refdesk.reports.base import (
    DocumentInfo,
    Layout,
    Listing,
    ListingLook,
    TextCell,
    markup,
    para,
    render,
    styles,
)
from refdesk.reports.fonts import FAMILY, fallback_markup, runs, text_width
from refdesk.reports.letter_parts import Recipient
from refdesk.reports.letterhead import Letterhead
from refdesk.reports.status_letters import LetterBatch, ReferralStatus, Standing, StatusLetter, build_letters
from refdesk.services.metrics import Period

GENERATED = datetime(2024, 5, 15, 14, 30, tzinfo=UTC)
CJK = ["娜 杨", "山田 花子", "장지우", "Ji-woo Jang / 장지우", "Zoë 山田 <b>& 장지우", "杨娜 <b>&</b>"]
LATIN = ["Zoë <b>&", "Nguyễn Thị Thảo", "Ольга Петрова", "Αθηνά Παππά", "Łukasz & O'Brien"]
HEAD = Letterhead("Riverside Clinic", ("12 River Road",), "(555) 201-0000")
FALLBACK_FONT = "DroidSansFallback"


def info(head: Letterhead = HEAD, **changes: object) -> DocumentInfo:
    values: dict[str, object] = {"title": "Test document", "letterhead": head, "generated_at": GENERATED}
    values.update(changes)
    return DocumentInfo(**values)  # type: ignore[arg-type]


def lines(pdf: bytes) -> list[str]:
    return [line for page in PdfReader(io.BytesIO(pdf)).pages for line in page.extract_text().splitlines()]


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts the pages use, without the subset prefix (``AAAAAA+``)."""
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in page["/Resources"]["/Font"].values()
    }


def story(texts: list[str]) -> list[Flowable]:
    """Each text as a paragraph, a bold paragraph, a table cell (regular and bold) and a listing row."""
    style = styles()
    flowables: list[Flowable] = [para(text, style.body) for text in texts]
    flowables += [Paragraph(f"<b>{markup(text)}</b>", style.body) for text in texts]
    flowables.append(Table([[TextCell((text, style.cell))] for text in texts]))
    flowables.append(Table([[TextCell((text, style.cell_head))] for text in texts]))
    look = ListingLook(head=style.cell_head)
    rows = [[[(text, style.cell)]] for text in texts]
    flowables.append(Listing([("Patient", 1.0)], rows, look))
    flowables.append(Listing([("Patient", 1.0)], rows, look, right_aligned=[0]))
    return flowables


def test_cjk_names_print_as_typed_in_paragraphs_cells_and_listings_in_the_fallback_face() -> None:
    pdf = render(info(), story(CJK + LATIN))

    printed = lines(pdf)
    for text in CJK + LATIN:
        # paragraph, bold paragraph, two table cells and two listings: six times, each on its own line
        assert printed.count(text) == 6, (text, printed)
    assert FALLBACK_FONT in embedded_fonts(pdf)
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(pdf)


def test_a_document_without_cjk_does_not_embed_the_fallback() -> None:
    pdf = render(info(), story(LATIN))

    assert FALLBACK_FONT not in embedded_fonts(pdf)
    assert all(text in lines(pdf) for text in LATIN)


def test_the_letterhead_running_head_and_footer_fall_back_too() -> None:
    head = Letterhead("山田 Clinic & 장지우", ("東京都 1-2-3", "Seoul 서울"), "(555) 201-0000")
    pdf = render(
        info(head, reference="R-1 杨", title="Letters 山田", layout=Layout.LETTER),
        [para("first", styles().body), *story(["x"] * 80)],
    )

    first, *later = PdfReader(io.BytesIO(pdf)).pages
    top = first.extract_text().splitlines()
    assert top[:3] == ["山田 Clinic & 장지우", "東京都 1-2-3", "Seoul 서울"]
    assert later, "the story should run onto a second page"
    running_head = " ".join(later[0].extract_text().splitlines()[:2])
    assert running_head.startswith("山田 Clinic & 장지우")
    assert "Letters 山田 · R-1 杨" in running_head
    assert top[-1].startswith("R-1 杨")


def test_markup_wraps_only_the_runs_the_family_lacks() -> None:
    face = FAMILY.fallback
    assert markup("Zoë 山田 <b>& 장지우") == (
        f'Zoë <font face="{face}">山田</font> &lt;b&gt;&amp; <font face="{face}">장지우</font>'
    )
    assert markup("Ольга\nNguyễn") == "Ольга<br/>Nguyễn"
    assert fallback_markup("plain &amp; ASCII") == "plain &amp; ASCII"


def test_plain_text_is_split_into_runs_and_measured_per_face() -> None:
    regular, fallback = FAMILY.regular, FAMILY.fallback
    assert runs("Ji-woo / 장지우!", regular) == [(regular, "Ji-woo / "), (fallback, "장지우"), (regular, "!")]
    assert runs("Nguyễn Ольга", regular) == [(regular, "Nguyễn Ольга")]
    assert runs("", regular) == [(regular, "")]
    expected = stringWidth("Ji ", regular, 9) + stringWidth("山田", fallback, 9)
    assert text_width("Ji 山田", regular, 9) == expected


def test_a_status_letter_prints_a_cjk_patient_name_in_its_row() -> None:
    referral = ReferralStatus(
        "R-000123",
        "山田 花子",
        date(1958, 4, 2),
        "Physical therapy",
        date(2024, 5, 3),
        "Appointment scheduled",
        "",
        Standing.IN_PROGRESS,
    )
    letter = StatusLetter(1, Recipient("Ji-woo Jang / 장지우 Clinic", "娜 杨"), (referral,))
    batch = LetterBatch(
        HEAD,
        Period(date(2024, 5, 1), date(2024, 5, 31)),
        "Maria Lopez",
        date(2024, 6, 3),
        datetime(2024, 6, 3, 14, tzinfo=UTC),
        (letter,),
    )
    pdf = build_letters(batch)

    text = " ".join(" ".join(lines(pdf)).split())
    assert "山田 花子" in text
    assert "Ji-woo Jang / 장지우 Clinic" in text
    assert "Dear 娜 杨," in text
    assert FALLBACK_FONT in embedded_fonts(pdf)


def test_right_aligned_cells_with_cjk_end_where_the_others_do() -> None:
    style = styles()
    texts = ["장지우", "Ji-woo / 장지우", "Zoë 山田 & x", "12,345"]
    look = ListingLook(head=style.cell_head)
    pdf = render(
        info(layout=Layout.REPORT),
        [Listing([("Who", 1.0)], [[[(t, style.cell)]] for t in texts], look, right_aligned=[0])],
    )

    shown: dict[float, list[tuple[float, str]]] = {}

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if text.strip():
            shown.setdefault(round(tm[5], 2), []).append((tm[4], text.rstrip("\n")))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    ends = []
    for text in texts:
        row = next(ops for ops in shown.values() if "".join(part for _x, part in ops) == text)
        ends.append(min(x for x, _part in row) + text_width(text, style.cell.fontName, style.cell.fontSize))
    assert max(ends) - min(ends) < 0.01, ends
