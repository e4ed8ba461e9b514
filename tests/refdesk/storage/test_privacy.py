"""Patient data stays where it belongs (reliability.md 9, 10, 19): a deleted referral leaves no trace in
the file's bytes, the files that hold patients are their owner's only, and the log never names a
patient, not even when actions on that patient fail."""

from __future__ import annotations

import logging
import sqlite3
import stat
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from refdesk import paths
from refdesk.cli.main import main
from refdesk.domain.formats import fold
from refdesk.domain.models import Referral
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, StaffRole
from refdesk.errors import RefDeskError, StorageError, ValidationError
from refdesk.logs import configure_logging
from refdesk.services import scheduling
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.erase import delete_referral
from refdesk.services.referrals import NewReferral, create_referral, update_referral
from refdesk.services.scheduling import AppointmentDraft
from refdesk.storage import Database
from refdesk.storage.backup import make_backup
from refdesk.storage.backup_schedule import automatic_backup
from tests.refdesk.imports.files import row, write_csv

#: A patient nobody else is called, and a phone number nobody else has.
FIRST, LAST = "Wojciech", "Qxjzvkqwy"
PHONE, PHONE_DIGITS = "555-987-6543", "5559876543"


#: The search index's terms for the last name: three letters each, never in a hex digest or a date, and
#: stored whole in the index's pages (a test that looks for the whole name misses them).
TRIGRAMS = tuple(fold(LAST)[i : i + 3] for i in range(len(LAST) - 2))


def index_traces(data: bytes) -> list[str]:
    """Which of the last name's trigrams ``data`` holds."""
    return [trigram for trigram in TRIGRAMS if trigram.encode("utf-8") in data]


def traces(data: bytes) -> list[str]:
    """Which forms of the marker patient ``data`` holds: as typed, as folded for search, the phone."""
    found = []
    for form in (LAST, fold(LAST), fold(f"{FIRST} {LAST}"), PHONE, PHONE_DIGITS):
        if form.encode("utf-8") in data:
            found.append(form)
    return found


def file_bytes(db_path: Path) -> bytes:
    wal = Path(f"{db_path}-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def checkpoint(db_path: Path) -> None:
    """Move everything from the ``-wal`` into the file and empty the ``-wal`` (as SQLite does on close)."""
    connection = sqlite3.connect(db_path)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    assert busy == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def marked(db: Database, actor: Actor, new_referral: NewReferral) -> int:
    """The marker patient's referral, with an attempt and an edit: rows in several tables."""
    referral_id = create_referral(
        db, actor, replace(new_referral, patient_first_name=FIRST, patient_last_name=LAST, phone=PHONE)
    )
    log_attempt(db, actor, referral_id, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, note="left a message")
    update_referral(db, actor, referral_id, {"language": "Polish"})
    return referral_id


def test_a_deleted_referral_leaves_no_trace_in_the_database_or_its_wal(
    db: Database, db_path: Path, marked: int, actor: Actor, new_referral: NewReferral
) -> None:
    """Deleted as RefDesk deletes a patient (``delete_referral``), the referral's rows, its history,
    attempts and appointment, and the search index's trigrams of the name are all gone from the bytes."""
    log_attempt(db, actor, marked, AttemptMethod.CALL, AttemptOutcome.REACHED)
    day = date.today() + timedelta(days=7)
    visit = AppointmentDraft(starts_at=datetime(day.year, day.month, day.day, 10), provider="Dr Lee")
    scheduling.book(db, actor, marked, visit, override_reason="The surgeon asked to see him first")
    other = create_referral(db, actor, new_referral)  # someone else, who stays
    admin = ensure_staff(db, "ada", "Ada Admin", StaffRole.ADMIN)
    checkpoint(db_path)
    before = file_bytes(db_path)
    assert traces(before) != []  # the marker is really there to be found
    assert index_traces(before) != []  # and so are the index's pieces of the name

    delete_referral(db, admin, marked, "Entered by mistake")
    checkpoint(db_path)

    after = file_bytes(db_path)
    assert traces(after) == []
    assert index_traces(after) == []
    assert Path(f"{db_path}-wal").stat().st_size == 0
    assert db.integrity_check() == ["ok"]
    with db.session() as session:
        assert list(session.scalars(select(Referral.id))) == [other]


def test_the_database_its_wal_and_the_backups_are_their_owners_only(
    db: Database, db_path: Path, marked: int, refdesk_home: Path, tmp_path: Path
) -> None:
    assert mode(db_path) == 0o600
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{db_path}{suffix}")
        assert companion.exists() and mode(companion) == 0o600, suffix

    default_folder = paths.backup_dir()
    info = automatic_backup(db, default_folder)
    assert mode(default_folder) == 0o700
    assert mode(info.path) == 0o600
    assert mode(refdesk_home) == 0o700

    chosen = tmp_path / "usb" / "refdesk backups"  # a folder named in Settings, made on first use
    paths.set_backup_dir(chosen)
    info = make_backup(db, paths.backup_dir())
    assert info.path.parent == chosen
    assert mode(chosen) == 0o700 and mode(info.path) == 0o600

    fresh = tmp_path / "cli-backups"  # refdesk backup --to a new folder
    info = make_backup(db, fresh)
    assert mode(fresh) == 0o700 and mode(info.path) == 0o600


def test_the_log_never_names_a_patient_even_when_actions_on_them_fail(
    db: Database,
    db_path: Path,
    marked: int,
    actor: Actor,
    new_referral: NewReferral,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_log_handlers_left: None,
) -> None:
    log_path = configure_logging()
    assert log_path is not None
    patient = replace(new_referral, patient_first_name=FIRST, patient_last_name=LAST, phone=PHONE)

    # Refused input about the patient.
    with pytest.raises(ValidationError):
        update_referral(db, actor, marked, {"patient_last_name": "", "phone": "12"})
    # A database error in the middle of saving the patient (a bug, as far as the code can tell): the
    # caller logs its traceback, SQL and all.
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON referral BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(Exception) as bug:
        create_referral(db, actor, patient)
    assert not isinstance(bug.value, RefDeskError)
    logging.getLogger("refdesk.test").error("unexpected error", exc_info=bug.value)
    # The same from the command line: an import of the patient's row that fails the same way.
    csv = write_csv(tmp_path / "log.csv", [row(first=FIRST, last=LAST, phone=PHONE)])
    defaults = [
        "--default",
        "service_line=Physical therapy",
        "--default",
        "channel=fax",
        "--date-format",
        "MDY",
    ]
    code = main(["import", "referrals", str(csv), "--db", str(db_path), "--create-partners", *defaults])
    assert code == 1
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse")
    # The disk full while saving the patient.
    with db.engine.connect() as connection:
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
    db.engine.dispose()
    event.listen(db.engine, "connect", lambda c, _r: c.execute(f"PRAGMA max_page_count = {pages}"))
    with pytest.raises(StorageError):
        for _ in range(100):
            create_referral(db, actor, replace(patient, reason="x" * 3000))

    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = log_path.read_text(encoding="utf-8")
    assert "Traceback" in logged and "refused" in logged  # the failures were logged, with details
    assert traces(logged.encode("utf-8")) == []
    assert traces(capsys.readouterr().err.encode("utf-8")) == []
