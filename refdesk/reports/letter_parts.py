"""What every letter to a partner shares, so that all of them read and look alike: who it goes to
(``Recipient``, read with ``recipients``), its opening (date, addressee block, subject line, greeting),
its closing (signature and confidentiality notice) and the name of the staff member who signs.

The records request and the status letters build their middle; the rest comes from here. Every value
from the database or a person is escaped (promise 18).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.models import Partner, PartnerContact, Staff
from refdesk.reports.base import Styles, long_date, markup
from refdesk.reports.letterhead import Letterhead
from refdesk.services.actor import Actor


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who the letter goes to: the partner, and the person there who receives updates when there is one."""

    partner_name: str
    contact_name: str | None = None
    contact_role: str | None = None
    address_lines: tuple[str, ...] = ()
    fax: str | None = None


def recipients(session: Session, partners: Sequence[Partner]) -> dict[int, Recipient]:
    """Each partner's recipient (by partner id): the first contact who receives updates, the partner's
    postal address, and the contact's fax or else the partner's."""
    contacts: dict[int, PartnerContact] = {}
    for contact in session.scalars(
        select(PartnerContact)
        .where(PartnerContact.partner_id.in_([partner.id for partner in partners]))
        .where(PartnerContact.receives_updates)
        .order_by(PartnerContact.id)
    ):
        contacts.setdefault(contact.partner_id, contact)
    found = {}
    for partner in partners:
        chosen = contacts.get(partner.id)
        place = " ".join(part for part in (partner.region or "", partner.postal_code or "") if part)
        last = ", ".join(part for part in (partner.city or "", place) if part)
        found[partner.id] = Recipient(
            partner_name=partner.name,
            contact_name=chosen.name if chosen else None,
            contact_role=chosen.role if chosen else None,
            address_lines=tuple(
                line for line in (partner.address_line1, partner.address_line2, last) if line
            ),
            fax=(chosen.fax if chosen and chosen.fax else None) or partner.fax,
        )
    return found


def staff_name(session: Session, actor: Actor) -> str:
    """The name the letter is signed with: the staff member's full name, or the login name."""
    staff = session.get(Staff, actor.staff_id)
    return staff.full_name if staff is not None else actor.username


def inside_address(recipient: Recipient, style: Styles) -> list[Flowable]:
    """The addressee block: "By fax" when there is a fax number, then the contact, the partner and the
    address."""
    lines: list[str] = []
    if recipient.contact_name:
        role = f", {recipient.contact_role}" if recipient.contact_role else ""
        lines.append(markup(recipient.contact_name + role))
    lines.append(markup(recipient.partner_name))
    lines.extend(markup(line) for line in recipient.address_lines if line.strip())
    block: list[Flowable] = []
    if recipient.fax:
        block.append(Paragraph(f"<b>By fax:</b> {markup(recipient.fax)}", style.body))
    block.append(Paragraph("<br/>".join(lines), style.body))
    return block


def opening(letter_date: date, recipient: Recipient, subject: str, style: Styles) -> list[Flowable]:
    """The date, the addressee block, the subject line (markup: escape user text in it) and "Dear ...,"."""
    story: list[Flowable] = [Paragraph(long_date(letter_date), style.body), Spacer(1, 4)]
    story += inside_address(recipient, style)
    story.append(Spacer(1, 4))
    story.append(Paragraph(subject, style.body))
    story.append(Paragraph(f"Dear {markup(recipient.contact_name or 'Colleague')},", style.body))
    return story


def confidentiality(head: Letterhead) -> str:
    """The notice at the foot of every letter (markup)."""
    reach = f"call {markup(head.phone)}" if head.phone else "notify the sender"
    return (
        "CONFIDENTIAL: this letter contains protected health information intended only for the recipient "
        f"named above. If you received it in error, please {reach} and destroy it."
    )


def closing(
    signer: str, head: Letterhead, style: Styles, *, signature_room: float, before_notice: float
) -> list[Flowable]:
    """ "Sincerely," with ``signature_room`` points to sign in, the signer and the desk (kept on one
    page), then the confidentiality notice ``before_notice`` points below."""
    signature: list[Flowable] = [
        Paragraph("Sincerely,", style.body),
        Spacer(1, signature_room),
        Paragraph("_" * 32, style.body),
        Paragraph(f"{markup(signer)}<br/>Referral Desk, {markup(head.clinic_name)}", style.body),
    ]
    return [KeepTogether(signature), Spacer(1, before_notice), Paragraph(confidentiality(head), style.small)]


__all__ = [
    "Recipient",
    "closing",
    "confidentiality",
    "inside_address",
    "opening",
    "recipients",
    "staff_name",
]
