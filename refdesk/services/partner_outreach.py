"""The outreach log: touches logged with a partner, and which partners are due one by their cadence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from refdesk.domain.models import Partner, PartnerTouch
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import OutreachCadence, TouchKind
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.partner_cadence import next_touch_due
from refdesk.services.partner_detail import _get_partner
from refdesk.services.partner_list import _fold
from refdesk.services.validation import CLOCK_SKEW, Errors
from refdesk.storage import Database

# --- outreach -------------------------------------------------------------------------------------------


def add_touch(
    db: Database,
    actor: Actor,
    partner_id: int,
    kind: TouchKind | None,
    *,
    at: datetime | None = None,
    note: str | None = None,
) -> int:
    """Log one outreach touch (a call, a visit, an in-service, an update sent); returns its id.

    ``at``: when it happened (a naive value is local time); now when None. It cannot be in the future:
    a touch is logged once it has happened (plans belong to the cadence's "next touch due").

    Raises:
        NotFoundError: no such partner.
        ValidationError: ``kind`` missing, or ``at`` in the future; nothing is saved.
    """
    with audited(db, actor, "partner_touch.create", "partner_touch") as scope:
        _get_partner(scope.session, partner_id)
        errors = Errors()
        kind = errors.present("kind", kind, message="Choose what kind of touch it was.")
        now = utc_now()
        moment = as_utc(at) if at is not None else now
        if moment > now + CLOCK_SKEW:
            errors.add("at", "A touch is logged once it has happened: the date cannot be in the future.")
        cleaned_note = errors.long_text("note", note, label="Note", required=False)
        errors.raise_if_any()
        assert kind is not None
        touch = PartnerTouch(
            partner_id=partner_id, kind=TouchKind(kind), at=moment, staff_id=actor.staff_id, note=cleaned_note
        )
        scope.session.add(touch)
        scope.session.flush()
        scope.entity_id = touch.id
        scope.detail.update(partner_id=partner_id, kind=touch.kind.value, at=moment.isoformat())
        return touch.id


@dataclass(frozen=True, slots=True)
class TouchDue:
    partner_id: int
    name: str
    cadence: OutreachCadence
    last_touch_at: datetime | None
    due_at: datetime


def touches_due(db: Database, now: datetime | None = None) -> list[TouchDue]:
    """Active partners with an outreach cadence whose next touch is due by ``now``, most overdue first
    (never-touched partners are due ``now``). For Today and reminders; reads partners, not referrals."""
    now = now or utc_now()
    last_touch = (
        select(func.max(PartnerTouch.at))
        .where(PartnerTouch.partner_id == Partner.id)
        .correlate(Partner)
        .scalar_subquery()
    )
    query = select(Partner.id, Partner.name, Partner.outreach_cadence, last_touch).where(
        Partner.active.is_(True), Partner.outreach_cadence != OutreachCadence.NONE
    )
    due: list[TouchDue] = []
    with db.session() as session:
        for pid, name, cadence, last in session.execute(query):
            when = next_touch_due(cadence, last, now)
            if when is not None and when <= now:
                due.append(TouchDue(pid, name, cadence, last, when))
    due.sort(key=lambda item: (item.due_at, _fold(item.name), item.partner_id))
    return due
