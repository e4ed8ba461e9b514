"""The clinic's security settings: how many idle minutes before RefDesk locks its screen.

HIPAA's automatic logoff (45 CFR 164.312(a)(2)(iii)) asks that an unattended workstation stop showing
patient data; the clinic chooses how soon. The value lives in the database's settings (so a backup carries
it and every workstation of the clinic follows it), changed by an administrator only, and every change
(or refused attempt) is written to the audit trail like any other setting.
"""

from __future__ import annotations

import logging

from refdesk.domain.models import Setting
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, ValidationError
from refdesk.services import settings
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.storage import Database

log = logging.getLogger(__name__)

IDLE_LOCK_MINUTES = "security.idle_lock_minutes"
#: A front desk is busy but often left for a minute: five minutes locks a walked-away screen soon enough
#: without locking the person who is reading a referral over the phone.
DEFAULT_IDLE_MINUTES = 5
MIN_IDLE_MINUTES = 1
#: Longer than an hour is not an automatic logoff any more.
MAX_IDLE_MINUTES = 60


def idle_minutes(db: Database) -> int:
    """The idle minutes before the screen locks; the default when unset, clamped into range when the
    stored value is out of it (a damaged value never switches the lock off)."""
    value = settings.get(db, IDLE_LOCK_MINUTES)
    if value is None:
        return DEFAULT_IDLE_MINUTES
    if isinstance(value, bool) or not isinstance(value, int):
        log.warning("stored idle lock minutes unreadable, using %d", DEFAULT_IDLE_MINUTES)
        return DEFAULT_IDLE_MINUTES
    return min(max(value, MIN_IDLE_MINUTES), MAX_IDLE_MINUTES)


def set_idle_minutes(db: Database, actor: Actor, minutes: int) -> int:
    """Set the idle minutes before the screen locks (administrators only); returns the value stored.

    Raises:
        AccessDenied: ``actor`` is not an administrator (the refusal is audited).
        ValidationError: keyed ``"minutes"``: not a whole number from 1 to 60; nothing is saved.
    """
    with audited(db, actor, "setting.update", "setting") as scope:
        if actor.role is not StaffRole.ADMIN:
            raise AccessDenied("Only an administrator can change when RefDesk locks itself.")
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not (MIN_IDLE_MINUTES <= minutes <= MAX_IDLE_MINUTES)
        ):
            raise ValidationError(
                {"minutes": f"Choose from {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes."}
            )
        row = scope.session.get(Setting, IDLE_LOCK_MINUTES)
        old = None if row is None else row.value
        if row is None:
            scope.session.add(Setting(key=IDLE_LOCK_MINUTES, value=minutes))
        else:
            row.value = minutes
        scope.detail.update({"key": IDLE_LOCK_MINUTES, "old": old, "new": minutes})
    return minutes
