"""``refdesk report`` and ``refdesk export`` as a scheduled task meets them: the documents made by the
same functions as the Reports tab, one line on success, and the CLI's error conventions (a bad argument
is one line and exit 2; what the database does not hold is plain words and exit 1)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from refdesk.cli.main import main
from refdesk.cli.report import last_month
from refdesk.domain.models import LetterSent
from refdesk.storage import Database
from tests.refdesk.cli_helpers import run
from tests.refdesk.reports.clinic_data import SEEN, Month, full
from tests.refdesk.services.helpers import audit_rows

pytestmark = pytest.mark.usefixtures("no_log_handlers_left")


def text_of(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def period(month: Month) -> list[str]:
    return ["--from", month.period.start.isoformat(), "--to", month.period.end.isoformat()]


def test_letters_for_the_period_in_one_file(
    db: Database, db_path: Path, month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "letters.pdf"

    code, out, err = run(
        ["report", "letters", "--db", str(db_path), *period(month), "--out", str(target)], capsys
    )

    assert (code, err) == (0, "")
    assert (
        out
        == f"Wrote the status letters for {month.period.start} to {month.period.end} (one file) to {target}\n"
    )
    assert full(SEEN) in text_of(target)
    with db.session() as session:
        assert len(list(session.scalars(select(LetterSent)))) == 2


def test_letters_per_partner_for_partners_named_or_numbered(
    db_path: Path, month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    argv = ["report", "letters", "--db", str(db_path), *period(month), "--per-partner", "--out", str(folder)]

    code, out, _err = run(
        [*argv, "--partner", "oak street  PRIMARY care", str(month.other_partner_id)], capsys
    )

    assert code == 0 and "(2 files)" in out
    assert len(list(folder.glob("*.pdf"))) == 2


def test_the_summary_and_the_metrics_of_a_period(
    db: Database, db_path: Path, month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary, metrics = tmp_path / "summary.pdf", tmp_path / "metrics.csv"

    code, out, _err = run(
        ["report", "summary", "--db", str(db_path), *period(month), "--partner", "Oak Street Primary Care",
         "--out", str(summary)],
        capsys,
    )  # fmt: skip
    assert code == 0 and out.startswith("Wrote the partner summary")
    assert "Oak Street Primary Care" in text_of(summary)

    code, out, _err = run(
        ["export", "metrics", "--db", str(db_path), *period(month), "--out", str(metrics)], capsys
    )
    assert code == 0 and "rows) to" in out
    rows = list(csv.reader(io.StringIO(metrics.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Scope" and len(rows) >= 3
    assert [a.success for a in audit_rows(db, "report.summary")] == [True]
    assert [a.success for a in audit_rows(db, "export.metrics")] == [True]


def test_the_packet_by_service_line_name_and_the_queue(
    db: Database, db_path: Path, month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packet, queue = tmp_path / "packet.pdf", tmp_path / "queue.csv"

    code, out, _err = run(
        ["report", "packet", "--db", str(db_path), "--service", "physical THERAPY", "--out", str(packet)],
        capsys,
    )
    assert code == 0 and out == f"Wrote the referral packet to {packet}\n"
    assert "Physical therapy" in text_of(packet)

    code, out, _err = run(["export", "queue", "--db", str(db_path), "--out", str(queue)], capsys)
    assert (code, out) == (0, f"Wrote 4 referrals to {queue}\n")  # open: scheduled, three received
    code, out, _err = run(["export", "queue", "--all", "--db", str(db_path), "--out", str(queue)], capsys)
    assert (code, out) == (0, f"Wrote 7 referrals to {queue}\n")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "summary", "--from", "2024-05-32", "--to", "2024-06-01"], "not a date (YYYY-MM-DD)"),
        (
            ["report", "letters", "--from", "2024-06-01", "--to", "2024-05-01"],
            "--to 2024-05-01 is before --from",
        ),
        (["report", "letters", "--from", "2024-06-01"], "give both --from and --to"),
        (["report", "packet"], "the following arguments are required: --service"),
        (["report", "brochure"], "invalid choice"),
        (["export", "everything"], "invalid choice"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--out", str(tmp_path / "x.pdf"), "--db", str(tmp_path / "x.db")])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert expected in err and err.count("\n") == 1 and err.startswith("refdesk")


def test_what_the_database_does_not_hold_is_plain_words_and_exit_1(
    db_path: Path, month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["--out", str(tmp_path / "x.pdf")]
    code, _out, err = run(["report", "letters", "--db", str(db_path), "--partner", "Nobody", *out], capsys)
    assert (code, err) == (1, "refdesk: No partner named or numbered “Nobody”.\n")
    code, _out, err = run(["report", "packet", "--db", str(db_path), "--service", "Dentistry", *out], capsys)
    assert (code, err) == (1, "refdesk: No service line named or numbered “Dentistry”.\n")
    missing = tmp_path / "nowhere.db"
    code, _out, err = run(["report", "summary", "--db", str(missing), *out], capsys)
    assert (code, err) == (1, f"refdesk: No database at {missing}.\n")
    assert not missing.exists() and not (tmp_path / "x.pdf").exists()


def test_without_dates_the_period_is_last_month() -> None:
    assert last_month(date(2024, 3, 15)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert last_month(date(2024, 1, 1)) == (date(2023, 12, 1), date(2023, 12, 31))
