"""Staff accounts and clinic-wide settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from refdesk.domain.models.base import Base, EnumText, UTCDateTime
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import StaffRole


class Staff(Base):
    """A person who signs in. Every write is done as one of them (audit, status events, attempts)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[StaffRole] = mapped_column(EnumText(StaffRole), default=StaffRole.FRONT_DESK)
    #: Argon2id hash (issue 6/7); empty until a password is set.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when an administrator (or the ``refdesk staff reset-password`` command) chose the password:
    #: the person picks their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    def __repr__(self) -> str:
        return f"Staff(id={self.id}, username={self.username!r}, role={self.role})"


class Setting(Base):
    """One clinic-wide setting (clinic name, letterhead, idle-lock minutes, ...), stored as JSON."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"Setting({self.key!r})"
