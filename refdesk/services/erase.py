"""Deleting a referral entered by mistake (or a duplicate), leaving no trace of its patient in the file.

The only way RefDesk deletes a patient (reliability.md 9). An administrator gives a reason; in one
transaction the referral goes, with everything that belongs to it (history, contact attempts,
appointments, required records, intake answers: their foreign keys cascade), its metric fact leaves its
cell (the session hooks of ``refdesk.domain.models.metrics`` see the deleted referral), the search
index forgets its trigrams (``search_index.forget_deleted``), and one ``referral.delete`` audit row
records who, when, why and which R-number, without patient data. Either all of it is saved or none.

``secure_delete`` (on for every connection) zeroes what the transaction deletes, once its pages reach
the file; a checkpoint then moves them there and empties the ``-wal``, whose older frames still hold
the rows as they were.

Not erased: audit rows written earlier keep their detail, as the trail must. A ``referral.update`` row
holds the old and new value of each edited field (a corrected name or phone number, say), and a
``referral.answer`` row the intake answer given; those stay in the file after the referral is deleted.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exc, select, update
from sqlalchemy.orm import Session

from refdesk.domain.formats import referral_number
from refdesk.domain.models import Partner, Referral
from refdesk.errors import NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.services.staff_admin import check_admin
from refdesk.services.validation import Errors
from refdesk.storage import Database, search_index

log = logging.getLogger(__name__)

#: Longest reason kept (a sentence or two: "Entered twice; the other one is R-000123").
REASON_MAX_LENGTH = 300
DOING = "delete a referral"


@dataclass(frozen=True, slots=True)
class DeletionSummary:
    """What the confirmation shows about the referral to be deleted (plain values, safe across threads)."""

    referral_id: int
    r_number: str
    patient_name: str
    partner_name: str
    received_at: datetime


def deletion_summary(db: Database, referral_id: int) -> DeletionSummary:
    """The referral as the confirmation names it: R-number, patient, partner, when it was received.

    Raises:
        NotFoundError: no such referral (already deleted, say).
    """
    query = (
        select(Referral.patient_first_name, Referral.patient_last_name, Partner.name, Referral.received_at)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.id == referral_id)
    )
    with db.session() as session:
        row = session.execute(query).first()
    if row is None:
        raise NotFoundError(f"Referral {referral_number(referral_id)} does not exist.")
    first, last, partner, received_at = row
    return DeletionSummary(referral_id, referral_number(referral_id), f"{first} {last}", partner, received_at)


def delete_referral(db: Database, actor: Actor, referral_id: int, reason: str) -> None:
    """Delete referral ``referral_id`` and everything that belongs to it, leaving no trace of its patient
    in the database file (see the module's docstring for what stays: earlier audit rows).

    Referrals that were linked to it as a possible duplicate lose the link (their R-numbers go into the
    audit detail). Refusals are audited as failed, like every other write.

    Raises:
        AccessDenied: ``actor`` is not an active administrator.
        ValidationError: keyed "reason": no reason, or a too long one.
        NotFoundError: no such referral.
    """
    with audited(db, actor, "referral.delete", "referral", referral_id) as scope:
        check_admin(scope.session, actor, DOING)
        errors = Errors()
        cleaned = errors.text("reason", reason, label="Reason", max_length=REASON_MAX_LENGTH, required=True)
        errors.raise_if_any()
        referral = scope.session.get(Referral, referral_id)
        if referral is None:
            raise NotFoundError(f"Referral {referral_number(referral_id)} does not exist.")
        unlinked = _unlink(scope.session, referral_id)
        scope.session.delete(referral)  # its dependent rows by ON DELETE CASCADE, in the same statement
        scope.session.flush()  # the delete trigger has now written the index's delete markers
        search_index.forget_deleted(scope.session.connection())
        scope.detail.update({"reason": cleaned, "r_number": referral_number(referral_id)})
        if unlinked:
            scope.detail["unlinked"] = [referral_number(rid) for rid in unlinked]
    _empty_the_wal(db)


def _unlink(session: Session, referral_id: int) -> list[int]:
    """Clear ``linked_referral_id`` on the referrals that point at this one (the reference has no
    cascade: a possible duplicate outlives the referral it was linked to). Returns their ids."""
    linked = select(Referral.id).where(Referral.linked_referral_id == referral_id).order_by(Referral.id)
    ids = list(session.scalars(linked))
    if ids:
        session.execute(
            update(Referral)
            .where(Referral.linked_referral_id == referral_id)
            .values(linked_referral_id=None)
            .execution_options(synchronize_session=False)
        )
    return ids


def _empty_the_wal(db: Database) -> None:
    """Checkpoint and truncate the ``-wal`` now: its older frames hold the rows as they were, and
    SQLite would otherwise leave them there until it happens to overwrite them or the last connection
    closes (which removes the file). Best effort, after the commit: a reader still on an older snapshot
    makes the checkpoint give up (the delete stands; the frames go when SQLite reuses or removes the
    file)."""
    if db.engine.dialect.name != "sqlite":
        return
    try:
        with db.engine.connect() as connection:
            # The DBAPI connection, outside any transaction: inside one the checkpoint cannot run.
            dbapi_connection = connection.connection.dbapi_connection
            assert dbapi_connection is not None
            cursor = dbapi_connection.cursor()
            try:
                busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                cursor.close()
    except (exc.DBAPIError, sqlite3.Error, OSError):
        log.warning("could not checkpoint the database after deleting a referral", exc_info=True)
        return
    if busy:
        log.info("the checkpoint after deleting a referral waited for a reader; the -wal empties later")
