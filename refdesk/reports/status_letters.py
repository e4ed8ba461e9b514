"""Partner status letters: closing the loop with each referring partner, on the clinic's letterhead.

For each chosen partner, one letter to the person there who receives updates, listing the referrals
received from that partner in the period and where each stands today: received and being contacted,
scheduled for a date, seen on a date, or closed (could not reach, declined, ...) with the coded reason
in the plain words of ``lifecycle.CLOSE_REASONS[reason].letter_text``. The minimum necessary: the
patient's name and date of birth, our referral number, the service line and the dates. No reason for
referral, no notes, no phone numbers.

``build_letters`` turns plain data into PDF bytes (pure: tests and previews call it). ``write_letters``
is the desk's action: it reads the period's referrals in one query, renders the letters (off the GUI
thread, with progress and Cancel), then writes the file(s) atomically and logs every letter (partner,
period, who, when, file name, SHA-256) with one audit row, in one short transaction.

One file for all partners puts each letter on its own pages, with its own letterhead, "Page x of y"
and reference, so the pile can be split for mailing; the PDF's outline lists the partners.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.formats import referral_number
from refdesk.domain.lifecycle import CLOSE_REASONS, CloseReason, State
from refdesk.domain.models import (
    Appointment,
    LetterSent,
    Partner,
    Referral,
    ServiceLine,
)
from refdesk.domain.times import as_utc, to_local, utc_now
from refdesk.domain.vocab import LetterKind
from refdesk.errors import NotFoundError, RefDeskError
from refdesk.exports.trail import Steps, failures_audited
from refdesk.reports.atomic import taken_back_on_failure, write_atomic
from refdesk.reports.base import (
    Checkpoint,
    DocumentInfo,
    Layout,
    Listing,
    ListingLook,
    PageSize,
    Styles,
    content_width,
    long_date,
    markup,
    period_text,
    render,
    require_clinic_name,
    short_date,
    start_letter,
    styles,
)
from refdesk.reports.letter_parts import Recipient, closing, opening, recipients, staff_name
from refdesk.reports.letterhead import MUTED, Letterhead
from refdesk.services import intake, settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.metrics import Period
from refdesk.storage import Database

TITLE = "Referral status"
ACTION = "report.letters"
CANCELLED = "Cancelled: no letter was written."
#: The list's columns and their shares of the text width.
_COLUMNS = (("Patient", 0.35), ("DOB", 0.13), ("Received", 0.13), ("Where it stands", 0.39))


class Standing(Enum):
    """Where a referral stands, as the letter's opening sentence counts them."""

    SEEN = "seen"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in progress"
    CLOSED = "closed"
    WITHHELD = "not shared at the patient's request"


#: What a letter says of a referral whose patient declined updates to the referring partner.
WITHHELD_WORDS = "Not shared: the patient asked us not to send updates"


@dataclass(frozen=True, slots=True)
class ReferralStatus:
    """One line of the letter, as plain values."""

    number: str
    patient_name: str
    patient_dob: date
    service_line: str
    received_on: date
    #: Where it stands, in plain words ("Scheduled for May 20, 2024"), and a note under them
    #: ("Closed May 10, 2024"; "" when none).
    status: str
    note: str
    standing: Standing


@dataclass(frozen=True, slots=True)
class StatusLetter:
    """One partner's letter."""

    partner_id: int
    recipient: Recipient
    referrals: tuple[ReferralStatus, ...]


@dataclass(frozen=True, slots=True)
class LetterBatch:
    """Everything a batch of letters prints; one letter per entry of ``letters``."""

    letterhead: Letterhead
    period: Period
    staff_name: str
    letter_date: date
    generated_at: datetime
    letters: tuple[StatusLetter, ...]
    page_size: PageSize = PageSize.LETTER


# -- words -------------------------------------------------------------------------------------------


