"""Staff account management: admin-only (reliability.md promise 15), every attempt audited.

An administrator adds accounts, disables and enables them, changes roles and resets passwords. A refusal
(wrong role, the last administrator, oneself) is audited as a failure like any other. The role is checked
twice: on the ``Actor`` the screen holds, and on the account as stored now, so an administrator demoted
or disabled at another desk loses the rights at once.

RefDesk always keeps an active administrator who can sign in: neither disabling nor a role change may
leave none (``refdesk staff reset-password`` is the way back in when they all forget their password).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from refdesk.domain.models import Staff
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, NotFoundError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited, record
from refdesk.services.passwords import check_new_password, hash_password, normalize_username
from refdesk.services.validation import Errors
from refdesk.storage import Database

log = logging.getLogger(__name__)

USERNAME_MAX_LENGTH = 64
_USERNAME = re.compile(r"^[\w.@-]+$")
_ROLE_WORDS = {
    StaffRole.FRONT_DESK: "front desk staff",
    StaffRole.COORDINATOR: "a coordinator",
    StaffRole.ADMIN: "an administrator",
}
_MANAGE = "manage staff accounts"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """One account as the staff list shows it (never its password hash)."""

    staff_id: int
    username: str
    full_name: str
    role: StaffRole
    active: bool
    has_password: bool
    locked_until: datetime | None
    last_sign_in_at: datetime | None
    must_change_password: bool

    def locked(self, now: datetime | None = None) -> bool:
        """Whether sign-in is refused for a while after repeated failures, at ``now`` (default: now)."""
        return self.locked_until is not None and self.locked_until > (now or utc_now())


def require_role(actor: Actor, *roles: StaffRole, doing: str = "do this") -> None:
    """Raise AccessDenied unless ``actor`` has one of ``roles`` ("Only an administrator can ...")."""
    if actor.role not in roles:
        raise _denied(roles, doing)


def _denied(roles: tuple[StaffRole, ...], doing: str) -> AccessDenied:
    who = " or ".join(_ROLE_WORDS[role] for role in roles) or "nobody"
    return AccessDenied(f"Only {who} can {doing}.")


def staff_accounts(db: Database) -> list[StaffAccount]:
    """Every account, active or not, by full name (the administrator's staff list)."""
    with db.session() as session:
        rows = session.scalars(select(Staff).order_by(func.lower(Staff.full_name), Staff.id))
        return [account_of(staff) for staff in rows]


def add_staff(
    db: Database, actor: Actor, username: str, full_name: str, role: StaffRole, password: str
) -> int:
    """Create an account with a first password, which its owner must change at their first sign-in.

    Raises:
        AccessDenied: ``actor`` is not an administrator.
        ValidationError: keyed "username", "full_name", "password".
    """
    errors = Errors()
    name = check_username(errors, "username", username)
    full = errors.text("full_name", full_name, label="Full name", max_length=120, required=True)
    check_new_password(errors, "password", password, username=name)
    # Hashed before the write transaction (tens of milliseconds that would hold every other writer).
    password_hash = hash_password(password) if not errors.messages and actor.role is StaffRole.ADMIN else ""
    with audited(db, actor, "staff.create", "staff") as scope:
        check_admin(scope.session, actor, _MANAGE)
        if not errors.messages and find_staff(scope.session, name) is not None:
            errors.add("username", "That user name is taken; choose another.")
        errors.raise_if_any()
        staff = Staff(
            username=name,
            full_name=full,
            role=role,
            active=True,
            password_hash=password_hash,
            must_change_password=True,
        )
        scope.session.add(staff)
        scope.session.flush()
        scope.entity_id = staff.id
        scope.detail.update({"username": name, "role": role.value})
        return staff.id


def set_active(db: Database, actor: Actor, staff_id: int, active: bool) -> None:
    """Enable or disable an account. A disabled account cannot sign in; its history stays.

    Raises:
        AccessDenied: not an administrator, disabling oneself, or disabling the last administrator.
        NotFoundError: no such account.
    """
    action = "staff.enable" if active else "staff.disable"
    with audited(db, actor, action, "staff", staff_id) as scope:
        check_admin(scope.session, actor, _MANAGE)
        staff = _get(scope.session, staff_id)
        if not active:
            if staff_id == actor.staff_id:
                raise AccessDenied("You cannot disable your own account.")
            _keep_an_admin(scope.session, staff)
        staff.active = active
        scope.detail["username"] = staff.username


def set_role(db: Database, actor: Actor, staff_id: int, role: StaffRole) -> None:
    """Change an account's role.

    Raises:
        AccessDenied: not an administrator, or the change would leave no active administrator.
        NotFoundError: no such account.
    """
    with audited(db, actor, "staff.role", "staff", staff_id) as scope:
        check_admin(scope.session, actor, _MANAGE)
        staff = _get(scope.session, staff_id)
        if role is not StaffRole.ADMIN:
            _keep_an_admin(scope.session, staff)
        scope.detail.update({"username": staff.username, "old": staff.role.value, "new": role.value})
        staff.role = role


def reset_password(db: Database, actor: Actor, staff_id: int, new_password: str) -> None:
    """Give an account a new password chosen by an administrator: the lockout ends, and its owner must
    choose their own password at the next sign-in.

    Raises:
        AccessDenied: not an administrator.
        NotFoundError: no such account.
        ValidationError: keyed "password".
    """
    with db.session() as session:
        target = session.get(Staff, staff_id)
        username = target.username if target is not None else ""
    errors = Errors()
    check_new_password(errors, "password", new_password, username=username)
    allowed = not errors.messages and target is not None and actor.role is StaffRole.ADMIN
    password_hash = hash_password(new_password) if allowed else ""
    with audited(db, actor, "staff.reset_password", "staff", staff_id) as scope:
        check_admin(scope.session, actor, _MANAGE)
        staff = _get(scope.session, staff_id)
        errors.raise_if_any()
        _set_reset_password(staff, password_hash)
        scope.detail["username"] = staff.username


def reset_password_from_command_line(db: Database, username: str, new_password: str) -> StaffAccount:
    """``refdesk staff reset-password``: the IT person's way back in when every administrator is locked
    out or has forgotten their password. Whoever can run commands on the database's computer can already
    read the file, so this asks for no sign-in; it is audited as done by nobody, "via command line".

    Raises:
        NotFoundError: no account has that user name.
        ValidationError: keyed "password".
    """
    name = normalize_username(username)
    with db.session() as session:
        found = find_staff(session, name)
    if found is None:
        raise NotFoundError(f"There is no account with the user name {name!r}.")
    errors = Errors()
    check_new_password(errors, "password", new_password, username=found.username)
    errors.raise_if_any()
    password_hash = hash_password(new_password)
    with db.transaction() as session:
        staff = _get(session, found.id)
        _set_reset_password(staff, password_hash)
        record(
            session,
            None,
            "staff.reset_password",
            "staff",
            staff.id,
            detail={"username": staff.username, "via": "command line"},
        )
        session.flush()
        return account_of(staff)


# --- shared with refdesk.services.accounts ---------------------------------------------------------------


def find_staff(session: Session, username: str) -> Staff | None:
    """The account called ``username`` (already normalized), ignoring case: accounts made before names
    were folded (the workstation's login name, e.g. "JSmith") are found as typed in any case."""
    exact = session.scalars(select(Staff).where(Staff.username == username)).first()
    if exact is not None:
        return exact
    return session.scalars(
        select(Staff).where(func.lower(Staff.username) == username).order_by(Staff.id)
    ).first()


def check_username(errors: Errors, field: str, username: str) -> str:
    """The user name as it will be stored (trimmed, lower case), or a message for ``field``."""
    name = normalize_username(username)
    if not name:
        errors.add(field, "User name is required.")
    elif len(name) > USERNAME_MAX_LENGTH:
        errors.add(field, f"User name is too long (at most {USERNAME_MAX_LENGTH} characters).")
    elif not _USERNAME.match(name):
        errors.add(field, "Use letters, digits and . _ - @ only (no spaces).")
    return name


def check_admin(session: Session, actor: Actor, doing: str) -> None:
    """Raise AccessDenied unless ``actor`` is, on screen and as stored now, an active administrator."""
    require_role(actor, StaffRole.ADMIN, doing=doing)
    stored = session.get(Staff, actor.staff_id)
    if stored is None or not stored.active or stored.role is not StaffRole.ADMIN:
        raise _denied((StaffRole.ADMIN,), doing)


def account_of(staff: Staff) -> StaffAccount:
    return StaffAccount(
        staff_id=staff.id,
        username=staff.username,
        full_name=staff.full_name,
        role=staff.role,
        active=staff.active,
        has_password=bool(staff.password_hash),
        locked_until=staff.locked_until,
        last_sign_in_at=staff.last_sign_in_at,
        must_change_password=staff.must_change_password,
    )


def actor_of(staff: Staff) -> Actor:
    return Actor(staff.id, staff.username, staff.role, staff.full_name)


def record_without_actor(db: Database, action: str, entity_id: int | None, detail: dict[str, Any]) -> None:
    """One audit row written by nobody signed in (a refused sign-in, a refused first-run setup)."""
    try:
        with db.transaction() as session:
            record(session, None, action, "staff", entity_id, success=False, detail=detail)
    except Exception:
        # The refusal is what the caller must see; this failure is logged (no password in it).
        log.exception("could not audit a refused %s", action)


def admins_who_can_sign_in() -> Select[Any]:
    """The ids of the active administrators who have a password."""
    return select(Staff.id).where(
        Staff.role == StaffRole.ADMIN,
        Staff.active,
        Staff.password_hash.is_not(None),
        Staff.password_hash != "",
    )


def _get(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFoundError("That staff account no longer exists.")
    return staff


def _keep_an_admin(session: Session, staff: Staff) -> None:
    """Refuse taking ``staff`` out of the administrators when no other active one could sign in."""
    if staff.role is not StaffRole.ADMIN or not staff.active:
        return
    others = session.execute(admins_who_can_sign_in().where(Staff.id != staff.id).limit(1)).first()
    if others is None:
        raise AccessDenied(
            "RefDesk needs at least one active administrator: make someone else an administrator first."
        )


def _set_reset_password(staff: Staff, password_hash: str) -> None:
    staff.password_hash = password_hash
    staff.failed_sign_ins = 0
    staff.locked_until = None
    staff.must_change_password = True
