"""The "Request missing records" letter: what the partner reads in it, what the desk's records say after
it was made, and that a refused or failed letter leaves neither a file nor a trace in the log."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from refdesk.domain.models import LetterSent
from refdesk.domain.times import to_local
from refdesk.domain.vocab import LetterKind
from refdesk.errors import RefDeskError
from refdesk.reports import atomic
from refdesk.reports.atomic import ExportError
from refdesk.reports.letter_parts import Recipient
from refdesk.reports.letterhead import Letterhead
from refdesk.reports.missing_records import (
    MissingRecord,
    RecordsRequest,
    build_letter,
    default_file_name,
    request_missing_records,
)
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.services.records import add_record, list_records, mark_received
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.accounts import coordinator
from tests.refdesk.reports.clinic_data import receives_updates
from tests.refdesk.services.helpers import audit_rows, count

NOW = datetime.now(UTC)
TODAY = to_local(NOW).date()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def request(**changes: object) -> RecordsRequest:
    values: dict[str, object] = {
        "letterhead": Letterhead("Riverside Clinic", ("12 River Road",), "(555) 201-0000", "(555) 201-0001"),
        "recipient": Recipient(
            "Oak Street Primary Care", "Dr. Øyvind Ærø", None, ("1 Oak St",), "(555) 310-2200"
        ),
        "patient_name": "<b>Ольга</b> & O'Brien",
        "patient_dob": date(1958, 4, 2),
        "referral_number": "R-000123",
        "received_on": date(2024, 5, 13),
        "service_line": "Physical therapy",
        "missing": (MissingRecord("Recent notes"), MissingRecord("MRI <lumbar> & report", date(2024, 5, 13))),
        "staff_name": "Łukasz Wiśniewski",
        "letter_date": date(2024, 5, 15),
        "generated_at": datetime(2024, 5, 15, 14, 30, tzinfo=UTC),
    }
    values.update(changes)
    return RecordsRequest(**values)  # type: ignore[arg-type]


def test_the_letter_prints_names_and_record_names_exactly_as_typed() -> None:
    text = text_of(build_letter(request()))

    assert "Re: Request for records — <b>Ольга</b> & O'Brien, DOB 04/02/1958" in text
    assert "Referral R-000123, received on May 13, 2024" in text
    assert "Dear Dr. Øyvind Ærø," in text
    assert "Recent notes" in text
    assert "MRI <lumbar> & report (first requested on May 13, 2024)" in text
    assert "Please fax them to (555) 201-0001" in text
    assert "Łukasz Wiśniewski" in text
    assert "Page 1 of 1" in text


def test_a_reminder_says_when_the_records_were_first_asked_for() -> None:
    asked = (MissingRecord("Recent notes", date(2024, 5, 13), date(2024, 5, 14)),)
    text = " ".join(text_of(build_letter(request(missing=asked))).split())
    assert "We wrote to you on May 13, 2024 asking for the records below" in text
    assert "Recent notes (first requested on May 13, 2024, reminder sent May 14, 2024)" in text


@pytest.fixture
def clinic(db: Database, actor: Actor, partner_id: int) -> None:
    """The letterhead filled in, and the partner's address and the person who receives updates."""
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_NAME, "Riverside Clinic")
    settings.save_letterhead_field(
        db, coordinator(db), settings.CLINIC_ADDRESS, "12 River Road\nSpringfield, IL 62704"
    )
    settings.save_letterhead_field(db, coordinator(db), settings.CLINIC_FAX, "555 201 0001")
    receives_updates(db, partner_id, "Ольга <Smith>", "Office manager", partner_fax="(555) 310-2200")


def letters(db: Database) -> list[LetterSent]:
    with db.session() as session:
        return list(session.scalars(select(LetterSent).order_by(LetterSent.id)))


