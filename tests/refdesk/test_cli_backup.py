"""``refdesk backup`` and ``refdesk restore``: one line on success, and the CLI's error conventions (a bad
argument is one line and exit 2; a missing or damaged file is plain words and exit 1)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from refdesk.storage import Database
from refdesk.storage.backup import list_backups
from tests.refdesk.cli_helpers import run

pytestmark = pytest.mark.usefixtures("no_log_handlers_left")


def referrals_in(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM referral").fetchone()[0])
    finally:
        connection.close()


def test_backup_to_a_folder_then_restore_it(
    db: Database, referral_id: int, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "usb"

    code, out, err = run(["backup", "--db", str(db_path), "--to", str(folder)], capsys)

    assert (code, err) == (0, "")
    [backup] = list_backups(folder)
    assert out == f"Wrote {backup.path} (1 referral); pruned 0 older backups\n"

    db.close()
    db_path.unlink()
    code, out, err = run(["restore", str(backup.path), "--db", str(db_path)], capsys)
    assert (code, err) == (0, "")
    assert out == f"Restored {backup.path} to {db_path} (there was no database before)\n"
    assert referrals_in(db_path) == 1


def test_backup_goes_to_the_data_folders_backups_by_default(
    refdesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Database.open(refdesk_home / "refdesk.db").close()

    code, out, _ = run(["backup"], capsys)

    assert code == 0
    assert [b.path.parent for b in list_backups(refdesk_home / "backups")] == [refdesk_home / "backups"]
    assert out.startswith(f"Wrote {refdesk_home / 'backups'}")


def test_restore_says_where_the_old_database_went(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["backup", "--db", str(db_path), "--to", str(tmp_path / "b")], capsys)
    db.close()
    [backup] = list_backups(tmp_path / "b")

    code, out, _ = run(["restore", str(backup.path), "--db", str(db_path)], capsys)

    assert code == 0
    [aside] = db_path.parent.glob("test.db.before-restore-*")
    assert out == f"Restored {backup.path} to {db_path}; the previous database is kept as {aside}\n"


def test_restore_of_a_foreign_file_is_refused_in_plain_words(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    other = tmp_path / "recipes.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE recipe (name TEXT)")
    connection.commit()
    connection.close()
    before = db_path.read_bytes()

    code, out, err = run(["restore", str(other), "--db", str(db_path)], capsys)

    assert (code, out) == (1, "")
    assert err == "refdesk: recipes.db is not a RefDesk database; the current database was not changed.\n"
    assert db_path.read_bytes() == before


def test_missing_files_are_plain_words_and_a_missing_argument_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["backup", "--db", str(tmp_path / "none.db"), "--to", str(tmp_path)], capsys)
    assert (code, err) == (1, f"refdesk: No database at {tmp_path / 'none.db'}.\n")

    code, _, err = run(["restore", str(tmp_path / "none.db")], capsys)
    assert (code, err) == (1, f"refdesk: No backup at {tmp_path / 'none.db'}.\n")

    with pytest.raises(SystemExit) as exited:
        run(["restore"], capsys)
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_restore_help_says_refdesk_must_be_closed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["restore", "--help"], capsys)
    assert "Close RefDesk" in " ".join(capsys.readouterr().out.split())
