"""Signing in and out, first-run setup, and one's own password (reliability.md promises 11 and 15).

Each staff member signs in with their own account; only Argon2id hashes are stored (``passwords``).
Every sign-in attempt writes exactly one ``auth.sign_in`` audit row, and a refusal never says whether the
name or the password was wrong: an unknown name is checked against a dummy hash so it takes as long as a
wrong password. After ``LOCK_AFTER`` failures in a row the account is locked for ``FIRST_LOCK``, doubling
with each further failure up to ``LONGEST_LOCK``; while locked, attempts are refused without checking the
password (and do not lengthen the lock).

Account management (admin-only) lives in ``staff_admin`` and is re-exported here, so the screens import
one module.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import NoReturn

from refdesk.domain.models import Setting, Staff
from refdesk.domain.times import as_utc, utc_now
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, RefDeskError, SignInError, ValidationError
from refdesk.services.actor import Actor
from refdesk.services.audit import audited, record
from refdesk.services.passwords import (
    PASSWORD_MIN_LENGTH,
    check_new_password,
    hash_password,
    needs_rehash,
    normalize_username,
    spend_a_verification,
    verify_password,
)
from refdesk.services.settings import CLINIC_NAME
from refdesk.services.staff_admin import (
    StaffAccount,
    actor_of,
    add_staff,
    admins_who_can_sign_in,
    check_username,
    find_staff,
    record_without_actor,
    require_role,
    reset_password,
    reset_password_from_command_line,
    set_active,
    set_role,
    staff_accounts,
)
from refdesk.services.validation import Errors
from refdesk.storage import Database

__all__ = [
    "FIRST_LOCK",
    "LOCK_AFTER",
    "LONGEST_LOCK",
    "PASSWORD_MIN_LENGTH",
    "SIGN_OUT_REASONS",
    "StaffAccount",
    "add_staff",
    "change_password",
    "needs_setup",
    "password_change_required",
    "require_role",
    "reset_password",
    "reset_password_from_command_line",
    "set_active",
    "set_role",
    "set_up_clinic",
    "sign_in",
    "sign_out",
    "staff_accounts",
]

LOCK_AFTER = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
SIGN_OUT_REASONS = frozenset({"signed out", "idle lock", "switch user"})

WRONG = "The name or password is not right."
ALREADY_SET_UP = "RefDesk is already set up: sign in instead."
DISABLED = "This account is disabled. Ask your administrator."
#: Longer than any user name, so whatever was typed in the name box is kept to this in the audit detail.
_LOGGED_NAME_LENGTH = 64


def needs_setup(db: Database) -> bool:
    """True until some active administrator has a password: a new database, or one from before sign-in
    whose accounts were all made without passwords. The GUI then shows first-run setup, not sign-in."""
    with db.session() as session:
        return session.execute(admins_who_can_sign_in().limit(1)).first() is None


def set_up_clinic(db: Database, *, clinic_name: str, username: str, full_name: str, password: str) -> Actor:
    """First run: name the clinic and make its first administrator, signed in at once.

    An existing account without a password (made before sign-in existed) and of the same user name is
    upgraded instead: it becomes an administrator with this password, and keeps its history.

    Raises:
        AccessDenied: the clinic is already set up (sign in instead).
        ValidationError: keyed "clinic_name", "username", "full_name", "password".
    """
    try:
        return _set_up(db, clinic_name, username, full_name, password)
    except RefDeskError as error:
        # Messages of refusals carry no password (they say which rule, never what was typed).
        record_without_actor(db, "clinic.setup", None, {"error": str(error)})
        raise


def _set_up(db: Database, clinic_name: str, username: str, full_name: str, password: str) -> Actor:
    if not needs_setup(db):
        raise AccessDenied(ALREADY_SET_UP)
    errors = Errors()
    clinic = errors.text("clinic_name", clinic_name, label="Clinic name", max_length=120, required=True)
    name = check_username(errors, "username", username)
    full = errors.text("full_name", full_name, label="Full name", max_length=120, required=True)
    check_new_password(errors, "password", password, username=name)
    errors.raise_if_any()
    password_hash = hash_password(password)
    with db.transaction() as session:
        if session.execute(admins_who_can_sign_in().limit(1)).first() is not None:
            raise AccessDenied(ALREADY_SET_UP)  # another desk finished setup while this form was open
        staff = find_staff(session, name)
        upgraded = staff is not None
        if staff is None:
            staff = Staff(username=name)
            session.add(staff)
        elif staff.password_hash:
            raise ValidationError({"username": "That user name is taken; choose another."})
        staff.full_name = full or ""
        staff.role = StaffRole.ADMIN
        staff.active = True
        staff.password_hash = password_hash
        staff.failed_sign_ins = 0
        staff.locked_until = None
        staff.must_change_password = False
        staff.last_sign_in_at = utc_now()
        setting = session.get(Setting, CLINIC_NAME)
        if setting is None:
            session.add(Setting(key=CLINIC_NAME, value=clinic))
        else:
            setting.value = clinic
        session.flush()
        actor = actor_of(staff)
        detail = {"username": name, "clinic_name": clinic, "upgraded": upgraded}
        record(session, actor, "clinic.setup", "staff", staff.id, detail=detail)
        record(session, actor, "auth.sign_in", "staff", staff.id)
        return actor


def sign_in(db: Database, username: str, password: str, *, now: datetime | None = None) -> Actor:
    """The signed-in actor for ``username`` and ``password`` (the name in any case, spaces trimmed).

    Raises:
        SignInError: wrong name or password (never saying which), a disabled account, or a locked one
            (saying for how long). Every attempt, refused or not, writes one ``auth.sign_in`` row.
    """
    moment = as_utc(now) if now is not None else utc_now()
    name = normalize_username(username)
    logged_name = name[:_LOGGED_NAME_LENGTH]
    with db.session() as session:
        staff = find_staff(session, name)
        if staff is not None:
            session.expunge(staff)
    if staff is None:
        spend_a_verification(password)
        _refuse(db, None, logged_name, "unknown name", WRONG)
    if staff.locked_until is not None and staff.locked_until > moment:
        _refuse(db, staff.id, logged_name, "locked", _locked_message(staff.locked_until - moment))
    if not verify_password(staff.password_hash, password):
        _count_failure(db, staff.id, logged_name, moment)
        raise SignInError(WRONG)
    if not staff.active:
        _refuse(db, staff.id, logged_name, "disabled", DISABLED)
    assert staff.password_hash is not None  # verified above
    fresh_hash = hash_password(password) if needs_rehash(staff.password_hash) else None
    with db.transaction() as session:
        stored = session.get(Staff, staff.id)
        assert stored is not None  # accounts are disabled, never deleted
        stored.failed_sign_ins = 0
        stored.locked_until = None
        stored.last_sign_in_at = moment
        if fresh_hash is not None and stored.password_hash == staff.password_hash:
            stored.password_hash = fresh_hash
        actor = actor_of(stored)
        record(session, actor, "auth.sign_in", "staff", stored.id)
    return actor


def sign_out(db: Database, actor: Actor, *, reason: str = "signed out") -> None:
    """Record that ``actor`` left: "signed out", "idle lock" (the window locked itself) or "switch user"."""
    if reason not in SIGN_OUT_REASONS:
        raise ValueError(f"unknown sign-out reason: {reason!r}")
    with db.transaction() as session:
        record(session, actor, "auth.sign_out", "staff", actor.staff_id, detail={"reason": reason})


def password_change_required(db: Database, actor: Actor) -> bool:
    """True when an administrator set ``actor``'s password: they choose their own before working."""
    with db.session() as session:
        staff = session.get(Staff, actor.staff_id)
        return bool(staff is not None and staff.must_change_password)


