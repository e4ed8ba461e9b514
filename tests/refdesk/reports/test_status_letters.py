"""Partner status letters as the partner reads them (each referral's standing in plain words, names as
typed, nothing clinical) and as the desk's records show them afterwards (each letter logged with its
file's hash, one audit row), and what Cancel and a failed write leave behind: nothing."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import LetterSent
from refdesk.domain.vocab import LetterKind
from refdesk.errors import NotFoundError, OperationCancelled, RefDeskError
from refdesk.reports import atomic
from refdesk.reports.atomic import ExportError
from refdesk.reports.letter_parts import Recipient
from refdesk.reports.letterhead import Letterhead
from refdesk.reports.status_letters import (
    LetterBatch,
    ReferralStatus,
    Standing,
    StatusLetter,
    build_letters,
    letter_file_name,
    safe_file_stem,
    status_words,
    write_letters,
)
from refdesk.services import intake
from refdesk.services.actor import Actor
from refdesk.services.metrics import Period
from refdesk.storage import Database
from tests.refdesk.reports.clinic_data import (
    DECLINED,
    OTHER_PARTNER,
    SCHEDULED,
    SEEN,
    UNREACHED,
    WAITING,
    Month,
    full,
)
from tests.refdesk.services.helpers import audit_rows

MAY = Period(date(2024, 5, 1), date(2024, 5, 31))
HEAD = Letterhead("Riverside Clinic", ("12 River Road",), "(555) 201-0000", "(555) 201-0001")


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(pdf: bytes) -> str:
    """The text with line breaks as spaces: table cells wrap where the width says."""
    return " ".join(" ".join(pages(pdf)).split())


def line(name: str, status: str, note: str = "", standing: Standing = Standing.IN_PROGRESS) -> ReferralStatus:
    return ReferralStatus(
        "R-000123", name, date(1958, 4, 2), "Physical therapy", date(2024, 5, 3), status, note, standing
    )


def batch(*letters: StatusLetter) -> LetterBatch:
    return LetterBatch(
        HEAD, MAY, "Maria Lopez", date(2024, 6, 3), datetime(2024, 6, 3, 14, tzinfo=UTC), letters
    )


# -- the words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "reason", "expected"),
    [
        (State.RECEIVED, None, ("Received; contacting the patient", "", Standing.IN_PROGRESS)),
        (State.CONTACT_ATTEMPTED, None, ("Trying to reach the patient", "", Standing.IN_PROGRESS)),
        (State.REACHED, None, ("Patient reached; being scheduled", "", Standing.IN_PROGRESS)),
        (State.SCHEDULED, None, ("Scheduled for May 20, 2024", "", Standing.SCHEDULED)),
        (State.COMPLETED, None, ("Seen on May 20, 2024", "", Standing.SEEN)),
        (
            State.NO_SHOW,
            None,
            (
                "Missed the appointment; following up",
                "Appointment of May 20, 2024",
                Standing.IN_PROGRESS,
            ),
        ),
        (
            State.UNABLE_TO_REACH,
            CloseReason.NO_RESPONSE,
            ("Could not reach the patient", "Closed May 22, 2024", Standing.CLOSED),
        ),
        (
            State.DECLINED_BY_CLINIC,
            CloseReason.OUT_OF_NETWORK,
            ("Declined: insurance out of network", "Closed May 22, 2024", Standing.CLOSED),
        ),
        (
            State.DECLINED_BY_PATIENT,
            CloseReason.PATIENT_COST,
            ("Declined by the patient", "Closed May 22, 2024", Standing.CLOSED),
        ),
    ],
)
def test_each_standing_reads_in_plain_words(
    state: State, reason: CloseReason | None, expected: tuple[str, str, Standing]
) -> None:
    closed = date(2024, 5, 22) if reason else None
    assert status_words(state, reason, date(2024, 5, 20), closed) == expected


# -- the document ------------------------------------------------------------------------------------


def test_names_in_any_script_and_with_markup_characters_print_exactly_as_typed() -> None:
    names = ["Zoë Nguyễn", "Łukasz <b>&amp;", "Ольга Петрова", '<img src="x.png"/> & Co']
    letter = StatusLetter(
        7,
        Recipient("Oak <Street> & Sons", "Dr. Øyvind Ærø", "Office manager", ("1 Oak St",), "(555) 310-2200"),
        tuple(line(name, "Seen on May 20, 2024", standing=Standing.SEEN) for name in names),
    )

    pdf = build_letters(batch(letter))

    text = pages(pdf)[0]
    for name in names:
        assert name in text.splitlines()
    assert "Dr. Øyvind Ærø, Office manager\nOak <Street> & Sons\n1 Oak St" in text
    assert "Dear Dr. Øyvind Ærø," in text
    assert "Re: Status of your referrals — May 2024" in text
    assert "4 referrals: 4 seen" in flat(pdf)
    assert "R-000123 · Physical therapy" in text


def test_one_file_gives_each_letter_its_letterhead_its_pages_and_an_outline_entry() -> None:
    many = tuple(line(f"Patient {n}", "Received; contacting the patient") for n in range(70))
    letters = (
        StatusLetter(1, Recipient("Alpha Care"), many),
        StatusLetter(2, Recipient("Beta Clinic", "Ann Lee"), (line("Solo Patient", "Seen"),)),
    )

    pdf = build_letters(batch(*letters))

    texts = pages(pdf)
    firsts = [n for n, text in enumerate(texts) if text.startswith("Riverside Clinic\n12 River Road")]
    assert len(firsts) == 2 and firsts[0] == 0
    alpha, beta = texts[: firsts[1]], texts[firsts[1] :]
    assert len(alpha) >= 2 and len(beta) == 1
    for number, text in enumerate(alpha, start=1):
        assert f"Page {number} of {len(alpha)}" in text and "Alpha Care · May 2024" in text
    assert "Page 1 of 1" in beta[0] and "Dear Ann Lee," in beta[0] and "Patient 3" not in beta[0]
    assert "Dear Colleague," in alpha[0]
    reader = PdfReader(io.BytesIO(pdf))
    assert [(item.title, reader.get_destination_page_number(item)) for item in reader.outline] == [
        ("Alpha Care", 0),
        ("Beta Clinic", firsts[1]),
    ]
    assert reader.metadata is not None and reader.metadata.title == "Referral status"


def test_a_partner_without_referrals_in_the_period_gets_a_short_letter() -> None:
    text = flat(build_letters(batch(StatusLetter(1, Recipient("Quiet Practice"), ()))))
    assert "We received no referrals from your office between May 1, 2024 and May 31, 2024" in text
    assert "Where it stands" not in text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Oak Street Primary Care", "Oak Street Primary Care"),
        ("Zoë Nguyễn / Family: <Care>?", "Zoë Nguyễn Family Care"),
        ("..\\..\\etc", "etc"),
        ("CON", "Partner 9"),
        ("   ", "Partner 9"),
        ("x" * 200, "x" * 80),
    ],
)
def test_a_partner_name_becomes_a_safe_file_name(name: str, expected: str) -> None:
    assert safe_file_stem(name, "Partner 9") == expected


def test_a_letter_file_is_named_after_the_partner_and_the_period() -> None:
    assert letter_file_name("Oak St", 3, MAY) == "Oak St - status 2024-05.pdf"
    assert letter_file_name("Oak St", 3, Period(date(2024, 5, 1), date(2024, 5, 15))) == (
        "Oak St - status 2024-05-01 to 2024-05-15.pdf"
    )


# -- the desk's action -------------------------------------------------------------------------------


def letters(db: Database) -> list[LetterSent]:
    with db.session() as session:
        return list(session.scalars(select(LetterSent).order_by(LetterSent.id)))


def test_the_letters_say_where_each_referral_stands_and_each_is_logged(
    db: Database, actor: Actor, month: Month, out: Path
) -> None:
    target = out / "status.pdf"

    written = write_letters(db, actor, month.period, None, target)

    assert written == [target]
    data = target.read_bytes()
    text = flat(data)
    for name in (SEEN, SCHEDULED, UNREACHED, DECLINED, WAITING):
        assert full(name) in text
    seen_on = f"{month.seen_day:%B} {month.seen_day.day}, {month.seen_day.year}"
    booked_for = f"{month.appointment_day:%B} {month.appointment_day.day}, {month.appointment_day.year}"
    assert f"Seen on {seen_on}" in text
    assert f"Scheduled for {booked_for}" in text
    assert "Could not reach the patient" in text
    assert "Declined: insurance out of network" in text
    assert "Received; contacting the patient" in text
    assert "5 referrals: 1 seen, 1 scheduled, 1 in progress, 2 closed" in text
    assert "Dear Dr. Øyvind <Ærø>," in text and "By fax: (555) 310-2200" in text
    assert "Long Ago" not in text  # received before the period
    assert "Low back pain" not in text and "555" + "-201-4477" not in text  # no reason, no patient phone
    assert OTHER_PARTNER in text and "Mia Other" in text
    digest = hashlib.sha256(data).hexdigest()
    logged = letters(db)
    assert sorted(letter.partner_id for letter in logged) == sorted(
        [month.partner_id, month.other_partner_id]
    )
    for letter in logged:
        assert (letter.kind, letter.period_start, letter.period_end) == (
            LetterKind.STATUS,
            month.period.start,
            month.period.end,
        )
        assert (letter.staff_id, letter.file_name, letter.sha256) == (actor.staff_id, "status.pdf", digest)
    [audit] = audit_rows(db, "report.letters")
    assert audit.success and audit.detail is not None and audit.detail["letters"] == 2


def test_one_file_per_partner_in_a_folder(db: Database, actor: Actor, month: Month, out: Path) -> None:
    seen_progress: list[tuple[int, int]] = []

    written = write_letters(
        db,
        actor,
        month.period,
        [month.other_partner_id, month.partner_id],
        out,
        one_file=False,
        progress=lambda done, total: seen_progress.append((done, total)),
    )

    when = f"{month.period.start.isoformat()} to {month.period.end.isoformat()}"
    assert [path.name for path in written] == [
        f"Oak Street Primary Care - status {when}.pdf",
        f"Ольга's Care & Co i - status {when}.pdf",
    ]
    assert full(SEEN) in flat(written[0].read_bytes()) and "Mia Other" not in flat(written[0].read_bytes())
    assert "Mia Other" in flat(written[1].read_bytes())
    by_partner = {letter.partner_id: letter for letter in letters(db)}
    for path, partner in zip(written, (month.partner_id, month.other_partner_id), strict=True):
        assert by_partner[partner].file_name == path.name
        assert by_partner[partner].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert seen_progress[-1] == (2, 2)
    assert len(audit_rows(db, "report.letters")) == 1


def test_cancel_leaves_no_file_no_log_and_an_audited_failure(
    db: Database, actor: Actor, month: Month, out: Path
) -> None:
    target = out / "status.pdf"
    calls: list[int] = []

    def stop_at_the_second() -> bool:
        calls.append(1)
        return len(calls) >= 2

    with pytest.raises(OperationCancelled):
        write_letters(db, actor, month.period, None, target, should_stop=stop_at_the_second)

    assert list(out.iterdir()) == [] and letters(db) == []
    assert [(a.success, (a.detail or {}).get("error")) for a in audit_rows(db, "report.letters")] == [
        (False, "Cancelled: no letter was written.")
    ]


def test_a_failed_write_saves_nothing_and_leaves_no_file(
    db: Database, actor: Actor, month: Month, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(ExportError, match="No space left on device"):
        write_letters(db, actor, month.period, None, out, one_file=False)
    assert list(out.iterdir()) == [] and letters(db) == []
    assert [a.success for a in audit_rows(db, "report.letters")] == [False]


def test_refusals_in_plain_words(
    db: Database, actor: Actor, month: Month, partner_id: int, out: Path
) -> None:
    empty = Period(date(2001, 1, 1), date(2001, 1, 31))
    with pytest.raises(RefDeskError, match="No partner sent a referral in January 2001"):
        write_letters(db, actor, empty, None, out / "x.pdf")
    with pytest.raises(NotFoundError, match="No partner with id 9999"):
        write_letters(db, actor, month.period, [9999], out / "x.pdf")
    with pytest.raises(RefDeskError, match="does not exist"):
        write_letters(db, actor, month.period, None, out / "nowhere", one_file=False)
    # a partner chosen by hand gets a letter even in a quiet month
    [path] = write_letters(db, actor, empty, [partner_id], out / "quiet.pdf")
    assert "We received no referrals from your office" in flat(path.read_bytes())
    assert [a.success for a in audit_rows(db, "report.letters")] == [False, False, False, True]


def test_no_letter_without_the_clinics_name(db: Database, actor: Actor, referral_id: int, out: Path) -> None:
    today = date.today()
    with pytest.raises(RefDeskError, match="Letters need the clinic's name"):
        write_letters(db, actor, Period(today.replace(day=1), today), None, out / "x.pdf")
    assert list(out.glob("*.pdf")) == []


def test_a_patient_who_declined_updates_is_listed_without_where_the_referral_stands(
    db: Database, actor: Actor, month: Month, out: Path
) -> None:
    intake.answer(db, actor, month.scheduled, intake.CONSENT_KEY, False)
    intake.answer(db, actor, month.seen, intake.CONSENT_KEY, True)

    [written] = write_letters(db, actor, month.period, [month.partner_id], out / "status.pdf")
    text = flat(written.read_bytes())

    assert full(SCHEDULED) in text  # the referrer knows whom they sent
    assert "Scheduled for" not in text
    assert "Not shared: the patient asked us not to send updates" in text
    assert "Seen on" in text  # a yes changes nothing
    assert "1 not shared at the patient's request" in text
