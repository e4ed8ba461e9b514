"""Reliability promises 11 and 15: each person signs in with their own account, only Argon2id hashes are
stored, repeated failures lock an account for a while, every attempt is audited, and staff management is
for administrators only, who can never lock the clinic out of RefDesk."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text, update

from refdesk.cli.demo import fill
from refdesk.demo.directory import give_demo_passwords
from refdesk.domain.models import Staff
from refdesk.domain.vocab import StaffRole
from refdesk.errors import AccessDenied, SignInError, ValidationError
from refdesk.services import accounts, passwords, settings
from refdesk.services.accounts import (
    add_staff,
    change_password,
    needs_setup,
    password_change_required,
    reset_password,
    set_active,
    set_role,
    set_up_clinic,
    sign_in,
    sign_out,
    staff_accounts,
)
from refdesk.services.actor import Actor, ensure_staff
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows

PASSWORD = "tulip-garden-42"
T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
WRONG = "The name or password is not right."


@pytest.fixture
def admin(db: Database) -> Actor:
    return set_up_clinic(
        db, clinic_name="Riverside Clinic", username="ari", full_name="Ari Admin", password="correct horse"
    )


@pytest.fixture
def maria(db: Database, admin: Actor) -> int:
    return add_staff(db, admin, "maria", "Maria Lopez", StaffRole.FRONT_DESK, PASSWORD)


def stored(db: Database, staff_id: int) -> Staff:
    with db.session() as session:
        staff = session.get(Staff, staff_id)
        assert staff is not None
        return staff


def sign_in_rows(db: Database) -> list[tuple[bool, str | None]]:
    return [(row.success, (row.detail or {}).get("reason")) for row in audit_rows(db, "auth.sign_in")]


def refused(db: Database, username: str, password: str, now: datetime = T0) -> str:
    with pytest.raises(SignInError) as caught:
        sign_in(db, username, password, now=now)
    return str(caught.value)


# --- passwords are stored as hashes only -----------------------------------------------------------------


def test_only_an_argon2id_hash_is_stored_never_the_password(
    db: Database, db_path: Path, admin: Actor, maria: int
) -> None:
    refused(db, "maria", "tulip-garden-43")  # a near miss is not stored either
    reset_password(db, admin, maria, "second-tulip-9")
    assert stored(db, maria).password_hash.startswith("$argon2id$")  # type: ignore[union-attr]
    wal = Path(f"{db_path}-wal").read_bytes()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db_path.read_bytes() + wal
    for secret in ("correct horse", PASSWORD, "tulip-garden-43", "second-tulip-9"):
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw


def test_the_production_parameters_make_argon2id_hashes_with_rfc_9106_costs() -> None:
    made = passwords.production_hasher().hash(PASSWORD)
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.production_hasher().verify(made, PASSWORD)


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(db: Database, maria: int) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    with db.transaction() as session:
        staff = session.get(Staff, maria)
        assert staff is not None
        staff.password_hash = old
    sign_in(db, "maria", PASSWORD)
    fresh = stored(db, maria).password_hash
    assert fresh != old
    assert fresh is not None and not passwords.needs_rehash(fresh)
    assert sign_in(db, "maria", PASSWORD).staff_id == maria


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 8 characters."),
        ("Newbie01", "The password cannot be the user name."),
        ("password123", "This password is one of the first anyone would guess; choose another."),
    ],
)
def test_a_new_password_is_refused_for_length_the_user_name_or_being_common(
    db: Database, admin: Actor, password: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_staff(db, admin, "newbie01", "New Person", StaffRole.FRONT_DESK, password)
    assert caught.value.errors == {"password": message}
    # no composition rules: eight lower-case letters and a space are fine
    add_staff(db, admin, "newbie01", "New Person", StaffRole.FRONT_DESK, "plain words")


# --- signing in ------------------------------------------------------------------------------------------


def test_signing_in_gives_the_account_and_records_the_time(db: Database, maria: int) -> None:
    actor = sign_in(db, "  MARIA ", PASSWORD, now=T0)  # any case, spaces trimmed
    assert actor == Actor(maria, "maria", StaffRole.FRONT_DESK, "Maria Lopez")
    assert stored(db, maria).last_sign_in_at == T0
    [row] = [r for r in audit_rows(db, "auth.sign_in") if r.staff_id == maria]
    assert (row.success, row.entity_id) == (True, maria)


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(db: Database, maria: int) -> None:
    assert refused(db, "maria", "tulip-garden-43") == WRONG
    assert refused(db, "mario", PASSWORD) == WRONG
    assert refused(db, "", "") == WRONG
    assert sign_in_rows(db)[-3:] == [
        (False, "wrong password"),
        (False, "unknown name"),
        (False, "unknown name"),
    ]
    assert audit_rows(db, "auth.sign_in")[-2].detail == {"username": "mario", "reason": "unknown name"}


def test_a_disabled_account_says_so_only_to_whoever_knows_its_password(
    db: Database, admin: Actor, maria: int
) -> None:
    set_active(db, admin, maria, False)
    assert refused(db, "maria", "tulip-garden-43") == WRONG
    assert refused(db, "maria", PASSWORD) == "This account is disabled. Ask your administrator."
    assert sign_in_rows(db)[-1] == (False, "disabled")
    set_active(db, admin, maria, True)
    assert sign_in(db, "maria", PASSWORD).staff_id == maria


def test_an_account_made_without_a_password_cannot_sign_in(db: Database, admin: Actor) -> None:
    ensure_staff(db, "legacy", "Legacy Account")
    assert refused(db, "legacy", "") == WRONG
    assert refused(db, "legacy", PASSWORD) == WRONG


def test_five_failures_lock_the_account_for_30_seconds_then_each_failure_doubles_the_lock(
    db: Database, maria: int
) -> None:
    for _ in range(5):
        assert refused(db, "maria", "wrong guess") == WRONG
    # locked: even the right password is refused, without being checked, and the lock does not grow
    assert refused(db, "maria", PASSWORD, T0 + timedelta(seconds=10)) == (
        "Too many attempts. Try again in 20 seconds."
    )
    assert stored(db, maria).locked_until == T0 + timedelta(seconds=30)
    # unlocked after the delay; one more failure locks for 60 s, the next for 2 minutes
    t1 = T0 + timedelta(seconds=31)
    assert refused(db, "maria", "wrong guess", t1) == WRONG
    assert refused(db, "maria", PASSWORD, t1) == "Too many attempts. Try again in 1 minute."
    t2 = t1 + timedelta(seconds=61)
    assert refused(db, "maria", "wrong guess", t2) == WRONG
    assert refused(db, "maria", PASSWORD, t2 + timedelta(seconds=1)) == (
        "Too many attempts. Try again in 2 minutes."
    )
    t3 = t2 + timedelta(minutes=2)
    assert sign_in(db, "maria", PASSWORD, now=t3).staff_id == maria
    # success resets the count: four new failures do not lock
    for _ in range(4):
        refused(db, "maria", "wrong guess", t3)
    assert sign_in(db, "maria", PASSWORD, now=t3).staff_id == maria
    assert sign_in_rows(db).count((False, "locked")) == 3


def test_the_lock_grows_to_15_minutes_at_most() -> None:
    assert [accounts.lock_duration(n).total_seconds() for n in range(4, 11)] == [
        0,
        30,
        60,
        120,
        240,
        480,
        900,
    ]
    assert accounts.lock_duration(40) == timedelta(minutes=15)


def test_every_attempt_writes_exactly_one_audit_row(db: Database, maria: int) -> None:
    before = len(audit_rows(db, "auth.sign_in"))
    attempts: list[Callable[[], object]] = [
        lambda: sign_in(db, "maria", PASSWORD, now=T0),
        *[lambda: sign_in(db, "maria", "nope nope", now=T0)] * 6,  # 5 wrong, then locked
        lambda: sign_in(db, "nobody", PASSWORD, now=T0),
    ]
    for attempt in attempts:
        with contextlib.suppress(SignInError):
            attempt()
    assert len(audit_rows(db, "auth.sign_in")) - before == len(attempts)


def test_signing_out_is_audited_with_its_reason(db: Database, maria: int) -> None:
    actor = sign_in(db, "maria", PASSWORD)
    for reason in ("signed out", "idle lock", "switch user"):
        sign_out(db, actor, reason=reason)
    rows = audit_rows(db, "auth.sign_out")
    assert [(r.staff_id, r.detail) for r in rows] == [
        (maria, {"reason": "signed out"}),
        (maria, {"reason": "idle lock"}),
        (maria, {"reason": "switch user"}),
    ]


def test_no_audit_row_holds_a_password_or_a_hash(db: Database, admin: Actor, maria: int) -> None:
    refused(db, "maria", "tulip-garden-43")
    actor = sign_in(db, "maria", PASSWORD)
    change_password(db, actor, PASSWORD, "a brand new one")
    reset_password(db, admin, maria, "reset by admin")
    with db.engine.connect() as connection:
        details = " ".join(str(d) for (d,) in connection.execute(text("SELECT detail FROM audit_event")))
    for secret in (
        "correct horse",
        PASSWORD,
        "tulip-garden-43",
        "a brand new one",
        "reset by admin",
        "$argon2",
    ):
        assert secret not in details


# --- first-run setup -------------------------------------------------------------------------------------


def test_setup_happens_once_and_signs_the_first_administrator_in(db: Database) -> None:
    assert needs_setup(db)
    actor = set_up_clinic(
        db, clinic_name=" Riverside  Clinic ", username="Ari", full_name="Ari Admin", password="correct horse"
    )
    assert (actor.username, actor.role, actor.full_name) == ("ari", StaffRole.ADMIN, "Ari Admin")
    assert not needs_setup(db)
    assert settings.clinic_name(db) == "Riverside Clinic"
    assert [(r.success, r.staff_id) for r in audit_rows(db, "clinic.setup")] == [(True, actor.staff_id)]
    assert audit_rows(db, "auth.sign_in")[-1].staff_id == actor.staff_id
    assert sign_in(db, "ari", "correct horse") == actor

    with pytest.raises(AccessDenied, match="already set up"):
        set_up_clinic(db, clinic_name="Other", username="eve", full_name="Eve", password="taking over")
    assert [r.success for r in audit_rows(db, "clinic.setup")] == [True, False]
    assert settings.clinic_name(db) == "Riverside Clinic"
    assert [a.username for a in staff_accounts(db)] == ["ari"]


def test_setup_names_every_field_it_refuses(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        set_up_clinic(db, clinic_name=" ", username="a b", full_name="", password="short")
    assert set(caught.value.errors) == {"clinic_name", "username", "full_name", "password"}
    assert needs_setup(db)


def test_setup_upgrades_a_database_from_before_sign_in(db: Database, referral_id: int) -> None:
    """Accounts made by the workstation user, without passwords, do not count as set up; setting up with
    the same name keeps that account (and the work it did)."""
    legacy = ensure_staff(db, "JSmith", "JSmith", StaffRole.ADMIN)
    assert needs_setup(db)
    actor = set_up_clinic(
        db, clinic_name="Oak", username="jsmith", full_name="Jo Smith", password="my own pass"
    )
    assert actor.staff_id == legacy.staff_id
    assert audit_rows(db, "clinic.setup")[0].detail == {
        "username": "jsmith",
        "clinic_name": "Oak",
        "upgraded": True,
    }
    assert sign_in(db, "JSMITH", "my own pass").full_name == "Jo Smith"


# --- roles -----------------------------------------------------------------------------------------------

ADMIN_ACTIONS: dict[str, Callable[[Database, Actor, int], object]] = {
    "staff.create": lambda db, a, _sid: add_staff(db, a, "newbie", "New Person", StaffRole.ADMIN, PASSWORD),
    "staff.disable": lambda db, a, sid: set_active(db, a, sid, False),
    "staff.enable": lambda db, a, sid: set_active(db, a, sid, True),
    "staff.role": lambda db, a, sid: set_role(db, a, sid, StaffRole.ADMIN),
    "staff.reset_password": lambda db, a, sid: reset_password(db, a, sid, "mine now!"),
}


@pytest.mark.parametrize("role", [StaffRole.FRONT_DESK, StaffRole.COORDINATOR])
@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
def test_front_desk_and_coordinators_are_refused_every_admin_action_and_it_is_audited(
    db: Database, admin: Actor, maria: int, role: StaffRole, action: str
) -> None:
    someone = add_staff(db, admin, "someone", "Some One", role, "another password")
    actor = sign_in(db, "someone", "another password")
    before = stored(db, maria)
    with pytest.raises(AccessDenied, match="^Only an administrator can manage staff accounts.$"):
        ADMIN_ACTIONS[action](db, actor, maria)
    after = stored(db, maria)
    assert (after.active, after.role, after.password_hash) == (
        before.active,
        before.role,
        before.password_hash,
    )
    assert [a.username for a in staff_accounts(db)] == ["ari", "maria", "someone"]
    [row] = [r for r in audit_rows(db, action) if r.staff_id == someone]
    assert row.success is False
    assert row.detail == {"error": "Only an administrator can manage staff accounts."}


def test_an_administrator_demoted_at_another_desk_loses_the_rights_at_once(
    db: Database, admin: Actor, maria: int
) -> None:
    other = add_staff(db, admin, "bo", "Bo Admin", StaffRole.ADMIN, "bo's password")
    bo = sign_in(db, "bo", "bo's password")
    set_role(db, admin, other, StaffRole.COORDINATOR)
    with pytest.raises(AccessDenied):
        set_active(db, bo, maria, False)  # bo's screen still says admin
    assert stored(db, maria).active


def test_accounts_are_listed_by_name_with_their_state(db: Database, admin: Actor, maria: int) -> None:
    ensure_staff(db, "legacy", "aaron legacy")
    set_role(db, admin, maria, StaffRole.COORDINATOR)
    listed = {a.username: a for a in staff_accounts(db)}
    assert [a.full_name for a in staff_accounts(db)] == ["aaron legacy", "Ari Admin", "Maria Lopez"]
    assert (listed["legacy"].has_password, listed["maria"].has_password) == (False, True)
    assert listed["maria"].role is StaffRole.COORDINATOR
    assert listed["maria"].must_change_password and not listed["ari"].must_change_password
    assert audit_rows(db, "staff.role")[-1].detail == {
        "username": "maria",
        "old": "front_desk",
        "new": "coordinator",
    }


def test_a_user_name_is_taken_whatever_its_case(db: Database, admin: Actor, maria: int) -> None:
    with pytest.raises(ValidationError) as caught:
        add_staff(db, admin, " MARIA ", "Another Maria", StaffRole.FRONT_DESK, PASSWORD)
    assert caught.value.errors == {"username": "That user name is taken; choose another."}


# --- never without an administrator ----------------------------------------------------------------------


def test_an_administrator_cannot_disable_themselves(db: Database, admin: Actor) -> None:
    add_staff(db, admin, "bo", "Bo Admin", StaffRole.ADMIN, "bo's password")
    with pytest.raises(AccessDenied, match="your own account"):
        set_active(db, admin, admin.staff_id, False)
    assert audit_rows(db, "staff.disable")[-1].success is False


def test_the_last_administrator_cannot_be_demoted_or_disabled(db: Database, admin: Actor) -> None:
    # an administrator without a password (from before sign-in) cannot sign in, so does not count
    ensure_staff(db, "legacy", "Legacy Admin", StaffRole.ADMIN)
    with pytest.raises(AccessDenied, match="at least one active administrator"):
        set_role(db, admin, admin.staff_id, StaffRole.FRONT_DESK)
    bo = add_staff(db, admin, "bo", "Bo Admin", StaffRole.ADMIN, "bo's password")
    set_role(db, admin, admin.staff_id, StaffRole.COORDINATOR)  # another admin now exists
    bo_actor = sign_in(db, "bo", "bo's password")
    with pytest.raises(AccessDenied, match="at least one active administrator"):
        set_role(db, bo_actor, bo, StaffRole.FRONT_DESK)
    assert not needs_setup(db)
    assert stored(db, bo).role is StaffRole.ADMIN


# --- resetting and changing passwords --------------------------------------------------------------------


def test_after_a_reset_the_account_is_unlocked_and_its_owner_must_choose_a_password(
    db: Database, admin: Actor, maria: int
) -> None:
    actor = sign_in(db, "maria", PASSWORD)
    change_password(db, actor, PASSWORD, "my own secret")
    assert not password_change_required(db, actor)
    for _ in range(5):
        refused(db, "maria", "forgotten it")
    reset_password(db, admin, maria, "temporary one")
    assert password_change_required(db, actor)
    assert refused(db, "maria", "my own secret") == WRONG
    actor = sign_in(db, "maria", "temporary one", now=T0)  # no longer locked
    assert audit_rows(db, "staff.reset_password")[-1].detail == {"username": "maria"}

    with pytest.raises(ValidationError) as caught:
        change_password(db, actor, "not it at all", "fresh and mine")
    assert caught.value.errors == {"old": "That is not your current password."}
    with pytest.raises(ValidationError) as caught:
        change_password(db, actor, "temporary one", "maria")
    assert caught.value.errors == {"new": "Use at least 8 characters."}
    with pytest.raises(ValidationError) as caught:
        change_password(db, actor, "temporary one", "temporary one")
    assert caught.value.errors == {"new": "Choose a password different from the current one."}
    assert [r.success for r in audit_rows(db, "staff.change_password")] == [True, False, False, False]

    change_password(db, actor, "temporary one", "fresh and mine")
    assert not password_change_required(db, actor)
    assert sign_in(db, "maria", "fresh and mine").staff_id == maria


# --- the actor and the demo ------------------------------------------------------------------------------


def test_an_actor_built_from_three_fields_still_works(db: Database) -> None:
    assert Actor(1, "maria", StaffRole.FRONT_DESK).full_name == ""
    assert ensure_staff(db, "kim", "Kim Lee").full_name == "Kim Lee"


def test_the_demo_database_opens_at_sign_in_with_admin_and_demo(db: Database) -> None:
    from refdesk.demo import DEMO_ADMIN, DEMO_PASSWORD, names

    fill(db, referrals=50, partners=5)
    assert not needs_setup(db)
    admin = sign_in(db, DEMO_ADMIN, DEMO_PASSWORD)
    assert admin.role is StaffRole.ADMIN
    hashes = {account.username: stored(db, account.staff_id).password_hash for account in staff_accounts(db)}
    assert set(hashes) == {username for username, _, _ in names.STAFF}
    assert len(set(hashes.values())) == 1  # hashed once per fill
    assert sign_in(db, "tnguyen", DEMO_PASSWORD).role is StaffRole.COORDINATOR
    assert not password_change_required(db, admin)

    # a demo database made before sign-in existed gets its demo passwords when the demo opens it
    with db.engine.begin() as connection:
        connection.execute(update(Staff).values(password_hash=None))
    assert needs_setup(db)
    with db.engine.begin() as connection:
        assert give_demo_passwords(connection) == len(names.STAFF)
        assert give_demo_passwords(connection) == 0
    assert sign_in(db, DEMO_ADMIN, DEMO_PASSWORD).staff_id == admin.staff_id
