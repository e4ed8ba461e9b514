"""Accounts tests act as when the role matters: the clinic's settings (letterhead, intake scripts) are
changed by a coordinator or an administrator, never by the front desk (reliability.md 15)."""

from __future__ import annotations

from refdesk.domain.vocab import StaffRole
from refdesk.services.actor import Actor, ensure_staff
from refdesk.storage import Database


def coordinator(db: Database) -> Actor:
    """Thu, the coordinator who keeps the clinic's settings (created on first use)."""
    return ensure_staff(db, "tnguyen", "Thu Nguyễn", StaffRole.COORDINATOR)
