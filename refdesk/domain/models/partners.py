"""Partners (referral sources), their people, the outreach log and the letters sent to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from refdesk.domain.models.base import Base, EnumText, UTCDateTime
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import (
    AgreementStatus,
    ContactMethod,
    LetterKind,
    OutreachCadence,
    PartnerCategory,
    TouchKind,
)


def partner_name_key(name: str) -> str:
    """The key partner names are matched on: case- and space-insensitive ("Oak  St PC" = "oak st pc")."""
    return " ".join(name.split()).casefold()


class Partner(Base):
    """A practice or organisation that sends patients."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[PartnerCategory] = mapped_column(EnumText(PartnerCategory))
    phone: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    portal: Mapped[str | None] = mapped_column(String(200))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    npi: Mapped[str | None] = mapped_column(String(10))
    preferred_update_channel: Mapped[ContactMethod | None] = mapped_column(EnumText(ContactMethod))
    agreement_status: Mapped[AgreementStatus] = mapped_column(
        EnumText(AgreementStatus), default=AgreementStatus.NONE
    )
    agreement_date: Mapped[date | None] = mapped_column(Date)
    #: What the agreement covers: how referrals are sent and acknowledged, who updates whom, privacy.
    agreement_scope: Mapped[str | None] = mapped_column(Text)
    outreach_cadence: Mapped[OutreachCadence] = mapped_column(
        EnumText(OutreachCadence), default=OutreachCadence.NONE
    )
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    contacts: Mapped[list[PartnerContact]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="PartnerContact.id"
    )
    touches: Mapped[list[PartnerTouch]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="PartnerTouch.at"
    )

    def __repr__(self) -> str:
        return f"Partner(id={self.id}, name={self.name!r})"


class PartnerContact(Base):
    """A person at a partner: office manager, clinical lead, physician, care coordinator."""

    __tablename__ = "partner_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    decision_maker: Mapped[bool] = mapped_column(default=False)
    #: The person status letters are addressed to.
    receives_updates: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    partner: Mapped[Partner] = relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"PartnerContact(id={self.id}, partner_id={self.partner_id})"


class PartnerTouch(Base):
    """One outreach touch with a partner: a call, a visit, an in-service, a newsletter, an update sent."""

    __tablename__ = "partner_touch"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    kind: Mapped[TouchKind] = mapped_column(EnumText(TouchKind))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)

    partner: Mapped[Partner] = relationship(back_populates="touches")

    def __repr__(self) -> str:
        return f"PartnerTouch(id={self.id}, partner_id={self.partner_id}, kind={self.kind})"


class LetterSent(Base):
    """A letter produced for a partner; the hash proves later which file was sent."""

    __tablename__ = "letter_sent"
    __table_args__ = (Index("ix_letter_sent_partner_at", "partner_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    kind: Mapped[LetterKind] = mapped_column(EnumText(LetterKind))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"LetterSent(id={self.id}, partner_id={self.partner_id}, kind={self.kind})"