def change_password(db: Database, actor: Actor, old: str, new: str) -> None:
    """``actor`` changes their own password (which also ends "must change password").

    Raises:
        ValidationError: keyed "old" (not the current password) and "new" (refused by the rules).
    """
    with db.session() as session:
        staff = session.get(Staff, actor.staff_id)
        current_hash = staff.password_hash if staff is not None else None
    errors = Errors()
    if not verify_password(current_hash, old):
        errors.add("old", "That is not your current password.")
    check_new_password(errors, "new", new, username=actor.username)
    if not errors.messages and new == old:
        errors.add("new", "Choose a password different from the current one.")
    new_hash = hash_password(new) if not errors.messages else ""
    with audited(db, actor, "staff.change_password", "staff", actor.staff_id) as scope:
        errors.raise_if_any()
        stored = scope.session.get(Staff, actor.staff_id)
        if stored is None or stored.password_hash != current_hash:
            # Reset by an administrator between the check and now: the old password is no longer it.
            errors.add("old", "That is not your current password.")
            errors.raise_if_any()
        assert stored is not None
        stored.password_hash = new_hash
        stored.must_change_password = False


def _count_failure(db: Database, staff_id: int, logged_name: str, moment: datetime) -> None:
    """One more failure in a row; the ``LOCK_AFTER``-th and every later one locks the account."""
    with db.transaction() as session:
        stored = session.get(Staff, staff_id)
        assert stored is not None
        stored.failed_sign_ins = (stored.failed_sign_ins or 0) + 1
        if stored.failed_sign_ins >= LOCK_AFTER:
            stored.locked_until = moment + lock_duration(stored.failed_sign_ins)
        detail = {"username": logged_name, "reason": "wrong password"}
        record(session, None, "auth.sign_in", "staff", staff_id, success=False, detail=detail)


def lock_duration(failures: int) -> timedelta:
    """How long the ``failures``-th failure in a row locks the account for (nothing below ``LOCK_AFTER``)."""
    if failures < LOCK_AFTER:
        return timedelta(0)
    doublings = min(failures - LOCK_AFTER, 10)  # 2**10 * 30 s is far past the longest lock already
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


def _locked_message(remaining: timedelta) -> str:
    seconds = math.ceil(remaining.total_seconds())
    if seconds < 60:
        wait = f"{seconds} second{'' if seconds == 1 else 's'}"
    else:
        minutes = math.ceil(seconds / 60)
        wait = f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"Too many attempts. Try again in {wait}."


def _refuse(db: Database, staff_id: int | None, logged_name: str, reason: str, message: str) -> NoReturn:
    with db.transaction() as session:
        detail = {"username": logged_name, "reason": reason}
        record(session, None, "auth.sign_in", "staff", staff_id, success=False, detail=detail)
    raise SignInError(message)
