"""The records each referral must include (its service line's list), and where each stands: received,
or requested from the partner and chased.

A referral gets one row per required record when it is created, and rows for any new names when its
service line changes (rows already there are kept: a record received for the old line still counts).
Staff add extra rows for anything else they need. The Today list and the "Request missing records"
letter read these rows.

Dates are days, as they are written on a fax log. Each is checked: not in the future, and not long
before the referral arrived (a record may come a little ahead of the referral itself, so a margin is
allowed). A chase needs a request before it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from refdesk.domain.formats import fold
from refdesk.domain.models import Referral, ReferralRecord, ServiceLine
from refdesk.domain.times import local_today, to_local
from refdesk.errors import NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.validation import Errors
from refdesk.storage import Database

#: How long before the referral's receipt a record may have arrived or been asked for (notes faxed ahead,
#: a referral logged late). Anything earlier is a typing slip.
EARLY_MARGIN = timedelta(days=30)
NAME_LENGTH = 120


def ensure_records(session: Session, referral: Referral) -> list[ReferralRecord]:
    """Add a row for each of the service line's required records the referral does not list yet
    (names compared ignoring case and accents); returns the rows added. Inside the caller's transaction."""
    line = session.get(ServiceLine, referral.service_line_id)
    if line is None or not line.required_records:
        return []
    existing = session.scalars(select(ReferralRecord.name).where(ReferralRecord.referral_id == referral.id))
    have = {fold(name) for name in existing}
    added = []
    for name in line.required_records:
        cleaned = " ".join(str(name).split())[:NAME_LENGTH]
        if cleaned and fold(cleaned) not in have:
            have.add(fold(cleaned))
            record = ReferralRecord(referral_id=referral.id, name=cleaned)
            session.add(record)
            added.append(record)
    return added


def list_records(db: Database, referral_id: int) -> list[ReferralRecord]:
    """The referral's records in the order they were listed (required ones first, then extras).

    Raises:
        NotFoundError: no such referral.
    """
    with db.session() as session:
        if session.get(Referral, referral_id) is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        return list(
            session.scalars(
                select(ReferralRecord)
                .where(ReferralRecord.referral_id == referral_id)
                .order_by(ReferralRecord.id)
            )
        )


def missing(records: list[ReferralRecord]) -> list[ReferralRecord]:
    """The records not received yet, in list order."""
    return [record for record in records if record.received_on is None]


def _record(session: Session, record_id: int) -> tuple[ReferralRecord, Referral]:
    record = session.get(ReferralRecord, record_id)
    if record is None:
        raise NotFoundError("That record is no longer on the referral.")
    referral = session.get(Referral, record.referral_id)
    assert referral is not None  # a foreign key with ON DELETE CASCADE
    return record, referral


def _check_day(errors: Errors, field: str, value: date | None, referral: Referral, *, what: str) -> None:
    """``value`` is a real day, not in the future, not long before the referral arrived."""
    if value is None:
        return
    if isinstance(value, datetime) or not isinstance(value, date):
        errors.add(field, f"Give the day the record was {what} as a date.")
        return
    if value > local_today():
        errors.add(field, f"The day the record was {what} cannot be in the future.")
        return
    arrived = to_local(referral.received_at).date()
    if value < arrived - EARLY_MARGIN:
        errors.add(
            field,
            f"The day the record was {what} is more than {EARLY_MARGIN.days} days before the referral "
            "arrived; check the date.",
        )


def _set_day(
    db: Database, actor: Actor, record_id: int, column: str, on: date | None, *, action: str, what: str
) -> ReferralRecord:
    with audited(db, actor, action, "referral") as scope:
        record, referral = _record(scope.session, record_id)
        scope.entity_id = referral.id
        errors = Errors()
        _check_day(errors, column, on, referral, what=what)
        requested = on if column == "requested_on" else record.requested_on
        chased = on if column == "chased_on" else record.chased_on
        if column == "chased_on" and on is not None and requested is None:
            errors.add(column, "Mark the record requested before marking it chased.")
        elif column == "requested_on" and on is None and chased is not None:
            errors.add(column, "The record was chased: clear the chase date before the request date.")
        elif requested is not None and chased is not None and chased < requested:
            errors.add(column, "A record cannot be chased before it was requested.")
        errors.raise_if_any()
        old = getattr(record, column)
        setattr(record, column, on)
        scope.detail.update(
            {
                "record_id": record.id,
                "field": column,
                "old": old.isoformat() if old else None,
                "new": on.isoformat() if on else None,
            }
        )
        return record


def mark_received(db: Database, actor: Actor, record_id: int, on: date | None) -> ReferralRecord:
    """Record the day the record arrived; ``None`` means it has not arrived after all.

    Raises:
        ValidationError: the day is refused (messages keyed ``received_on``); nothing is saved.
        NotFoundError: the record is gone.
    """
    return _set_day(db, actor, record_id, "received_on", on, action="record.receive", what="received")


def mark_requested(db: Database, actor: Actor, record_id: int, on: date | None) -> ReferralRecord:
    """Record the day the record was asked for from the partner; ``None`` clears it (not while chased).

    Raises:
        ValidationError: keyed ``requested_on``; nothing is saved.
        NotFoundError: the record is gone.
    """
    return _set_day(db, actor, record_id, "requested_on", on, action="record.request", what="requested")


def mark_chased(db: Database, actor: Actor, record_id: int, on: date | None) -> ReferralRecord:
    """Record the day the partner was reminded (only after a request, not before it); ``None`` clears it.

    Raises:
        ValidationError: keyed ``chased_on``; nothing is saved.
        NotFoundError: the record is gone.
    """
    return _set_day(db, actor, record_id, "chased_on", on, action="record.chase", what="chased")


def add_record(db: Database, actor: Actor, referral_id: int, name: str) -> int:
    """Add a record the service line does not require but this referral needs; returns its id.

    Raises:
        ValidationError: keyed ``name``: empty, too long, or already listed; nothing is saved.
        NotFoundError: no such referral.
    """
    with audited(db, actor, "record.add", "referral", referral_id) as scope:
        if scope.session.get(Referral, referral_id) is None:
            raise NotFoundError(f"Referral {referral_id} does not exist.")
        errors = Errors()
        cleaned = errors.text("name", name, label="Record name", max_length=NAME_LENGTH, required=True)
        if cleaned:
            names = scope.session.scalars(
                select(ReferralRecord.name).where(ReferralRecord.referral_id == referral_id)
            )
            if fold(cleaned) in {fold(existing) for existing in names}:
                errors.add("name", "This referral already lists that record.")
        errors.raise_if_any()
        assert cleaned is not None
        record = ReferralRecord(referral_id=referral_id, name=cleaned)
        scope.session.add(record)
        scope.session.flush()
        scope.detail.update({"record_id": record.id, "name": cleaned})
        return record.id
