"""The status letter's layout: the words for where each referral stands, the letter itself and
``build_letters``, which renders a batch as PDF bytes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Spacer

from refdesk.domain.lifecycle import CLOSE_REASONS, CloseReason, State
from refdesk.reports.base import (
    Checkpoint,
    DocumentInfo,
    Layout,
    Listing,
    ListingLook,
    Styles,
    content_width,
    long_date,
    markup,
    period_text,
    render,
    short_date,
    start_letter,
    styles,
)
from refdesk.reports.letter_parts import closing, opening
from refdesk.reports.letterhead import MUTED, Letterhead
from refdesk.reports.status_records import LetterBatch, ReferralStatus, Standing, StatusLetter

TITLE = "Referral status"
#: The list's columns and their shares of the text width.
_COLUMNS = (("Patient", 0.35), ("DOB", 0.13), ("Received", 0.13), ("Where it stands", 0.39))


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
