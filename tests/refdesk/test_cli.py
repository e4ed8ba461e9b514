"""The ``refdesk`` command as the IT person and a scheduled task meet it: one-line errors, exit codes,
never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from refdesk.cli import check
from refdesk.cli.main import main
from refdesk.storage import Database, migrate
from tests.refdesk.cli_helpers import run

pytestmark = pytest.mark.usefixtures("no_log_handlers_left")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["demo", "--referrals", "lots"], "not a whole number: 'lots'"),
        (["demo", "--partners", "0"], "must be 1 or more"),
        (["--db", "a.db", "--demo"], "not allowed with argument"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert expected in err and err.count("\n") == 1 and err.startswith("refdesk")


def test_check_says_ok_for_a_sound_database(
    db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    code, out, _ = run(["check", "--db", str(db_path)], capsys)
    assert code == 0
    assert (
        out.startswith("ok: ")
        and "integrity ok" in out
        and f"schema {migrate.HEAD_REVISION} (current)" in out
        and "0 referrals" in out
    )


def test_check_refuses_a_missing_file_and_does_not_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.db"
    code, _, err = run(["check", "--db", str(missing)], capsys)
    assert code == 1 and err == f"refdesk: No database at {missing}.\n"
    assert not missing.exists()


def test_check_reports_a_damaged_file_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 200)
    code, out, err = run(["check", "--db", str(garbage)], capsys)
    assert code == 1
    assert "damaged or is not a RefDesk database" in err + out
    assert "Traceback" not in err + out and "sqlite3." not in err + out


def test_check_reports_physical_damage(
    db: Database, db_path: Path, referral_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    data = bytearray(db_path.read_bytes())
    page = 4096
    assert len(data) > 10 * page
    for start in range(4 * page, len(data), page):  # scribble over the headers of most b-tree pages
        data[start : start + 12] = b"\xa5" * 12
    db_path.write_bytes(bytes(data))
    code, out, err = run(["check", "--db", str(db_path)], capsys)
    assert code == 1
    assert out.startswith("damaged: ") or "damaged" in err
    assert "Traceback" not in out + err


def test_an_unwritable_location_is_a_plain_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(["demo", "--db", str(blocker / "demo.db"), "--referrals", "1"], capsys)
    assert code == 1 and err.startswith("refdesk: Cannot create the folder") and "Traceback" not in err


def test_a_bug_is_logged_with_its_traceback_but_shown_as_one_line(
    db_path: Path, refdesk_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_: object) -> int:
        raise RuntimeError("boom in the code")

    monkeypatch.setattr(check, "run", broken)
    code, _, err = run(["check", "--db", str(db_path)], capsys)
    assert code == 1
    assert "internal error" in err and "Traceback" not in err and "boom" not in err
    logged = (refdesk_home / "logs" / "refdesk.log").read_text()
    assert "Traceback" in logged and "boom in the code" in logged


def test_the_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("refdesk")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("RefDesk ")


# -- the audit trail's line -----------------------------------------------------------------------------


def test_check_says_the_audit_trail_is_intact(
    db: Database, db_path: Path, referral_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    code, out, _ = run(["check", "--db", str(db_path)], capsys)
    assert code == 0
    assert out.splitlines()[1] == "audit trail: 4 rows, chain intact"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("UPDATE audit_event SET detail = '{}' WHERE id = 2", "audit trail: TAMPERED: row 2 was changed"),
        ("DELETE FROM audit_event WHERE id = 2", "audit trail: TAMPERED: row 2 was deleted"),
        ("DELETE FROM audit_event WHERE id = 4", "audit trail: TAMPERED: the newest rows were deleted"),
        (
            "INSERT INTO audit_event (at, action, entity, success) "
            "VALUES ('2030-01-01 00:00:00.000000', 'referral.view', 'referral', 1)",
            "audit trail: TAMPERED: row 5 was added after the last seal",
        ),
        ("DELETE FROM setting WHERE key = 'audit.anchor'", "audit trail: TAMPERED: the end seal"),
    ],
    ids=["edited", "deleted", "newest deleted", "inserted", "anchor deleted"],
)
def test_check_reports_a_tampered_audit_trail_and_exits_1(
    db: Database,
    db_path: Path,
    referral_id: int,
    change: str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db.close()
    with closing(sqlite3.connect(db_path)) as connection:
        connection.execute(change)
        connection.commit()
    code, out, _ = run(["check", "--db", str(db_path)], capsys)
    assert code == 1
    assert out.splitlines()[1].startswith(expected), out


def test_check_without_the_audit_key_says_so_and_makes_none(
    db: Database, db_path: Path, referral_id: int, refdesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    key = refdesk_home / "audit.key"
    key.unlink()
    code, out, _ = run(["check", "--db", str(db_path)], capsys)
    assert code == 1
    assert out.splitlines()[1].startswith("audit trail: cannot be verified: the key is missing")
    assert not key.exists()
