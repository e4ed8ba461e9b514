"""``refdesk import referrals|partners FILE``: summaries, exit codes and the mapping file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from refdesk.services.actor import Actor, local_actor
from refdesk.storage import Database
from tests.refdesk.cli_helpers import run
from tests.refdesk.imports.files import fingerprint, row, write_csv

pytestmark = pytest.mark.usefixtures("no_log_handlers_left", "partner_id", "service_line_id")
DEFAULTS = ["--default", "service_line=Physical therapy", "--default", "channel=fax", "--date-format", "MDY"]


def test_an_import_prints_its_summary_and_exits_0(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(), row(first="Ann"), row(first="Ann")])
    code, out, err = run(["import", "referrals", str(path), "--db", str(db_path), *DEFAULTS], capsys)
    assert (code, err) == (0, "")
    assert out.strip() == "Read 3 rows: imported 2, skipped 1 duplicate, rejected 0."


def test_a_refused_import_lists_the_lines_and_exits_1(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(), row(first="Ann", dob="31/31/1990")])
    local_actor(db)  # the workstation's account, which the command creates on first use
    before = fingerprint(db)
    code, out, err = run(["import", "referrals", str(path), "--db", str(db_path), *DEFAULTS], capsys)
    assert code == 1 and out == ""
    assert "Nothing was imported: 1 of 2 rows" in err and "line 3: Date of birth: Not a date" in err
    assert fingerprint(db) == before


def test_skip_invalid_writes_the_rejects_and_exits_0_when_something_was_imported(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(), row(first="Ann", dob="31/31/1990")])
    rejects = tmp_path / "out.csv"
    code, out, _ = run(
        [
            "import",
            "referrals",
            str(path),
            "--db",
            str(db_path),
            *DEFAULTS,
            "--skip-invalid",
            "--rejects",
            str(rejects),
        ],
        capsys,
    )
    assert code == 0 and "imported 1" in out and "rejected 1" in out and str(rejects) in out
    assert rejects.read_text(encoding="utf-8-sig").count("\n") == 2
    only_bad = write_csv(tmp_path / "bad.csv", [row(first="Bo", dob="31/31/1990")])
    code, out, _ = run(
        ["import", "referrals", str(only_bad), "--db", str(db_path), *DEFAULTS, "--skip-invalid"], capsys
    )
    assert code == 1 and "imported 0" in out and (tmp_path / "bad-rejected.csv").exists()


def test_what_cannot_be_mapped_is_refused_by_name(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "log.csv", [row()])
    code, out, err = run(["import", "referrals", str(path), "--db", str(db_path)], capsys)
    assert code == 1 and out == ""
    assert err.strip().startswith("refdesk: Cannot map: Service line, Received by (channel)")
    with pytest.raises(SystemExit) as exited:
        run(["import", "referrals", str(path), "--db", str(db_path), "--default", "nonsense"], capsys)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "expected FIELD=VALUE" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["import", "referrals", str(tmp_path / "none.csv"), "--db", str(db_path)], capsys)
    assert code == 1 and "There is no file" in err


def test_a_saved_mapping_is_used_and_a_dry_run_writes_nothing(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "log.csv",
        [row(partner="Elm PT")],
        header=["Given", "Family", "Born", "Tel", "Sender", "Why", "Prio", "Where", "When"],
    )
    saved = tmp_path / "map.json"
    saved.write_text(
        json.dumps(
            {
                "version": 1,
                "kind": "referrals",
                "columns": {
                    "patient_first_name": "Given",
                    "patient_last_name": "Family",
                    "patient_dob": "Born",
                    "phone": "Tel",
                    "partner": "Sender",
                    "reason": "Why",
                    "received_at": "When",
                },
                "values": {},
                "date_format": "MDY",
                "defaults": {"service_line": "Physical therapy", "channel": "fax"},
            }
        ),
        encoding="utf-8",
    )
    local_actor(db)
    before = fingerprint(db)
    args = [
        "import",
        "referrals",
        str(path),
        "--db",
        str(db_path),
        "--mapping",
        str(saved),
        "--create-partners",
    ]
    code, out, _ = run([*args, "--dry-run"], capsys)
    assert code == 0 and "would import 1" in out and "would create 1 partner" in out
    assert fingerprint(db) == before
    code, out, _ = run([*args, "--save-mapping", str(tmp_path / "again.json")], capsys)
    assert code == 0 and "imported 1" in out
    assert json.loads((tmp_path / "again.json").read_text())["columns"]["phone"] == "Tel"
    code, _, err = run(
        ["import", "partners", str(path), "--db", str(db_path), "--mapping", str(saved)], capsys
    )
    assert code == 1 and "is a mapping for referrals, not for partners" in err


def test_partners_are_imported(
    actor: Actor, db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["Elm PT", "therapy"], ["Oak Street Primary Care", ""]],
        header=["Name", "Category"],
    )
    code, out, _ = run(["import", "partners", str(path), "--db", str(db_path)], capsys)
    assert code == 0 and out.strip() == "Read 2 rows: imported 1, skipped 1 duplicate, rejected 0."


def test_the_command_line_starts_without_openpyxl(tmp_path: Path) -> None:
    script = (
        "import sys, refdesk.cli.main, refdesk.imports.referrals, refdesk.imports.partners; "
        "print('openpyxl' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env={**os.environ}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


NO_ORDER = DEFAULTS[:4]  # the defaults without --date-format


def test_the_date_order_is_found_in_the_data_and_a_bad_date_does_not_spoil_it(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 12/31/1980 can only be month first; 99/99/1999 is that row's problem, not the file's order.
    rows = [row(dob="12/31/1980", received="11/03/2026"), row(first="Ann", dob="99/99/1999")]
    path = write_csv(tmp_path / "log.csv", rows)
    code, out, err = run(
        ["import", "referrals", str(path), "--db", str(db_path), *NO_ORDER, "--skip-invalid"], capsys
    )
    assert code == 0, err
    assert out.startswith("Read 2 rows: imported 1, skipped 0 duplicates, rejected 1.")


def test_dates_that_read_both_ways_are_refused_with_the_option_to_give(
    db: Database, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(dob="03/04/1961", received="11/03/2026")])
    before = fingerprint(db)
    code, out, err = run(["import", "referrals", str(path), "--db", str(db_path), *NO_ORDER], capsys)
    assert code == 1 and out == ""
    assert "--date-format MDY" in err and "--date-format DMY" in err
    assert fingerprint(db) == before
