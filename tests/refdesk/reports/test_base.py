"""The document base as a reader of the PDF meets it: names in any script and with markup characters
print as typed, the letterhead and footer are on the page, and an export is written whole or not at all."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.platypus import PageBreak

from refdesk.errors import ValidationError
from refdesk.reports import atomic
from refdesk.reports.atomic import ExportError, write_atomic
from refdesk.reports.base import DocumentInfo, Layout, PageSize, markup, para, render, styles
from refdesk.reports.letterhead import Letterhead
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.refdesk.services.helpers import audit_rows

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


def _png(width: int = 120, height: int = 60, *, kind: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 78, 95)).save(out, kind)
    return out.getvalue()


def test_the_logo_is_drawn_and_a_damaged_one_is_left_out() -> None:
    body = styles().body
    logo = _png()

    with_logo = render(info(letterhead=Letterhead("Riverside Clinic", logo=logo)), [para("x", body)])
    assert _images(with_logo) == 1
    for damaged in (b"not an image", logo[: len(logo) // 2], b""):
        pdf = render(info(letterhead=Letterhead("Riverside Clinic", logo=damaged)), [para("x", body)])
        assert _images(pdf) == 0
        assert pages_text(pdf)[0].startswith("Riverside Clinic")
    assert "logo" not in repr(Letterhead("Riverside Clinic", logo=logo))  # no image bytes in a log line


def test_the_logo_is_kept_in_the_database_and_prints_after_its_file_is_deleted(
    db: Database, actor: Actor, tmp_path: Path
) -> None:
    file = tmp_path / "Clinic Logo.png"
    file.write_bytes(_png())
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    stored = settings.save_logo(db, coordinator(db), file)
    file.unlink()

    assert stored is not None and (stored.file_name, stored.media_type) == ("Clinic Logo.png", "image/png")
    assert settings.stored_logo(db) == stored
    pdf = render(info(letterhead=settings.letterhead(db)), [para("x", styles().body)])
    assert _images(pdf) == 1
    detail = audit_rows(db, "setting.update")[-1].detail
    assert detail is not None and detail["new"]["file_name"] == "Clinic Logo.png"
    assert stored.to_json()["data"] not in str(detail)  # the audit trail names the image, not its bytes

    settings.save_logo(db, coordinator(db), None)
    assert settings.letterhead(db).logo is None and settings.stored_logo(db) is None


def test_a_damaged_stored_logo_is_left_off_the_letter(db: Database, actor: Actor) -> None:
    settings.put(db, actor, settings.CLINIC_NAME, "Riverside Clinic")
    for value in ({"file_name": "a.png", "media_type": "image/png", "data": "***"}, "old/path.png"):
        settings.put(db, actor, settings.CLINIC_LOGO, value)
        assert settings.letterhead(db).logo is None
    bad = {"file_name": "a.png", "media_type": "image/png", "data": base64.b64encode(b"garbage").decode()}
    settings.put(db, actor, settings.CLINIC_LOGO, bad)
    pdf = render(info(letterhead=settings.letterhead(db)), [para("x", styles().body)])
    assert _images(pdf) == 0 and pages_text(pdf)[0].startswith("Riverside Clinic")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Meeting notes, renamed", "not a PNG, JPEG or GIF image"),
        (b"", "not a PNG, JPEG or GIF image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "damaged"),
        (b"GIF89a" + b"\xff" * (settings.MAX_LOGO_BYTES + 1), "too large (at most 1 MB)"),
        (None, "cannot be found"),
    ],
)
def test_a_logo_file_is_checked_by_its_content_and_nothing_is_saved_if_refused(
    db: Database, actor: Actor, tmp_path: Path, content: bytes | None, message: str
) -> None:
    file = tmp_path / "logo.png"
    if content is not None:
        file.write_bytes(content)
    with pytest.raises(ValidationError) as refused:
        settings.save_logo(db, coordinator(db), file)
    assert message in refused.value.errors[settings.CLINIC_LOGO]
    assert settings.get(db, settings.CLINIC_LOGO) is None


def test_the_logo_type_comes_from_its_content_not_its_name(tmp_path: Path) -> None:
    file = tmp_path / "logo.png"
    file.write_bytes(_png(kind="JPEG"))
    assert settings.read_logo_file(file).media_type == "image/jpeg"
    file.write_bytes(_png(kind="GIF"))
    assert settings.read_logo_file(file).media_type == "image/gif"
    file.write_bytes(_png(settings.MAX_LOGO_SIDE + 1, 10))
    with pytest.raises(ValidationError, match="pixels each way"):
        settings.read_logo_file(file)


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