def status_words(
    state: State,
    close_reason: CloseReason | None,
    appointment_on: date | None,
    closed_on: date | None,
) -> tuple[str, str, Standing]:
    """Where a referral stands, in words a partner's office reads without our vocabulary: the words, a
    note under them ("" when none) and how the letter's opening sentence counts it.

    ``appointment_on`` is the day of the referral's newest appointment (the one booked, kept, missed or
    called off); ``closed_on`` the day a closed referral was closed.
    """
    day = long_date(appointment_on) if appointment_on else ""
    if state is State.COMPLETED:
        return (f"Seen on {day}" if day else "Seen"), "", Standing.SEEN
    if state is State.SCHEDULED:
        return (f"Scheduled for {day}" if day else "Scheduled"), "", Standing.SCHEDULED
    if state is State.RECEIVED:
        return "Received; contacting the patient", "", Standing.IN_PROGRESS
    if state is State.CONTACT_ATTEMPTED:
        return "Trying to reach the patient", "", Standing.IN_PROGRESS
    if state is State.REACHED:
        return "Patient reached; being scheduled", "", Standing.IN_PROGRESS
    booked = f"Appointment of {day}" if day else ""
    if state is State.NO_SHOW:
        return "Missed the appointment; following up", booked, Standing.IN_PROGRESS
    if state is State.APPOINTMENT_CANCELLED:
        return "Appointment cancelled; rebooking", booked, Standing.IN_PROGRESS
    reason = CLOSE_REASONS[close_reason].letter_text if close_reason else "closed"
    closed = f"Closed {long_date(closed_on)}" if closed_on is not None else ""
    return reason[:1].upper() + reason[1:], closed, Standing.CLOSED


def _counts_sentence(referrals: Sequence[ReferralStatus]) -> str:
    total = len(referrals)
    parts = []
    for standing in Standing:
        found = sum(1 for referral in referrals if referral.standing is standing)
        if found:
            parts.append(f"{found} {standing.value}")
    noun = "referral" if total == 1 else "referrals"
    return f"{total} {noun}: " + ", ".join(parts)


# -- the document ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CellStyles:
    text: ParagraphStyle
    note: ParagraphStyle


def _cell_styles(style: Styles) -> _CellStyles:
    return _CellStyles(
        text=style.cell,
        note=ParagraphStyle("RefDeskCellNote", parent=style.cell, fontSize=7.5, leading=10, textColor=MUTED),
    )


def _table(referrals: Sequence[ReferralStatus], style: Styles) -> Listing:
    cells = _cell_styles(style)
    rows = [
        [
            [
                (referral.patient_name, cells.text),
                (f"{referral.number} · {referral.service_line}", cells.note),
            ],
            [(short_date(referral.patient_dob), cells.text)],
            [(short_date(referral.received_on), cells.text)],
            [(referral.status, cells.text), (referral.note, cells.note)],
        ]
        for referral in referrals
    ]
    look = ListingLook(head=style.cell_head)
    return Listing(_COLUMNS, rows, look)


def _letter_story(batch: LetterBatch, letter: StatusLetter, style: Styles, width: float) -> list[Flowable]:
    head = batch.letterhead
    clinic = markup(head.clinic_name)
    period = batch.period
    words = period_text(period.start, period.end)
    subject = f"<b>Re: Status of your referrals — {markup(words)}</b>"
    story = opening(batch.letter_date, letter.recipient, subject, style)
    span = f"between {long_date(period.start)} and {long_date(period.end)}"
    if letter.referrals:
        story.append(
            Paragraph(
                f"Thank you for your referrals to {clinic}. Below is where each patient you referred to us "
                f"{span} stands as of {long_date(batch.letter_date)} "
                f"({_counts_sentence(letter.referrals)}).",
                style.body,
            )
        )
        story.append(_table(letter.referrals, style))
        story.append(Spacer(1, 10))
    else:
        story.append(
            Paragraph(
                f"We received no referrals from your office {span}. Thank you for thinking of {clinic}; "
                "we would be glad to see your patients again.",
                style.body,
            )
        )
    story.append(
        Paragraph(
            f"{_questions(head)} Thank you for your partnership in caring for these patients.", style.body
        )
    )
    story += closing(batch.staff_name, head, style, signature_room=24, before_notice=4)
    return story


def _questions(head: Letterhead) -> str:
    text = "If anything here does not match your records, or you would like an update on a patient"
    if head.phone:
        return f"{text}, please call us at {markup(head.phone)} and quote the referral number."
    return f"{text}, please contact us and quote the referral number."


def _info(batch: LetterBatch, reference: str) -> DocumentInfo:
    words = period_text(batch.period.start, batch.period.end)
    return DocumentInfo(
        title=TITLE,
        letterhead=batch.letterhead,
        generated_at=batch.generated_at,
        layout=Layout.LETTER,
        page_size=batch.page_size,
        reference=reference,
        subject=f"Referral status letters, {words}",
    )


def _reference(letter: StatusLetter, batch: LetterBatch) -> str:
    """The footer's left and the running head's right: partner and period (no patient)."""
    return f"{letter.recipient.partner_name} · {period_text(batch.period.start, batch.period.end)}"


