"""The document base as a reader of the PDF meets it: names in any script and with markup characters
print as typed, the letterhead and footer are on the page, and an export is written whole or not at all."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.platypus import PageBreak

from refdesk.reports import atomic
from refdesk.reports.atomic import ExportError, write_atomic
from refdesk.reports.base import DocumentInfo, Layout, PageSize, markup, para, render, styles
from refdesk.reports.letterhead import Letterhead

GENERATED = datetime(2024, 5, 15, 14, 30, tzinfo=UTC)
NAMES = ["Zoë Nguyễn", "Łukasz Wiśniewski", "Øyvind Ærø", "José Núñez", "Ольга Петрова", "Αθηνά Παππά"]
MARKUP = ["<b>Ольга</b> & O'Brien", "Smith <Jr>", "A & B", '<img src="/etc/passwd"/>', "&amp; stays &amp;"]
HEAD = Letterhead(
    "Riverside Clinic", ("12 River Road", "Springfield, IL 62704"), "(555) 201-0000", "(555) 201-0001"
)


def info(**changes: object) -> DocumentInfo:
    values: dict[str, object] = {"title": "Test document", "letterhead": HEAD, "generated_at": GENERATED}
    values.update(changes)
    return DocumentInfo(**values)  # type: ignore[arg-type]


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_names_in_any_script_and_with_markup_characters_print_exactly_as_typed() -> None:
    style = styles().body
    pdf = render(info(), [para(text, style) for text in NAMES + MARKUP])

    lines = pages_text(pdf)[0].splitlines()
    for text in NAMES + MARKUP:
        assert text in lines
    fonts = {
        font.get_object()["/BaseFont"]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert all(str(name).endswith(("DejaVuSans", "DejaVuSans-Bold")) for name in fonts), fonts


def test_markup_keeps_the_documents_own_tags_and_escapes_the_users() -> None:
    assert markup("<i>x</i> & y\nline two\x07") == "&lt;i&gt;x&lt;/i&gt; &amp; y<br/>line two"
    assert markup(None) == ""


def test_every_page_says_which_of_how_many_and_when_it_was_made() -> None:
    body = styles().body
    pdf = render(
        info(reference="Referral R-000123"),
        [para("first", body), PageBreak(), para("second", body), PageBreak(), para("third", body)],
    )

    texts = pages_text(pdf)
    assert len(texts) == 3
    local = GENERATED.astimezone()
    stamp = f"Generated {local:%m/%d/%Y} {local.hour % 12 or 12}:{local:%M} {local:%p}"
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of 3 · {stamp}" in text
        assert "Referral R-000123" in text


def test_a_letter_has_the_letterhead_on_its_first_page_and_a_running_head_after() -> None:
    body = styles().body
    pdf = render(info(reference="R-1"), [para("first", body), PageBreak(), para("second", body)])

    first, second = pages_text(pdf)
    assert first.splitlines()[:4] == [
        "Riverside Clinic",
        "12 River Road",
        "Springfield, IL 62704",
        "Phone (555) 201-0000 · Fax (555) 201-0001",
    ]
    assert "12 River Road" not in second
    assert second.splitlines()[:2] == ["Riverside Clinic", "Test document · R-1"]


def test_a_report_has_the_running_head_on_every_page() -> None:
    body = styles().body
    pdf = render(info(layout=Layout.REPORT), [para("first", body), PageBreak(), para("second", body)])
    for text in pages_text(pdf):
        assert text.splitlines()[0] == "Riverside Clinic"
        assert "12 River Road" not in text


@pytest.mark.parametrize(("size", "points"), [(PageSize.LETTER, (612, 792)), (PageSize.A4, (595, 842))])
def test_letter_and_a4_paper(size: PageSize, points: tuple[int, int]) -> None:
    pdf = render(info(page_size=size), [para("x", styles().body)])
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == points


def _images(pdf: bytes) -> int:
    resources = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]
    return len(resources.get("/XObject", {}))


def test_the_logo_is_drawn_and_a_missing_or_broken_one_is_left_out(tmp_path: Path) -> None:
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 60), (31, 78, 95)).save(logo)
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    body = styles().body

    with_logo = render(info(letterhead=Letterhead("Riverside Clinic", logo_path=logo)), [para("x", body)])
    assert _images(with_logo) == 1
    for path in (broken, tmp_path / "gone.png"):
        pdf = render(info(letterhead=Letterhead("Riverside Clinic", logo_path=path)), [para("x", body)])
        assert _images(pdf) == 0
        assert pages_text(pdf)[0].startswith("Riverside Clinic")


def test_the_pdf_metadata_names_the_document_not_the_patient() -> None:
    pdf = render(
        info(title="Request for records", subject="Referral R-000123"), [para("Zoë Nguyễn", styles().body)]
    )
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta is not None
    assert (meta.title, meta.author, meta.subject) == (
        "Request for records",
        "Riverside Clinic",
        "Referral R-000123",
    )


# -- atomic writes -----------------------------------------------------------------------------------


def test_an_export_replaces_the_old_file_whole_and_returns_its_hash(tmp_path: Path) -> None:
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old letter")

    digest = write_atomic(target, b"new letter")

    assert target.read_bytes() == b"new letter"
    assert digest == hashlib.sha256(b"new letter").hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.pdf"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old letter")

    def disk_full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(ExportError, match="No space left on device"):
        write_atomic(target, b"new letter")

    assert target.read_bytes() == b"old letter"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.pdf"]


def test_a_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_source: object, _target: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(ExportError, match="Permission denied"):
        write_atomic(tmp_path / "letter.pdf", b"new letter")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_reported_in_plain_words(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_atomic(tmp_path / "gone" / "letter.pdf", b"x")


def test_an_export_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """It carries patient names: other accounts on the workstation (POSIX modes) cannot read it."""
    target = tmp_path / "letter.pdf"
    write_atomic(target, b"x")
    assert target.stat().st_mode & 0o077 == 0
