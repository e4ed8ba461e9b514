"""``refdesk staff``: the IT person lists the accounts and resets a password when every administrator is
locked out; the reset unlocks the account, is audited as done from the command line, and the person then
chooses their own password."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from refdesk.cli import staff
from refdesk.domain.times import utc_now
from refdesk.domain.vocab import StaffRole
from refdesk.errors import RefDeskError, SignInError, ValidationError
from refdesk.services.accounts import (
    add_staff,
    password_change_required,
    set_active,
    set_up_clinic,
    sign_in,
)
from refdesk.services.actor import Actor, ensure_staff
from refdesk.storage import Database
from tests.refdesk.services.helpers import audit_rows


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def parser() -> argparse.ArgumentParser:
    """``refdesk`` with only the ``staff`` command, registered as ``refdesk.cli.main`` does."""

    def db_option(sub: argparse.ArgumentParser, default: object = None) -> None:
        sub.add_argument("--db", type=Path, default=default)

    top = argparse.ArgumentParser(prog="refdesk")
    staff.register(top.add_subparsers(), db_option)
    return top


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = parser().parse_args(argv)
    code = args.command(args)
    return code, capsys.readouterr().out


@pytest.fixture
def admin(db: Database) -> Actor:
    return set_up_clinic(
        db, clinic_name="Riverside", username="ari", full_name="Ari Admin", password="correct horse"
    )


@pytest.fixture
def locked_out(db: Database, admin: Actor) -> Iterator[None]:
    """Ari has tried too often and is locked out for a while."""
    for _ in range(5):
        with pytest.raises(SignInError):
            sign_in(db, "ari", "forgot it again")
    yield


def test_the_list_shows_each_account_its_role_and_state(
    db: Database, db_path: Path, admin: Actor, locked_out: None, capsys: pytest.CaptureFixture[str]
) -> None:
    maria = add_staff(db, admin, "maria", "Maria Lopez", StaffRole.FRONT_DESK, "tulip-garden-42")
    set_active(db, admin, maria, False)
    ensure_staff(db, "legacy", "Lee Gacy", StaffRole.COORDINATOR)

    code, out = run(["staff", "list", "--db", str(db_path)], capsys)

    assert code == 0
    assert out.splitlines() == [
        "ari     Ari Admin    Admin        active, locked",
        "legacy  Lee Gacy     Coordinator  active, no password",
        "maria   Maria Lopez  Front desk   disabled, must change password",
    ]


def test_a_locked_out_administrator_gets_back_in_with_a_password_from_stdin(
    db: Database,
    db_path: Path,
    admin: Actor,
    locked_out: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("back in again\n"))

    code, out = run(["staff", "reset-password", " ARI ", "--db", str(db_path)], capsys)

    assert code == 0
    assert out == (
        "New password set for ari (Ari Admin); the account is unlocked. "
        "They choose their own password at their next sign-in.\n"
    )
    actor = sign_in(db, "ari", "back in again", now=utc_now() + timedelta(seconds=1))
    assert password_change_required(db, actor)
    [row] = audit_rows(db, "staff.reset_password")
    assert (row.staff_id, row.entity_id, row.success) == (None, admin.staff_id, True)
    assert row.detail == {"username": "ari", "via": "command line"}


def test_on_a_terminal_the_password_is_asked_twice_and_must_match(
    db: Database,
    db_path: Path,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", _Tty())
    typed = iter(["first try here", "first try hare", "second try", "second try"])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    with pytest.raises(RefDeskError, match="The two passwords differ; nothing was changed."):
        run(["staff", "reset-password", "ari", "--db", str(db_path)], capsys)
    assert sign_in(db, "ari", "correct horse").staff_id == admin.staff_id

    assert run(["staff", "reset-password", "ari", "--db", str(db_path)], capsys)[0] == 0
    assert prompts == ["New password: ", "Again: "] * 2
    assert sign_in(db, "ari", "second try").staff_id == admin.staff_id


def test_a_reset_follows_the_password_rules_and_needs_a_known_name(
    db: Database,
    db_path: Path,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(ValidationError, match="Use at least 8 characters"):
        run(["staff", "reset-password", "ari", "--db", str(db_path)], capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough\n"))
    with pytest.raises(RefDeskError, match="no account with the user name 'nobody'"):
        run(["staff", "reset-password", "nobody", "--db", str(db_path)], capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(RefDeskError, match="No password was given"):
        run(["staff", "reset-password", "ari", "--db", str(db_path)], capsys)
    assert audit_rows(db, "staff.reset_password") == []
    assert sign_in(db, "ari", "correct horse").staff_id == admin.staff_id


def test_a_missing_database_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.db"
    with pytest.raises(RefDeskError, match="There is no RefDesk database at"):
        run(["staff", "list", "--db", str(missing)], capsys)
    assert not missing.exists()
