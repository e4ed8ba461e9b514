"""The referral packet: one page per service line telling partners how to refer to it.

What a referring office needs on one sheet by the fax machine: who the service is for (criteria), how to
send a referral (its own words and the clinic's fax and phone from the letterhead), what to send with it
(the information every referral needs, the records this service line requires), what happens after they
refer and when (the service line's response targets, in business days, and what the intake call goes
through: the titles of the current intake script), and whom to call.

``build_packet`` turns plain data into PDF bytes (pure); ``write_packet`` reads the service line, writes
the file atomically and audits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from refdesk.domain.models import ServiceLine
from refdesk.domain.times import utc_now
from refdesk.errors import NotFoundError
from refdesk.exports.trail import failures_audited
from refdesk.reports.atomic import taken_back_on_failure, write_atomic
from refdesk.reports.base import (
    DocumentInfo,
    Layout,
    PageSize,
    Styles,
    bullets,
    content_width,
    markup,
    render,
    require_clinic_name,
    side_by_side,
    styles,
)
from refdesk.reports.letterhead import ACCENT, MUTED, RULE, Letterhead
from refdesk.services import intake, settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.scheduling import item_title
from refdesk.storage import Database

ACTION = "report.packet"
#: Business hours in a clinic day (the default calendar opens 8 to 17): how targets become days.
DAY_HOURS = 9

#: What every referral must carry, whatever the service (the referral form's required fields and what
#: the desk cannot work without).
EVERY_REFERRAL = (
    "The patient's full name, date of birth and a phone number we can reach them on",
    "The reason for referral and its urgency (routine, urgent)",
    "The referring clinician, and a phone or fax number for questions",
    "The patient's insurance, and the authorization number when the plan requires one",
    "Language, and whether an interpreter is needed",
)


@dataclass(frozen=True, slots=True)
class Packet:
    """Everything the packet prints, as plain values."""

    letterhead: Letterhead
    service_line: str
    description: str
    criteria: str
    how_to_refer: str
    after_referral: str
    required_records: tuple[str, ...]
    #: The current intake script's prompts: what the intake call goes through (printed by ``topic``).
    intake_topics: tuple[str, ...]
    ack_target_hours: int
    first_contact_target_hours: int
    max_attempts: int
    generated_at: datetime
    page_size: PageSize = PageSize.LETTER


def within(hours: int) -> str:
    """A business-hours target in the words a partner uses: ``within 4 business hours``, ``within one
    business day`` (9 hours), ``within 2 business days`` (16 hours rounds up)."""
    if hours < DAY_HOURS:
        return f"within {hours} business hour{'s' if hours != 1 else ''}"
    days = -(-hours // DAY_HOURS)
    return "within one business day" if days == 1 else f"within {days} business days"


@dataclass(frozen=True, slots=True)
class _Look:
    """The packet's type: a size smaller than a letter's, so the page holds it all."""

    body: ParagraphStyle
    bullet: ParagraphStyle
    heading: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle


def _look(style: Styles) -> _Look:
    body = ParagraphStyle("PacketBody", parent=style.body, fontSize=9.5, leading=13, spaceAfter=6)
    return _Look(
        body=body,
        bullet=ParagraphStyle("PacketBullet", parent=body, spaceAfter=2),
        heading=ParagraphStyle(
            "PacketHeading", parent=style.heading, fontSize=11, leading=14, spaceBefore=4, spaceAfter=4,
            textColor=ACCENT,
        ),
        title=ParagraphStyle("PacketTitle", parent=style.title, fontSize=17, leading=21, spaceAfter=2),
        subtitle=ParagraphStyle("PacketSubtitle", parent=body, textColor=MUTED, spaceAfter=10),
        small=ParagraphStyle("PacketSmall", parent=style.small, fontSize=8, leading=10.5),
        cell=ParagraphStyle("PacketCell", parent=style.cell, fontSize=9, leading=11.5),
    )  # fmt: skip


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-•*").strip() for line in text.splitlines() if line.strip()]


def _text_block(text: str, look: _Look) -> list[Flowable]:
    """Free text from Settings: several lines become a bulleted list, one line a paragraph."""
    lines = _lines(text)
    if len(lines) > 1:
        return bullets([markup(line) for line in lines], look.bullet, space_after=4)
    return [Paragraph(markup(lines[0]), look.body)] if lines else []


def topic(prompt: str) -> str:
    """An intake item as a partner reads it in a sentence: its title up to its first question mark,
    without the words staff read aloud or a long aside in brackets ("Interpreter needed? Which
    language?" is "interpreter needed")."""
    title = item_title(prompt).split("?")[0].split("“")[0].strip(" :")
    if len(title) > 60 and " (" in title:
        title = title[: title.index(" (")]
    if len(title) > 70:
        title = title[:70].rsplit(" ", 1)[0].rstrip(",;") + "…"
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def _steps(packet: Packet, look: _Look, width: float) -> Table:
    attempts = packet.max_attempts
    rows = [
        ("On receipt", "We log the referral and check its information and records against the lists above."),
        (
            within(packet.ack_target_hours).capitalize(),
            "We confirm to your office that the referral arrived, and ask for anything missing.",
        ),
        (
            within(packet.first_contact_target_hours).capitalize(),
            "We call the patient to schedule the first visit"
            + (
                f", trying up to {attempts} times before we close the referral as unable to reach."
                if attempts > 1
                else "; if we cannot reach them, we close the referral as unable to reach."
            ),
        ),
        ("Scheduled and seen", "We let you know the date of the first visit, and when the patient was seen."),
        ("Every month", "A status letter lists each patient you referred and where each one stands."),
    ]
    data = [[Paragraph(f"<b>{when}</b>", look.cell), Paragraph(what, look.cell)] for when, what in rows]
    table = Table(data, colWidths=[width * 0.3, width * 0.7], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
                ("LINEBEFORE", (0, 0), (0, -1), 2, ACCENT),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _story(packet: Packet, style: Styles, width: float) -> list[Flowable]:
    head = packet.letterhead
    look = _look(style)
    clinic = markup(head.clinic_name)
    story: list[Flowable] = [
        Paragraph(markup(packet.service_line), look.title),
        Paragraph(
            f"How to refer a patient to {clinic}"
            + (f" — {markup(packet.description)}" if packet.description else ""),
            look.subtitle,
        ),
    ]
    left: list[Flowable] = []
    if packet.criteria:
        left += [Paragraph("Who we see", look.heading), *_text_block(packet.criteria, look)]
    left.append(Paragraph("How to refer", look.heading))
    left += _text_block(packet.how_to_refer, look)
    channels = []
    if head.fax:
        channels.append(f"<b>Fax</b> {markup(head.fax)}")
    if head.phone:
        channels.append(f"<b>Phone</b> {markup(head.phone)}")
    if channels:
        left.append(Paragraph("<br/>".join(channels), look.body))
    if head.phone:
        left.append(
            Paragraph(
                f"Urgent referral, or a question? Call the Referral Desk at {markup(head.phone)}.", look.small
            )
        )

    right: list[Flowable] = [Paragraph("What to send with each referral", look.heading)]
    right += bullets([markup(item) for item in EVERY_REFERRAL], look.bullet, space_after=4)
    if packet.required_records:
        right.append(Paragraph("<b>And these records:</b>", look.body))
        right += bullets([markup(record) for record in packet.required_records], look.bullet, space_after=2)
        right.append(
            Paragraph(
                "We cannot schedule the first visit until they arrive; we will ask you for anything missing.",
                look.small,
            )
        )
    story.append(side_by_side(left, right, width, gap=18))  # the packet's top half
    story.append(Spacer(1, 6))

    story.append(Paragraph("What happens after you refer", look.heading))
    story += _text_block(packet.after_referral, look)
    story.append(_steps(packet, look, width))
    story.append(Spacer(1, 8))
    if packet.intake_topics:
        topics = "; ".join(markup(topic(prompt)) for prompt in packet.intake_topics)
        story.append(
            Paragraph(
                f"<b>When we call the patient</b> we go through: {topics}. Telling your patient to expect "
                "our call helps us reach them quickly.",
                look.body,
            )
        )

    return story


def build_packet(packet: Packet) -> bytes:
    """The packet as PDF bytes, on the letterhead. Every value from Settings is escaped (promise 18)."""
    info = DocumentInfo(
        title="Referral packet",
        letterhead=packet.letterhead,
        generated_at=packet.generated_at,
        layout=Layout.LETTER,
        page_size=packet.page_size,
        reference=packet.service_line,
        subject=f"How to refer: {packet.service_line}",
    )
    return render(info, _story(packet, styles(), content_width(info)))


def read_packet(db: Database, service_line_id: int, *, now: datetime | None = None) -> Packet:
    """The packet's content as Settings and the service line hold it now.

    Raises:
        NotFoundError: no such service line.
        RefDeskError: the clinic has no name on its letterhead.
    """
    head = settings.letterhead(db)
    require_clinic_name(head, "The packet needs")
    with db.session() as session:
        line = session.get(ServiceLine, service_line_id)
        if line is None:
            raise NotFoundError(f"Service line {service_line_id} does not exist.")
        values = (
            line.name,
            line.description or "",
            line.criteria or "",
            line.how_to_refer or "",
            line.after_referral or "",
            tuple(record for record in line.required_records or [] if record.strip()),
            line.ack_target_hours,
            line.first_contact_target_hours,
            line.max_attempts,
        )
    script = intake.current_script(db, service_line_id)
    topics = tuple(item.prompt for item in script.items)
    name, description, criteria, how, after, records, ack, first, attempts = values
    return Packet(
        letterhead=head,
        service_line=name,
        description=description,
        criteria=criteria,
        how_to_refer=how,
        after_referral=after,
        required_records=records,
        intake_topics=topics,
        ack_target_hours=ack,
        first_contact_target_hours=first,
        max_attempts=attempts,
        generated_at=now or utc_now(),
    )


def default_file_name(service_line: str) -> str:
    """``Referral packet - Physical therapy.pdf``."""
    from refdesk.reports.status_letters import safe_file_stem

    return f"Referral packet - {safe_file_stem(service_line, 'service line')}.pdf"


def write_packet(db: Database, actor: Actor, service_line_id: int, target: Path) -> Path:
    """Write the service line's packet to ``target`` atomically; one audit row either way.

    Raises:
        NotFoundError: no such service line.
        RefDeskError: no clinic name on the letterhead.
        ExportError: the file could not be written.
    """
    target = Path(target)
    with failures_audited(db, actor, ACTION, "service_line", service_line_id):
        pdf = build_packet(read_packet(db, service_line_id))
    with (
        taken_back_on_failure() as placed,
        audited(db, actor, ACTION, "service_line", service_line_id) as scope,
    ):
        digest = write_atomic(target, pdf)
        placed.append(target)
        scope.detail.update({"file_name": target.name, "sha256": digest})
    return target
