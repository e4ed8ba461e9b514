"""The audit trail: one row per create, change, view, import, export, print, sign-in and failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, UOWTransaction, mapped_column

from refdesk.domain.models.base import Base, UTCDateTime
from refdesk.domain.times import utc_now


class AuditEvent(Base):
    """Who did what to which record, when, and whether it worked.

    ``detail`` holds field names and old/new values of a change; error text stored here comes from
    RefDeskError messages, which never carry patient data. ``chain_hash`` is the row's link in the keyed
    hash chain that makes the log tamper-evident (``refdesk.services.audit_chain``): set by the session
    hook below when the transaction that wrote the row commits.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    success: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    chain_hash: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"AuditEvent(id={self.id}, action={self.action!r}, entity={self.entity!r}:{self.entity_id})"


# --- sealing ------------------------------------------------------------------------------------------------
# Registered on every Session, once, at import (as the metric hooks are): every process that writes an audit
# row through the ORM imports the models, so no such row is committed unsealed. The work lives in
# ``refdesk.services.audit_chain`` (imported on first use: the models must not import the services).


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    from refdesk.services import audit_chain

    audit_chain.note_new_rows(session)


def _before_commit(session: Session) -> None:
    from refdesk.services import audit_chain

    audit_chain.seal_session(session)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        from refdesk.services import audit_chain

        audit_chain.forget_new_rows(session)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_transaction_end", _after_transaction_end)
