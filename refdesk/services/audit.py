"""The audit trail's writer: every service goes through ``audited`` so no write goes unrecorded.

Every row is sealed into the keyed hash chain when its transaction commits (the session hook in
``refdesk.domain.models.audit``, work in ``refdesk.services.audit_chain``), so writers only add rows.

A successful write and its audit row commit together; a refused or failed write rolls back and then
records one row with ``success=False`` and the error's message (RefDeskError messages carry no
patient data). A bug (any other exception) is recorded as failed with its type only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refdesk.domain.models import AuditEvent
from refdesk.errors import RefDeskError
from refdesk.services.actor import Actor
from refdesk.storage import Database

log = logging.getLogger(__name__)


@dataclass
class AuditScope:
    """Handed to the body of ``audited``: the session to write with, and what to record."""

    session: Session
    entity_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    success: bool = True,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        staff_id=actor.staff_id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        success=success,
        detail=detail or None,
    )
    session.add(event)
    return event


@contextmanager
def audited(
    db: Database, actor: Actor, action: str, entity: str, entity_id: int | None = None
) -> Iterator[AuditScope]:
    """One audited write transaction: ``with audited(db, actor, "referral.close", "referral", rid) as a:``."""
    try:
        with db.transaction() as session:
            scope = AuditScope(session, entity_id)
            yield scope
            session.flush()
            record(session, actor, action, entity, scope.entity_id, detail=scope.detail)
    except RefDeskError as error:
        _record_failure(db, actor, action, entity, entity_id, str(error))
        raise
    except Exception as error:
        _record_failure(db, actor, action, entity, entity_id, f"internal error ({type(error).__name__})")
        raise


def _record_failure(
    db: Database, actor: Actor, action: str, entity: str, entity_id: int | None, message: str
) -> None:
    try:
        with db.transaction() as session:
            record(session, actor, action, entity, entity_id, success=False, detail={"error": message})
    except Exception:
        # The original error is what the caller must see; this one is logged (no patient data in it).
        log.exception("could not audit the failure of %s on %s %s", action, entity, entity_id)


def record_view(db: Database, actor: Actor, referral_id: int) -> None:
    """Record that ``actor`` opened referral ``referral_id`` and saw its patient's data: one
    "referral.view" row (reliability.md 13: a view of a patient's record is audited like a change).

    The detail view calls this once per opening, on its worker thread, after the referral is shown;
    re-reading the same referral after an edit is not a new view.
    """
    with db.transaction() as session:
        record(session, actor, "referral.view", "referral", referral_id)


#: Audited actions that leave the desk's data as it was: reading, signing in and out, exports and
#: prints, and the audit log's own use. A session that did only these needs no backup on closing.
READ_ONLY_ACTIONS = frozenset(
    {
        "referral.view",
        "auth.sign_in",
        "auth.sign_out",
        "export.queue",
        "export.metrics",
        "report.summary",
        "report.packet",
        "audit.view",
        "audit.export",
        "audit.verify",
    }
)


def last_audit_id(db: Database) -> int:
    """The newest audit row's id (0 for an empty trail): a bookmark for ``changed_since``."""
    with db.session() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def changed_since(db: Database, audit_id: int) -> bool:
    """Whether anything was changed after audit row ``audit_id``: every write is audited, so a
    successful audit row after it that is not a read means the data moved on (reads the rows after the
    bookmark only, by primary key)."""
    query = (
        select(AuditEvent.id)
        .where(
            AuditEvent.id > audit_id,
            AuditEvent.success.is_(True),
            AuditEvent.action.not_in(READ_ONLY_ACTIONS),
        )
        .limit(1)
    )
    with db.session() as session:
        return session.scalars(query).first() is not None
