"""The referral and everything that happens to it: status events, contact attempts, checklist answers,
records, appointments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, and_, column
from sqlalchemy.orm import Mapped, mapped_column, relationship

from refdesk.domain.lifecycle import OPEN_STATES, CloseReason, State
from refdesk.domain.models.base import Base, EnumText, UTCDateTime
from refdesk.domain.models.partners import Partner
from refdesk.domain.models.service_lines import ServiceLine
from refdesk.domain.models.staff import Staff
from refdesk.domain.next_action import Action
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import (
    AppointmentStatus,
    AttemptMethod,
    AttemptOutcome,
    Channel,
    ContactMethod,
    Urgency,
)

# Partial indexes on the open rows answer the queue's default view in well under a millisecond at 1M
# referrals (performance.md); their WHERE is rendered with literal values so SQLite can use them.
_OPEN = column("state").in_([s.value for s in OPEN_STATES])
# Today's worklist (refdesk/services/today.py): referrals still waiting for their first contact attempt,
# and required records that have not arrived. Small sets at any size, read in the order Today lists them.
_NOT_CONTACTED = and_(column("state") == State.RECEIVED.value, column("first_attempt_at").is_(None))
_MISSING = column("received_on").is_(None)


class Referral(Base):
    """One patient sent by one partner for one service line: the unit the front desk works."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_received_at", "received_at", "id"),
        Index("ix_referral_partner_received", "partner_id", "received_at"),
        Index("ix_referral_open_received", "received_at", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index(
            "ix_referral_open_partner_received",
            "partner_id",
            "received_at",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index("ix_referral_open_due", "next_action_at", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        # Today: one section per kind of next action (callbacks, attempt limit, reminders), by due time
        Index(
            "ix_referral_open_action_due",
            "next_action",
            "next_action_at",
            "id",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index(
            "ix_referral_first_contact_due",
            "first_contact_due_at",
            "id",
            sqlite_where=_NOT_CONTACTED,
            postgresql_where=_NOT_CONTACTED,
        ),
        Index("ix_referral_name_dob", "name_key", "patient_dob"),
        Index("ix_referral_phone_digits", "phone_digits"),
        Index("ix_referral_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    service_line_id: Mapped[int] = mapped_column(ForeignKey("service_line.id"), index=True)

    # patient
    patient_first_name: Mapped[str] = mapped_column(String(100))
    patient_last_name: Mapped[str] = mapped_column(String(100))
    patient_dob: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(40))
    phone_alt: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    #: Folded "first last" (no accents, no case) and the phone's digits: what search and duplicate checks use.
    name_key: Mapped[str] = mapped_column(String(200))
    phone_digits: Mapped[str] = mapped_column(String(20))
    preferred_contact_method: Mapped[ContactMethod | None] = mapped_column(EnumText(ContactMethod))
    preferred_contact_time: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(60))
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    caregiver_name: Mapped[str | None] = mapped_column(String(200))
    caregiver_phone: Mapped[str | None] = mapped_column(String(40))
    caregiver_relationship: Mapped[str | None] = mapped_column(String(60))

    # insurance and authorization
    insurance_payer: Mapped[str | None] = mapped_column(String(120))
    insurance_member_id: Mapped[str | None] = mapped_column(String(60))
    authorization_number: Mapped[str | None] = mapped_column(String(60))
    authorization_visits: Mapped[int | None]
    authorization_expires_on: Mapped[date | None] = mapped_column(Date)

    # the referral itself
    referring_clinician: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(EnumText(Urgency), default=Urgency.ROUTINE)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    state: Mapped[State] = mapped_column(EnumText(State), default=State.RECEIVED)
    close_reason: Mapped[CloseReason | None] = mapped_column(EnumText(CloseReason))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The referral this one was linked to as a possible duplicate (kept even when saved anyway).
    linked_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))

    # kept current in the same transaction as the events they summarise, so the queue never aggregates
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempt_count: Mapped[int] = mapped_column(default=0)
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The service line's response targets for this referral, fixed in business hours from receipt.
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_contact_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What to do next and by when (refdesk.domain.next_action); empty once the referral is finished.
    next_action: Mapped[Action | None] = mapped_column(EnumText(Action))
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now)

    partner: Mapped[Partner] = relationship()
    service_line: Mapped[ServiceLine] = relationship()
    owner: Mapped[Staff | None] = relationship()
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StatusEvent.at, StatusEvent.id",
    )
    attempts: Mapped[list[ContactAttempt]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ContactAttempt.at, ContactAttempt.id",
    )
    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Appointment.id",
    )

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name}"

    def __repr__(self) -> str:
        return f"Referral(id={self.id}, state={self.state})"


class StatusEvent(Base):
    """One entry of a referral's history: a state change (or its creation, with ``from_state`` empty)."""

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_referral", "referral_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    from_state: Mapped[State | None] = mapped_column(EnumText(State))
    to_state: Mapped[State] = mapped_column(EnumText(State))
    close_reason: Mapped[CloseReason | None] = mapped_column(EnumText(CloseReason))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"StatusEvent(id={self.id}, {self.from_state}->{self.to_state})"


class ContactAttempt(Base):
    """A call, text, voicemail, email or letter to the patient or caregiver, and how it went."""

    __tablename__ = "contact_attempt"
    __table_args__ = (Index("ix_contact_attempt_referral", "referral_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    method: Mapped[AttemptMethod] = mapped_column(EnumText(AttemptMethod))
    outcome: Mapped[AttemptOutcome] = mapped_column(EnumText(AttemptOutcome))
    with_caregiver: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    #: A callback promised to the patient ("call me back tomorrow at 10").
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    referral: Mapped[Referral] = relationship(back_populates="attempts")

    def __repr__(self) -> str:
        return f"ContactAttempt(id={self.id}, referral_id={self.referral_id}, outcome={self.outcome})"


class ChecklistAnswer(Base):
    """An answer to one intake item for one referral; it keeps pointing at the item version it answered."""

    __tablename__ = "checklist_answer"
    __table_args__ = (UniqueConstraint("referral_id", "item_id", name="uq_checklist_answer_referral_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id"))
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    def __repr__(self) -> str:
        return f"ChecklistAnswer(referral_id={self.referral_id}, item_id={self.item_id})"


class ReferralRecord(Base):
    """A record the service line requires (notes, imaging, labs): received, or requested and chased."""

    __tablename__ = "referral_record"
    __table_args__ = (
        Index("ix_referral_record_referral", "referral_id"),
        Index(
            "ix_referral_record_missing",
            "requested_on",
            "referral_id",
            sqlite_where=_MISSING,
            postgresql_where=_MISSING,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    received_on: Mapped[date | None] = mapped_column(Date)
    requested_on: Mapped[date | None] = mapped_column(Date)
    chased_on: Mapped[date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"ReferralRecord(id={self.id}, referral_id={self.referral_id})"


class Appointment(Base):
    """The first visit. A reschedule marks this row RESCHEDULED and books a new one that ``replaces`` it."""

    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_referral", "referral_id"),
        Index("ix_appointment_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provider: Mapped[str | None] = mapped_column(String(120))
    location: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[AppointmentStatus] = mapped_column(
        EnumText(AppointmentStatus), default=AppointmentStatus.BOOKED
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[ContactMethod | None] = mapped_column(EnumText(ContactMethod))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    #: Why it was rescheduled or cancelled, or what happened at a no-show (no clinical detail).
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    referral: Mapped[Referral] = relationship(back_populates="appointments")

    def __repr__(self) -> str:
        return f"Appointment(id={self.id}, referral_id={self.referral_id}, status={self.status})"