def test_the_letter_is_saved_logged_and_the_records_marked_requested(
    db: Database, actor: Actor, clinic: None, partner_id: int, new_referral: NewReferral, tmp_path: Path
) -> None:
    referral_id = create_referral(
        db, actor, replace(new_referral, patient_first_name="<b>Ольга</b>", patient_last_name="& O'Brien")
    )
    add_record(db, actor, referral_id, "Imaging report")
    target = tmp_path / default_file_name(referral_id)

    result = request_missing_records(db, actor, referral_id, target, now=NOW)

    data = target.read_bytes()
    text = text_of(data)
    assert "<b>Ольга</b> & O'Brien, DOB 04/02/1958" in text
    assert (
        "Ольга <Smith>, Office manager\nOak Street Primary Care\n1 Oak Street\nSpringfield, IL 62701" in text
    )
    assert "By fax: (555) 310-2200" in text
    assert "Low back pain" not in text  # minimum necessary: no reason for referral, no clinical notes
    assert "Maria Lopez" in text
    [letter] = letters(db)
    assert (letter.partner_id, letter.kind, letter.staff_id) == (
        partner_id,
        LetterKind.MISSING_RECORDS,
        actor.staff_id,
    )
    assert letter.file_name == target.name == f"R-{referral_id:06d} records request.pdf"
    assert letter.sha256 == result.sha256 == hashlib.sha256(data).hexdigest()
    assert [(r.name, r.requested_on, r.chased_on) for r in list_records(db, referral_id)] == [
        ("Recent notes", TODAY, None),
        ("Imaging report", TODAY, None),
    ]
    assert (result.requested, result.chased) == (2, 0)
    [audit] = audit_rows(db, "referral.records_letter")
    assert audit.success and audit.entity_id == referral_id
    assert audit.detail is not None and audit.detail["sha256"] == letter.sha256


def test_a_second_letter_chases_what_is_still_missing(
    db: Database, actor: Actor, clinic: None, referral_id: int, tmp_path: Path
) -> None:
    last_week = NOW - timedelta(days=7)
    request_missing_records(db, actor, referral_id, tmp_path / "first.pdf", now=last_week)
    new_id = add_record(db, actor, referral_id, "Imaging report")

    result = request_missing_records(db, actor, referral_id, tmp_path / "second.pdf", now=NOW)

    first_day = to_local(last_week).date()
    assert [(r.id == new_id, r.requested_on, r.chased_on) for r in list_records(db, referral_id)] == [
        (False, first_day, TODAY),
        (True, TODAY, None),
    ]
    assert (result.requested, result.chased) == (1, 1)
    assert "first requested on" in text_of((tmp_path / "second.pdf").read_bytes())
    assert len(letters(db)) == 2


def test_refused_when_every_record_has_arrived(
    db: Database, actor: Actor, clinic: None, referral_id: int, tmp_path: Path
) -> None:
    [record] = list_records(db, referral_id)
    mark_received(db, actor, record.id, TODAY)
    target = tmp_path / "letter.pdf"

    with pytest.raises(RefDeskError, match="nothing to request"):
        request_missing_records(db, actor, referral_id, target, now=NOW)

    assert not target.exists() and letters(db) == []
    assert [a.success for a in audit_rows(db, "referral.records_letter")] == [False]


def test_refused_without_a_clinic_name_on_the_letterhead(
    db: Database, actor: Actor, referral_id: int, tmp_path: Path
) -> None:
    with pytest.raises(RefDeskError, match="Letters need the clinic's name"):
        request_missing_records(db, actor, referral_id, tmp_path / "letter.pdf", now=NOW)
    assert list(tmp_path.glob("*.pdf")) == []


def test_a_failed_write_saves_nothing_and_leaves_no_file_behind(
    db: Database,
    actor: Actor,
    clinic: None,
    referral_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()

    def disk_full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(ExportError, match="No space left on device"):
        request_missing_records(db, actor, referral_id, folder / "letter.pdf", now=NOW)

    assert list(folder.iterdir()) == []
    assert letters(db) == [] and count(db, LetterSent) == 0
    assert [(r.requested_on, r.chased_on) for r in list_records(db, referral_id)] == [(None, None)]
    assert [a.success for a in audit_rows(db, "referral.records_letter")] == [False]
