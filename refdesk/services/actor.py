"""Who is acting. Every service call that writes takes an Actor, so every row says who did it."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy import select

from refdesk.domain.models import AuditEvent, Staff
from refdesk.domain.vocab import StaffRole
from refdesk.storage import Database


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in person (or, until the GUI signs people in, the workstation's user).

    ``full_name`` comes last with a default so that positional ``Actor(id, username, role)`` still works.
    """

    staff_id: int
    username: str
    role: StaffRole
    full_name: str = ""


def ensure_staff(
    db: Database, username: str, full_name: str, role: StaffRole = StaffRole.FRONT_DESK
) -> Actor:
    """The staff member ``username``, created when missing (first run, demo data, tests)."""
    with db.transaction() as session:
        staff = session.scalars(select(Staff).where(Staff.username == username)).first()
        if staff is None:
            staff = Staff(username=username, full_name=full_name, role=role)
            session.add(staff)
            session.flush()
            # The account creates itself (first run, demo data); later accounts are made by an admin (6/7).
            session.add(
                AuditEvent(staff_id=staff.id, action="staff.create", entity="staff", entity_id=staff.id)
            )
        return Actor(staff.id, staff.username, staff.role, staff.full_name)


def local_actor(db: Database) -> Actor:
    """The workstation's logged-in user, until sign-in (issue 6/7) replaces it with a real account."""
    try:
        username = getpass.getuser()
    except (KeyError, OSError):
        username = "frontdesk"
    return ensure_staff(db, username, username, StaffRole.ADMIN)


def list_staff(db: Database, *, active_only: bool = True) -> list[Staff]:
    """Staff by name, for owner pickers and filters."""
    query = select(Staff).order_by(Staff.full_name)
    if active_only:
        query = query.where(Staff.active)
    with db.session() as session:
        return list(session.scalars(query))
