"""The session hooks that keep the metric facts and cells equal to the referrals (registered in
``refdesk.domain.models.metrics``): note the referrals a flush touches, refresh them just before the
transaction commits, forget them on rollback. See ``refdesk.services.metric_cells``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session, attributes

from refdesk.domain.models import Appointment, Referral, StatusEvent
from refdesk.services.metric_store import refresh

_NOTED = "refdesk.metric_cells"
T = TypeVar("T")

#: Referral columns the facts depend on: other edits (a phone number, a note) recount nothing.
_REFERRAL_FACTS = frozenset(
    {
        "partner_id",
        "service_line_id",
        "channel",
        "received_at",
        "state",
        "close_reason",
        "acknowledged_at",
        "first_attempt_at",
        "ack_due_at",
        "first_contact_due_at",
    }
)


@dataclass
class _Noted:
    """The referrals a transaction changed (itself, its appointments, its history), until it commits."""

    referral_ids: set[int] = field(default_factory=set)
    #: Referrals not flushed yet, so without an id.
    new: list[Referral] = field(default_factory=list)


def note_changes(session: Session) -> None:
    """``before_flush``: note the referrals whose facts the pending new, changed and deleted rows touch."""
    noted: _Noted | None = session.info.get(_NOTED)
    dirty = session.dirty
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Referral):
            if obj in dirty and not _changes_facts(obj):
                continue
            referral: Referral | None = obj
        elif isinstance(obj, Appointment | StatusEvent):
            referral = None
            history = attributes.instance_state(obj).attrs.referral_id.history
            moved_from = [rid for rid in history.deleted if rid is not None]
            if moved_from:  # a row moved to another referral: the one it left changes too
                noted = noted or session.info.setdefault(_NOTED, _Noted())
                noted.referral_ids.update(moved_from)
            referral_id = _unflushed(obj.referral_id)
            if referral_id is None:
                referral = _unflushed(obj.referral)  # attached through the relationship only
            else:
                noted = noted or session.info.setdefault(_NOTED, _Noted())
                noted.referral_ids.add(referral_id)
        else:
            continue
        if referral is not None:
            noted = noted or session.info.setdefault(_NOTED, _Noted())
            referral_id = _unflushed(referral.id)
            if referral_id is None:
                noted.new.append(referral)
            else:
                noted.referral_ids.add(referral_id)


def _changes_facts(referral: Referral) -> bool:
    state = attributes.instance_state(referral)
    return any(state.attrs[name].history.has_changes() for name in _REFERRAL_FACTS)


def _unflushed(value: T) -> T | None:
    """An attribute of an object not flushed yet may be None whatever the column's declared type."""
    return value


def refresh_noted(session: Session) -> None:
    """``before_commit``: flush what is pending, then work out the noted referrals' facts and recount
    their cells, in the same transaction."""
    session.flush()
    noted: _Noted | None = session.info.pop(_NOTED, None)
    if noted is None:
        return
    ids = noted.referral_ids | {rid for rid in (_unflushed(r.id) for r in noted.new) if rid is not None}
    if ids:
        refresh(session.connection(), ids)


def forget_noted(session: Session) -> None:
    """``after_transaction_end`` (outermost): a rolled-back transaction's notes die with it."""
    session.info.pop(_NOTED, None)
