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
