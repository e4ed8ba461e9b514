"""The "Request missing records" letter: one referral, to the partner who sent it, on the clinic's letterhead.

``build_letter`` turns plain data into PDF bytes (pure: tests and previews call it directly).
``request_missing_records`` is the desk's action: it reads the referral, writes the letter atomically,
logs the letter (partner, who, when, file name, SHA-256) and marks each missing record requested today,
or chased today when it had been requested before, all in one audited transaction.

The letter carries the minimum a records office needs to find the chart: the patient's name and date of
birth, our referral number and when it arrived. No reason for referral, no clinical notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from reportlab.platypus import Flowable, Paragraph
from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.formats import referral_number
from refdesk.domain.models import LetterSent, Partner, Referral, ReferralRecord
from refdesk.domain.times import to_local, utc_now
from refdesk.domain.vocab import LetterKind
from refdesk.errors import NotFoundError, RefDeskError
from refdesk.reports.atomic import taken_back_on_failure, write_atomic
from refdesk.reports.base import (
    DocumentInfo,
    Layout,
    PageSize,
    Styles,
    bullets,
    long_date,
    markup,
    render,
    require_clinic_name,
    short_date,
    styles,
)
from refdesk.reports.letter_parts import Recipient, closing, opening, recipients, staff_name
from refdesk.reports.letterhead import Letterhead
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.storage import Database

TITLE = "Request for records"


@dataclass(frozen=True, slots=True)
class MissingRecord:
    name: str
    requested_on: date | None = None
    chased_on: date | None = None


@dataclass(frozen=True, slots=True)
class RecordsRequest:
    """Everything the letter prints, as plain values."""

    letterhead: Letterhead
    recipient: Recipient
    patient_name: str
    patient_dob: date
    referral_number: str
    received_on: date
    service_line: str
    missing: tuple[MissingRecord, ...]
    staff_name: str
    letter_date: date
    generated_at: datetime
    page_size: PageSize = PageSize.LETTER


def _was_asked(record: MissingRecord, letter_date: date) -> str:
    """When we asked before: nothing for a record first asked for today (in this very letter)."""
    if record.requested_on is None or record.requested_on >= letter_date:
        return ""
    text = f"first requested on {long_date(record.requested_on)}"
    if record.chased_on is not None and record.chased_on != record.requested_on:
        text += f", reminder sent {long_date(record.chased_on)}"
    return text


def _story(request: RecordsRequest, style: Styles) -> list[Flowable]:
    clinic = request.letterhead.clinic_name
    number = request.referral_number
    already = [
        r for r in request.missing if r.requested_on is not None and r.requested_on < request.letter_date
    ]
    subject = (
        f"<b>Re: {TITLE} — {markup(request.patient_name)}, DOB {short_date(request.patient_dob)}</b><br/>"
        f"Referral {markup(number)}, received on {long_date(request.received_on)}"
    )
    story = opening(request.letter_date, request.recipient, subject, style)
    service = f" for {markup(request.service_line)}" if request.service_line else ""
    story.append(
        Paragraph(
            f"Thank you for referring the patient named above to {markup(clinic)}{service}. Before we can "
            "schedule the first visit, we need the following records, which we have not received yet:",
            style.body,
        )
    )
    if already and len(already) == len(request.missing):
        first = min(record.requested_on for record in already if record.requested_on is not None)
        story[-1] = Paragraph(
            f"Thank you for referring the patient named above to {markup(clinic)}{service}. We wrote to you "
            f"on {long_date(first)} asking for the records below and have not received them yet. We "
            "cannot schedule the first visit until they arrive:",
            style.body,
        )
    items = []
    for record in request.missing:
        asked = _was_asked(record, request.letter_date)
        items.append(markup(record.name) + (f" <font color='#555555'>({asked})</font>" if asked else ""))
    story += bullets(items, style.bullet)
    story.append(Paragraph(_how_to_send(request), style.body))
    story.append(Paragraph("Thank you for your help in caring for this patient.", style.body))
    story += closing(request.staff_name, request.letterhead, style, signature_room=30, before_notice=8)
    return story


def _how_to_send(request: RecordsRequest) -> str:
    head = request.letterhead
    number = markup(request.referral_number)
    if head.fax:
        send = f"Please fax them to <b>{markup(head.fax)}</b>, marked “Referral {number}”"
    else:
        send = f"Please send them to us at the address above, marked “Referral {number}”"
    send += ", or through the secure channel you usually use with us."
    if head.phone:
        phone = markup(head.phone)
        send += f" If a record is not available, or you have any questions, please call us at {phone}."
    return send


def build_letter(request: RecordsRequest) -> bytes:
    """The letter as PDF bytes. Every value from the database or a person is escaped (promise 18)."""
    info = DocumentInfo(
        title=TITLE,
        letterhead=request.letterhead,
        generated_at=request.generated_at,
        layout=Layout.LETTER,
        page_size=request.page_size,
        reference=f"Referral {request.referral_number}",
        subject=f"Referral {request.referral_number}",
    )
    return render(info, _story(request, styles()))


def default_file_name(referral_id: int) -> str:
    """``R-000123 records request.pdf``: the referral number, no patient name (file names get shown and
    synced in places a letter's content never goes)."""
    return f"{referral_number(referral_id)} records request.pdf"


# -- the desk's action -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LetterResult:
    """What ``request_missing_records`` did."""

    letter_id: int
    path: Path
    sha256: str
    #: How many records were marked requested today, and how many chased today.
    requested: int
    chased: int


def _missing_rows(session: Session, referral_id: int) -> list[ReferralRecord]:
    return list(
        session.scalars(
            select(ReferralRecord)
            .where(ReferralRecord.referral_id == referral_id, ReferralRecord.received_on.is_(None))
            .order_by(ReferralRecord.id)
        )
    )


def _request(
    session: Session,
    referral: Referral,
    head: Letterhead,
    staff_name: str,
    now: datetime,
    page_size: PageSize,
) -> RecordsRequest:
    partner = session.get(Partner, referral.partner_id)
    assert partner is not None  # foreign key
    rows = _missing_rows(session, referral.id)
    return RecordsRequest(
        letterhead=head,
        recipient=recipients(session, [partner])[partner.id],
        patient_name=referral.patient_name,
        patient_dob=referral.patient_dob,
        referral_number=referral_number(referral.id),
        received_on=to_local(referral.received_at).date(),
        service_line=referral.service_line.name if referral.service_line else "",
        missing=tuple(MissingRecord(row.name, row.requested_on, row.chased_on) for row in rows),
        staff_name=staff_name,
        letter_date=to_local(now).date(),
        generated_at=now,
        page_size=page_size,
    )


def request_missing_records(
    db: Database,
    actor: Actor,
    referral_id: int,
    target: Path,
    *,
    page_size: PageSize = PageSize.LETTER,
    now: datetime | None = None,
) -> LetterResult:
    """Write the letter to ``target`` and record that it was sent; returns what was done.

    Records never requested are marked requested today; those requested on an earlier day are marked
    chased today (a second letter on the day of the first changes no date). The file is written inside the
    transaction, after every check: a refusal leaves no file, and a failed write saves nothing.

    Raises:
        RefDeskError: nothing is missing, or the clinic has no name for the letterhead.
        NotFoundError: no such referral.
        ExportError: the file could not be written.
    """
    moment = now or utc_now()
    today = to_local(moment).date()
    target = Path(target)
    head = settings.letterhead(db)
    # The letter on disk must match the log: when the commit fails after the write, it is taken back.
    with (
        taken_back_on_failure() as placed,
        audited(db, actor, "referral.records_letter", "referral", referral_id) as scope,
    ):
        session = scope.session
        referral = session.get(Referral, referral_id)
        if referral is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        require_clinic_name(head, "Letters need")
        request = _request(session, referral, head, staff_name(session, actor), moment, page_size)
        if not request.missing:
            raise RefDeskError(
                "Every record this referral needs has been received: there is nothing to request."
            )
        pdf = build_letter(request)
        requested = chased = 0
        for row in _missing_rows(session, referral_id):
            if row.requested_on is None:
                row.requested_on = today
                requested += 1
            elif row.requested_on < today:
                row.chased_on = today
                chased += 1
        letter = LetterSent(
            partner_id=referral.partner_id,
            kind=LetterKind.MISSING_RECORDS,
            staff_id=actor.staff_id,
            at=moment,
            file_name=target.name,
            sha256="",
        )
        session.add(letter)
        session.flush()
        letter.sha256 = write_atomic(target, pdf)
        placed.append(target)
        scope.detail.update(
            {
                "letter_id": letter.id,
                "file_name": target.name,
                "sha256": letter.sha256,
                "requested": requested,
                "chased": chased,
            }
        )
        return LetterResult(letter.id, target, letter.sha256, requested, chased)
