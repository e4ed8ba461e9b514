"""Service lines the clinic offers to referrers, and their versioned intake scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from refdesk.domain.models.base import Base, EnumText, UTCDateTime
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import ItemKind


class ServiceLine(Base):
    """Imaging, PT, surgery consult, behavioral health intake...: what a referral is for."""

    __tablename__ = "service_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[str | None] = mapped_column(Text)
    #: Names of the records a referral must include ("Recent notes", "Imaging report", ...).
    required_records: Mapped[list[str]] = mapped_column(JSON, default=list)
    how_to_refer: Mapped[str | None] = mapped_column(Text)
    after_referral: Mapped[str | None] = mapped_column(Text)
    #: Response targets, in business hours from receipt.
    ack_target_hours: Mapped[int] = mapped_column(default=8)
    first_contact_target_hours: Mapped[int] = mapped_column(default=16)
    #: Attempts after which "close as unable to reach" is offered.
    max_attempts: Mapped[int] = mapped_column(default=3)
    active: Mapped[bool] = mapped_column(default=True)

    scripts: Mapped[list[IntakeScript]] = relationship(
        back_populates="service_line", order_by="IntakeScript.version"
    )

    def __repr__(self) -> str:
        return f"ServiceLine(id={self.id}, name={self.name!r})"


class IntakeScript(Base):
    """One version of a service line's intake script. Editing makes a new version; answers keep theirs."""

    __tablename__ = "intake_script"
    __table_args__ = (UniqueConstraint("service_line_id", "version", name="uq_intake_script_line_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_line_id: Mapped[int] = mapped_column(ForeignKey("service_line.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    service_line: Mapped[ServiceLine] = relationship(back_populates="scripts")
    items: Mapped[list[IntakeItem]] = relationship(
        back_populates="script", cascade="all, delete-orphan", order_by="IntakeItem.position"
    )

    def __repr__(self) -> str:
        return f"IntakeScript(id={self.id}, service_line_id={self.service_line_id}, version={self.version})"


class IntakeItem(Base):
    """One question or check of an intake script: the words staff say, the kind of answer it takes."""

    __tablename__ = "intake_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("intake_script.id", ondelete="CASCADE"), index=True)
    #: The item's identity across script versions: a reworded item keeps its key, so a referral's answer
    #: to the earlier wording still counts (and still shows the words it answered).
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)
    kind: Mapped[ItemKind] = mapped_column(EnumText(ItemKind))
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)
    blocks_scheduling: Mapped[bool] = mapped_column(default=False)

    script: Mapped[IntakeScript] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"IntakeItem(id={self.id}, script_id={self.script_id}, position={self.position})"