def build_letters(batch: LetterBatch, *, on_letter: Callable[[int], None] | None = None) -> bytes:
    """All of ``batch``'s letters in one PDF, each starting on a new page with the letterhead.

    ``on_letter(index)`` is called as layout reaches each letter (0-based): the caller reports progress
    there and may stop the build by raising ``OperationCancelled``. Every user value is escaped.
    """
    style = styles()
    info = _info(batch, "")
    width = content_width(info)
    story: list[Flowable] = []
    for index, letter in enumerate(batch.letters):
        name = letter.recipient.partner_name
        story += start_letter(_reference(letter, batch), title=name, first=index == 0)
        if on_letter is not None:
            story.append(Checkpoint(lambda index=index: on_letter(index)))  # type: ignore[misc]
        story += _letter_story(batch, letter, style, width)
    return render(info, story)


# -- file names --------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_NAME_LENGTH = 80


def safe_file_stem(name: str, fallback: str) -> str:
    """``name`` made into a file name every system accepts: no path separators or characters Windows
    refuses, no trailing dot or space, not a reserved device name, at most 80 characters. Letters and
    accents stay (``Zoë Nguyễn``)."""
    cleaned = _UNSAFE.sub(" ", unicodedata.normalize("NFC", name))
    cleaned = " ".join(cleaned.split())[:_NAME_LENGTH].strip(" .")
    if not cleaned or _RESERVED.match(cleaned):
        return fallback
    return cleaned


def letter_file_name(partner_name: str, partner_id: int, period: Period) -> str:
    """``Oak Street Primary Care - status 2024-04.pdf``: one partner's letter in a folder of letters."""
    start, end = period.start, period.end
    if period_text(start, end) == f"{start:%B} {start.year}":
        when = f"{start:%Y-%m}"
    else:
        when = f"{start.isoformat()} to {end.isoformat()}"
    stem = safe_file_stem(partner_name, f"Partner {partner_id}")
    return f"{stem} - status {when}.pdf"


