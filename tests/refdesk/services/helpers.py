"""Small readers the service tests share: counts and the audit trail as a user of the log sees it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from refdesk.domain.models import AuditEvent
from refdesk.storage import Database


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def audit_rows(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )
