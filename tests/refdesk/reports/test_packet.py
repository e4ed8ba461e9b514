"""The referral packet as a partner's office reads it: the service line's own words printed as typed,
the records it needs, what happens after a referral and when, in business days, on one page; and the
file written whole and audited."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from refdesk.domain.models import ServiceLine
from refdesk.errors import NotFoundError, RefDeskError
from refdesk.reports.letterhead import Letterhead
from refdesk.reports.packet import Packet, build_packet, default_file_name, topic, within, write_packet
from refdesk.services import audit
from refdesk.services.actor import Actor
from refdesk.storage import Database
from tests.refdesk.reports.clinic_data import fill_letterhead
from tests.refdesk.services.helpers import audit_rows

HEAD = Letterhead("Riverside Clinic", ("12 River Road",), "(555) 201-0000", "(555) 201-0001")


def text_of(pdf: bytes) -> tuple[int, str]:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return len(pages), " ".join(" ".join(page.extract_text() for page in pages).split())


def packet(**changes: object) -> Packet:
    values: dict[str, object] = {
        "letterhead": HEAD,
        "service_line": "Ортопедия <b>& Spine</b>",
        "description": "Evaluation for Zoë Nguyễn's & <others'> back pain",
        "criteria": "Adults 18+\n- Imaging within 6 months <MRI>\n- Łukasz <b>&amp; rule",
        "how_to_refer": "Fax the form & notes.",
        "after_referral": "We call the patient within one business day.",
        "required_records": ("Imaging report <MRI>", "Recent notes & labs"),
        "intake_topics": ("Interpreter needed? Which language?", "Insurance and authorization"),
        "ack_target_hours": 4,
        "first_contact_target_hours": 16,
        "max_attempts": 3,
        "generated_at": datetime(2024, 5, 15, 14, 30, tzinfo=UTC),
    }
    values.update(changes)
    return Packet(**values)  # type: ignore[arg-type]


def test_the_packet_prints_the_service_lines_words_exactly_and_fits_on_one_page() -> None:
    pages, text = text_of(build_packet(packet()))

    assert pages == 1
    for typed in (
        "Ортопедия <b>& Spine</b>",
        "Evaluation for Zoë Nguyễn's & <others'> back pain",
        "Adults 18+",
        "Imaging within 6 months <MRI>",
        "Łukasz <b>&amp; rule",
        "Fax the form & notes.",
        "Imaging report <MRI>",
        "Recent notes & labs",
    ):
        assert typed in text
    assert "Fax (555) 201-0001" in text and "Phone (555) 201-0000" in text
    assert "Within 4 business hours We confirm to your office" in text
    assert "Within 2 business days We call the patient" in text and "up to 3 times" in text
    assert "we go through: interpreter needed; insurance and authorization." in text


def test_targets_read_as_business_hours_or_days() -> None:
    assert [within(hours) for hours in (1, 4, 9, 16, 18, 40)] == [
        "within 1 business hour",
        "within 4 business hours",
        "within one business day",
        "within 2 business days",
        "within 2 business days",
        "within 5 business days",
    ]


def test_an_intake_prompt_becomes_a_topic_a_partner_reads() -> None:
    assert (
        topic("Reason for referral: “Your doctor’s office referred you…” Confirmed?") == "reason for referral"
    )
    assert topic("Interpreter needed? Which language?") == "interpreter needed"
    assert topic("MRI on file?") == "MRI on file"
    assert topic("Required records on file (Recent clinic notes, Surgical protocol (post-op only))") == (
        "required records on file"
    )


def test_the_packet_is_written_from_the_service_line_and_audited(
    db: Database, actor: Actor, service_line_id: int, tmp_path: Path
) -> None:
    fill_letterhead(db, actor)
    with db.transaction() as session:
        line = session.get(ServiceLine, service_line_id)
        assert line is not None
        line.criteria, line.how_to_refer = "Adults with back pain", "Fax or portal"
        line.after_referral = "We book an evaluation."
        line.required_records = ["Recent notes", "Imaging report"]
    target = tmp_path / default_file_name("Physical therapy")

    assert write_packet(db, actor, service_line_id, target) == target

    pages, text = text_of(target.read_bytes())
    assert target.name == "Referral packet - Physical therapy.pdf"
    assert pages == 1 and "Physical therapy" in text and "Adults with back pain" in text
    assert "Recent notes" in text and "Imaging report" in text
    assert "reason for referral; preferred contact method and time" in text  # the shipped script
    [audit] = audit_rows(db, "report.packet")
    assert audit.success and audit.entity_id == service_line_id
    assert audit.detail == {
        "file_name": target.name,
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
    }


def test_refused_without_a_clinic_name_or_a_service_line(
    db: Database, actor: Actor, service_line_id: int, tmp_path: Path
) -> None:
    with pytest.raises(RefDeskError, match="clinic's name"):
        write_packet(db, actor, service_line_id, tmp_path / "p.pdf")
    fill_letterhead(db, actor)
    with pytest.raises(NotFoundError):
        write_packet(db, actor, 999, tmp_path / "p.pdf")
    assert not (tmp_path / "p.pdf").exists()
    assert [a.success for a in audit_rows(db, "report.packet")] == [False, False]


def test_a_packet_whose_audit_row_cannot_be_written_is_taken_back(
    db: Database, actor: Actor, service_line_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is on disk matches the log: no packet file without its audit row."""
    fill_letterhead(db, actor)

    def broken_record(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit table is locked")

    monkeypatch.setattr(audit, "record", broken_record)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError):
        write_packet(db, actor, service_line_id, out / "packet.pdf")
    assert list(out.iterdir()) == []