# -- reading -----------------------------------------------------------------------------------------


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC instants: local midnight of its first day, local midnight after its last."""
    start = as_utc(datetime.combine(period.start, time(0, 0)))
    end = as_utc(datetime.combine(period.end + timedelta(days=1), time(0, 0)))
    return start, end


def gather(session: Session, period: Period, partner_ids: Collection[int] | None) -> list[StatusLetter]:
    """The letters for ``partner_ids`` (None: every partner with a referral received in the period), in
    partner-name order. A partner asked for by id gets a letter even with no referral in the period.

    Raises:
        NotFoundError: an id names no partner.
    """
    start, end = period_bounds(period)
    in_period = [Referral.received_at >= start, Referral.received_at < end]
    if partner_ids is not None:
        in_period.append(Referral.partner_id.in_(sorted(set(partner_ids))))
    rows = session.execute(
        select(
            Referral.id,
            Referral.partner_id,
            Referral.patient_first_name,
            Referral.patient_last_name,
            Referral.patient_dob,
            ServiceLine.name,
            Referral.received_at,
            Referral.state,
            Referral.close_reason,
            Referral.closed_at,
        )
        .join(ServiceLine, ServiceLine.id == Referral.service_line_id)
        .where(*in_period)
        .order_by(Referral.partner_id, Referral.received_at, Referral.id)
    ).all()
    # The newest appointment of each referral (the last booked: kept, missed or called off).
    newest: dict[int, datetime] = {}
    for referral_id, starts_at in session.execute(
        select(Appointment.referral_id, Appointment.starts_at)
        .join(Referral, Referral.id == Appointment.referral_id)
        .where(*in_period)
        .order_by(Appointment.id)
    ):
        newest[referral_id] = starts_at
    withheld = intake.declined_updates(session, *in_period)
    wanted = set(partner_ids) if partner_ids is not None else {row[1] for row in rows}
    partners = list(session.scalars(select(Partner).where(Partner.id.in_(sorted(wanted)))))
    missing = wanted - {partner.id for partner in partners}
    if missing:
        raise NotFoundError(f"No partner with id {min(missing)}.")
    partners.sort(key=lambda partner: (partner.name.casefold(), partner.id))
    found = recipients(session, partners)
    by_partner: dict[int, list[ReferralStatus]] = {partner.id: [] for partner in partners}
    for rid, pid, first, last, dob, line, received_at, state, reason, closed_at in rows:
        appointment = newest.get(rid)
        words, note, standing = status_words(
            state,
            reason,
            to_local(appointment).date() if appointment is not None else None,
            to_local(closed_at).date() if closed_at is not None else None,
        )
        if rid in withheld:
            words, note, standing = WITHHELD_WORDS, "", Standing.WITHHELD
        by_partner[pid].append(
            ReferralStatus(
                number=referral_number(rid),
                patient_name=f"{first} {last}",
                patient_dob=dob,
                service_line=line,
                received_on=to_local(received_at).date(),
                status=words,
                note=note,
                standing=standing,
            )
        )
    return [StatusLetter(p.id, found[p.id], tuple(by_partner[p.id])) for p in partners]


# -- the desk's action -------------------------------------------------------------------------------


def write_letters(
    db: Database,
    actor: Actor,
    period: Period,
    partner_ids: Collection[int] | None,
    target: Path,
    *,
    one_file: bool = True,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    page_size: PageSize = PageSize.LETTER,
    now: datetime | None = None,
) -> list[Path]:
    """Write the status letters and log each one; returns the files written.

    ``one_file``: every letter in the PDF ``target``; otherwise ``target`` is a folder and each partner
    gets its own file there (``letter_file_name``). ``partner_ids`` None: every partner that referred
    someone in the period. ``progress(done, total)`` counts letters laid out; ``should_stop()`` true
    stops at the next letter with ``OperationCancelled``, and nothing is written or logged.

    The letters are read and laid out outside any write transaction (the desk keeps saving meanwhile);
    the files are then written, and the letters logged with one audit row, in one short transaction: a
    failure writes nothing, or takes back what it wrote.

    Raises:
        RefDeskError: no clinic name on the letterhead, or no letter to write.
        NotFoundError: a partner id names no partner.
        OperationCancelled: ``should_stop()`` became true.
        ExportError: a file could not be written.
    """
    moment = now or utc_now()
    target = Path(target)
    with failures_audited(db, actor, ACTION, "partner"):
        head = settings.letterhead(db)
        require_clinic_name(head, "Letters need")
        if period.end < period.start:
            raise RefDeskError("The period ends before it starts.")
        if not one_file and not target.is_dir():
            raise RefDeskError(f"Cannot save the letters: the folder {target} does not exist.")
        with db.session() as session:
            letters = gather(session, period, partner_ids)
            signer = staff_name(session, actor)
        if not letters:
            words = period_text(period.start, period.end)
            raise RefDeskError(f"No partner sent a referral in {words}: there is no letter to write.")
        today = to_local(moment).date()
        batch = LetterBatch(head, period, signer, today, moment, tuple(letters), page_size)
        files = _render(batch, target, one_file, progress, should_stop)
    return _save(db, actor, batch, files)


def _render(
    batch: LetterBatch,
    target: Path,
    one_file: bool,
    progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> list[tuple[Path, bytes, tuple[StatusLetter, ...]]]:
    total = len(batch.letters)
    steps = Steps(progress, should_stop, CANCELLED)
    if one_file:
        pdf = build_letters(batch, on_letter=lambda index: steps.step(index, total))
        files = [(target, pdf, batch.letters)]
    else:
        files = []
        taken: set[str] = set()
        for index, letter in enumerate(batch.letters):
            steps.step(index, total)
            single = replace(batch, letters=(letter,))
            name = letter_file_name(letter.recipient.partner_name, letter.partner_id, batch.period)
            if name.casefold() in taken:  # two partners whose names clean up the same
                name = name[: -len(".pdf")] + f" ({letter.partner_id}).pdf"
            taken.add(name.casefold())
            files.append((target / name, build_letters(single), (letter,)))
    steps.step(total, total)
    return files


def _save(
    db: Database,
    actor: Actor,
    batch: LetterBatch,
    files: list[tuple[Path, bytes, tuple[StatusLetter, ...]]],
) -> list[Path]:
    # The letters on disk must match the log: when the commit fails after a write, they are taken back.
    with taken_back_on_failure() as written, audited(db, actor, ACTION, "partner") as scope:
        logged = 0
        for path, pdf, letters in files:
            digest = write_atomic(path, pdf)
            written.append(path)
            for letter in letters:
                scope.session.add(
                    LetterSent(
                        partner_id=letter.partner_id,
                        kind=LetterKind.STATUS,
                        period_start=batch.period.start,
                        period_end=batch.period.end,
                        staff_id=actor.staff_id,
                        at=batch.generated_at,
                        file_name=path.name,
                        sha256=digest,
                    )
                )
                logged += 1
        if len(batch.letters) == 1:
            scope.entity_id = batch.letters[0].partner_id
        scope.detail.update(
            {
                "period_start": batch.period.start.isoformat(),
                "period_end": batch.period.end.isoformat(),
                "letters": logged,
                "files": [path.name for path, _pdf, _letters in files][:20],
                "file_count": len(files),
            }
        )
    return written
