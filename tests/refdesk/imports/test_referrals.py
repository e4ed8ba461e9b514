"""Importing a referral log: rows checked with the New referral form's rules, written like referrals made
by hand, all-or-nothing (or the valid rows, with a rejects file), duplicates skipped, Cancel harmless."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import AuditEvent, Partner, Referral, ReferralRecord, StatusEvent
from refdesk.domain.vocab import Channel
from refdesk.errors import OperationCancelled
from refdesk.imports import checker_pool
from refdesk.imports import referrals as referral_module
from refdesk.imports.mapping import Mapping, guess_mapping
from refdesk.imports.referrals import preview, run_import
from refdesk.imports.results import ImportRefused
from refdesk.imports.source import ImportFileError, open_source
from refdesk.services import metric_cells
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.catalog import NewPartner, NewServiceLine, create_partner, create_service_line
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from tests.refdesk.imports.files import HEADER, PARTNER, fingerprint, row, write_csv, write_xlsx


def mapping_for(path: Path, **changes: Any) -> Mapping:
    with open_source(path) as source:
        mapping = guess_mapping("referrals", source.headers)
    mapping.defaults = {"service_line": "Physical therapy", "channel": "fax"}
    mapping.date_format = "MDY"
    for name, value in changes.items():
        setattr(mapping, name, value)
    return mapping


def do_import(db: Database, actor: Actor, path: Path, **options: Any) -> Any:
    mapping = options.pop("mapping", None) or mapping_for(path)
    with open_source(path) as source:
        return run_import(db, actor, source, mapping, **options)


def audits(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def service(service_line_id: int, partner_id: int) -> int:
    return service_line_id


def test_an_imported_referral_looks_exactly_like_one_made_by_hand(
    db: Database, actor: Actor, service: int, tmp_path: Path
) -> None:
    form = NewReferral(
        partner_id=create_partner(db, actor, NewPartner(name="Elm Clinic")),
        service_line_id=service,
        patient_first_name="Zoë",
        patient_last_name="Nguyễn",
        patient_dob=date(1958, 4, 2),
        phone="555-201-4477",
        reason="Low back pain",
        received_at=datetime(2024, 5, 3, 9, 15),
        referring_clinician="Dr. Ada Park",
    )
    form.channel = Channel.FAX
    by_hand = create_referral(db, actor, form)
    path = write_csv(
        tmp_path / "log.csv",
        [[*row(first="Zoë", last="Nguyễn", received="05/03/2024 9:15 AM"), "Dr. Ada Park"]],
        header=[*HEADER, "Referring Provider"],
    )
    result = do_import(db, actor, path)
    assert (result.read, result.imported, result.duplicates, result.rejected) == (1, 1, 0, 0)
    with db.session() as session:
        made, imported = session.scalars(select(Referral).order_by(Referral.id)).all()
        assert made.id == by_hand
        skip = {"id", "partner_id", "created_at", "updated_at"}
        for column in Referral.__table__.columns:
            if column.name not in skip:
                assert getattr(imported, column.name) == getattr(made, column.name), column.name
        records = {
            rid: [
                (r.name, r.received_on, r.requested_on)
                for r in session.scalars(
                    select(ReferralRecord)
                    .where(ReferralRecord.referral_id == rid)
                    .order_by(ReferralRecord.id)
                )
            ]
            for rid in (made.id, imported.id)
        }
        assert records[made.id] == records[imported.id] == [("Recent notes", None, None)]
        events = {e.referral_id: e for e in session.scalars(select(StatusEvent).order_by(StatusEvent.id))}
        for name in ("from_state", "to_state", "close_reason", "at", "staff_id"):
            assert getattr(events[imported.id], name) == getattr(events[made.id], name), name
        assert events[imported.id].note == "Imported from log.csv"
    with db.engine.connect() as connection:
        facts = metric_cells.fact_rows(connection)
        assert facts[imported.id][2:] == facts[made.id][2:]
        assert metric_cells.stored(connection) == metric_cells.recount(connection)


def test_the_import_is_audited_with_its_counts(
    db: Database, actor: Actor, service: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(), row(first="Ann")])
    do_import(db, actor, path)
    (event,) = audits(db, "referral.import")
    assert event.success and event.staff_id == actor.staff_id
    assert event.detail is not None
    assert {k: event.detail[k] for k in ("file", "read", "imported", "duplicates", "rejected")} == {
        "file": "log.csv",
        "read": 2,
        "imported": 2,
        "duplicates": 0,
        "rejected": 0,
    }


def test_duplicates_of_existing_referrals_and_of_earlier_rows_are_skipped_and_counted(
    db: Database, actor: Actor, service: int, tmp_path: Path, referral_id: int
) -> None:
    with db.session() as session:
        existing = session.get(Referral, referral_id)
        assert existing is not None
        day = existing.received_at.astimezone().strftime("%m/%d/%Y")
    same = row(first="zoë ", last="NGUYỄN", received=day)  # the fixture's patient, partner and day
    path = write_csv(
        tmp_path / "log.csv",
        [same, row(first="Ann"), row(first="Ann"), row(first="Ann", received="05/04/2024")],
    )
    result = do_import(db, actor, path)
    assert (result.read, result.imported, result.duplicates) == (4, 2, 2)
    with open_source(path) as source:
        found = preview(db, source, mapping_for(path))
    assert (found.read, found.valid, found.duplicates) == (4, 0, 4)
    assert all(shown.duplicate for shown in found.rows)


def test_a_bad_row_means_nothing_is_imported_and_the_database_is_unchanged(
    db: Database, actor: Actor, service: int, tmp_path: Path, referral_id: int
) -> None:
    rows = [row(first=f"Ann{i}") for i in range(50)] + [row(dob="02/30/1958"), row(phone="12")]
    path = write_csv(tmp_path / "log.csv", rows)
    before = fingerprint(db)
    with pytest.raises(ImportRefused) as refused:
        do_import(db, actor, path, create_partners=["A New Practice"])
    assert fingerprint(db) == before
    result = refused.value.result
    assert (result.read, result.imported, result.rejected) == (52, 50, 2)
    assert [p.line for p in result.problems] == [52, 53]
    assert "patient_dob" in result.problems[0].messages and "phone" in result.problems[1].messages
    assert "02/30/1958" not in str(refused.value)  # no patient data in the message
    (failed,) = audits(db, "referral.import")
    assert not failed.success and failed.detail and "Nothing was imported" in failed.detail["error"]


def test_cancel_leaves_the_database_unchanged(
    db: Database, actor: Actor, service: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(first=f"Ann{i}") for i in range(1200)])
    before = fingerprint(db)
    asked: list[int] = []
    seen: list[tuple[int, int]] = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) >= 4

    with pytest.raises(OperationCancelled):
        do_import(
            db,
            actor,
            path,
            should_stop=should_stop,
            progress=lambda d, t: seen.append((d, t)),
            skip_invalid=True,
        )
    assert fingerprint(db) == before
    assert seen and seen[0][0] == 250
    assert not (tmp_path / "log-rejected.csv").exists()
    (cancelled,) = audits(db, "referral.import")
    assert not cancelled.success


def test_importing_the_valid_rows_writes_the_rejected_ones_with_their_reason(
    db: Database, actor: Actor, service: int, tmp_path: Path
) -> None:
    rows = [row(), row(first="=HYPERLINK(1)", dob="13/13/1958"), row(first="Ann", status="Lost")]
    path = write_csv(tmp_path / "log.csv", rows)
    result = do_import(db, actor, path, skip_invalid=True)
    assert (result.imported, result.rejected) == (1, 2)
    assert result.rejects_path == tmp_path / "log-rejected.csv"
    with result.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["Line", *HEADER, "Problem"]
    assert lines[1][0] == "3" and lines[1][1] == "'=HYPERLINK(1)"  # formula-safe
    assert lines[1][-1] == "Date of birth: Not a date in the order MM/DD/YYYY."
    assert lines[2][0] == "4" and lines[2][-1].startswith("Status: “Lost” is not a value RefDesk knows")


def test_closed_referrals_need_their_reason(db: Database, actor: Actor, service: int, tmp_path: Path) -> None:
    header = [*HEADER, "Close Reason"]
    rows = [
        [*row(first="A", status="Declined"), ""],
        [*row(first="B", status="Declined"), "Not eligible"],
        [*row(first="C", status="Duplicate"), ""],  # one reason only: it is taken
        [*row(first="D", status="Pending"), "No response"],
        [*row(first="E", status=""), "Wrong number"],  # the reason says the state
    ]
    path = write_csv(tmp_path / "log.csv", rows, header=header)
    result = do_import(db, actor, path, skip_invalid=True)
    assert (result.imported, result.rejected) == (3, 2)
    assert [(p.line, *p.messages) for p in result.problems] == [(2, "close_reason"), (5, "close_reason")]
    with db.session() as session:
        got = {
            r.patient_first_name: (r.state, r.close_reason, r.closed_at == r.received_at, r.next_action)
            for r in session.scalars(select(Referral))
        }
    assert got == {
        "B": (State.DECLINED_BY_CLINIC, CloseReason.NOT_ELIGIBLE, True, None),
        "C": (State.DUPLICATE, CloseReason.DUPLICATE_REFERRAL, True, None),
        "E": (State.UNABLE_TO_REACH, CloseReason.INVALID_CONTACT, True, None),
    }


def test_unknown_partners_are_listed_and_created_on_request(
    db: Database, actor: Actor, service: int, tmp_path: Path
) -> None:
    rows = [
        row(partner="Riverside  PT"),
        row(first="Ann", partner="riverside pt"),
        row(first="Bo", partner=PARTNER.upper()),
    ]
    path = write_csv(tmp_path / "log.csv", rows)
    with open_source(path) as source:
        found = preview(db, source, mapping_for(path))
        assert found.unknown_partners == [("Riverside PT", 2)]
        assert (found.valid, found.invalid) == (1, 2)
        assert "not a partner in RefDesk" in found.problems[0].messages["partner"]
        planned = preview(db, source, mapping_for(path), create_partners=["Riverside PT"])
        assert (planned.valid, planned.invalid) == (3, 0)
    result = do_import(db, actor, path, create_partners=["Riverside PT"])
    assert (result.imported, result.partners_created) == (3, 1)
    with db.session() as session:
        names = sorted(session.scalars(select(Partner.name)))
    assert names == ["Oak Street Primary Care", "Riverside PT"]
    assert len(audits(db, "partner.create")) == 2  # the fixture's and the import's


def test_a_dry_run_counts_and_writes_nothing(
    db: Database, actor: Actor, service: int, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "log.csv", [row(), row(first="Ann", partner="New PT")])
    before = fingerprint(db)
    result = do_import(db, actor, path, dry_run=True, create_partners=["New PT"])
    assert (result.imported, result.partners_created, result.dry_run) == (2, 1, True)
    assert "would import 2" in result.summary()
    assert fingerprint(db) == before
    (event,) = audits(db, "referral.import")
    assert event.success and event.detail and event.detail["dry_run"] is True


def test_the_mapping_must_fit_the_file(db: Database, actor: Actor, service: int, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", [row()])
    with pytest.raises(ImportFileError, match="without: Service line"):
        do_import(db, actor, path, mapping=mapping_for(path, defaults={"channel": "fax"}))
    wrong = mapping_for(path)
    wrong.columns["phone"] = "Telephone"
    with pytest.raises(ImportFileError, match="no column named: Telephone"):
        do_import(db, actor, path, mapping=wrong)
    with pytest.raises(ImportFileError, match="month/day or as day/month"):
        do_import(db, actor, path, mapping=mapping_for(path, date_format=None))
    header_only = write_csv(tmp_path / "empty.csv", [])
    with pytest.raises(ImportFileError, match="header but no rows"):
        do_import(db, actor, header_only, mapping=mapping_for(path))


def test_an_xlsx_log_is_imported(db: Database, actor: Actor, service: int, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "log.xlsx",
        {
            "Log": [
                HEADER,
                [
                    *row()[:2],
                    date(1958, 4, 2),
                    5552014477,
                    PARTNER,
                    "Knee",
                    "High",
                    "In progress",
                    datetime(2024, 5, 3, 14, 30),
                ],
            ]
        },
    )
    result = do_import(db, actor, path, mapping=mapping_for(path, date_format=None))
    assert result.imported == 1
    with db.session() as session:
        imported = session.scalars(select(Referral)).one()
    assert imported.phone == "(555) 201-4477" and imported.state is State.CONTACT_ATTEMPTED
    assert imported.received_at.astimezone().replace(tzinfo=None) == datetime(2024, 5, 3, 14, 30)


def test_a_large_import_in_workers_writes_what_one_in_process_writes(
    actor: Actor, service: int, tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker processes and the bulk path (indexes and search triggers set aside, rebuilt at the end)
    against the in-process path, on two databases with the same partners and lines."""
    rows = [
        row(first=f"Ann{i}", received=f"05/{1 + i % 28:02d}/2024", status=["Pending", "Seen"][i % 2])
        for i in range(300)
    ] + [row(dob="bad")]
    path = write_csv(tmp_path / "log.csv", rows)
    plain = do_import(db, actor, path, skip_invalid=True)
    other = Database.open(tmp_path / "other.db")
    try:
        other_actor = ensure_staff(other, "maria", "Maria Lopez")
        create_partner(other, other_actor, NewPartner(name=PARTNER))
        create_service_line(
            other, other_actor, NewServiceLine(name="Physical therapy", required_records=["Recent notes"])
        )
        monkeypatch.setattr(checker_pool, "PARALLEL_FROM", 10)
        monkeypatch.setattr(checker_pool, "CHUNK_ROWS", 64)
        monkeypatch.setattr(checker_pool, "worker_count", lambda expected: 2)
        monkeypatch.setattr(referral_module, "SUSPEND_SEARCH_AT", 10)
        parallel = do_import(other, other_actor, path, skip_invalid=True)
        assert (parallel.imported, parallel.rejected) == (plain.imported, plain.rejected) == (300, 1)
        columns = (
            "partner_id, service_line_id, name_key, phone_digits, received_at, state, ack_due_at, "
            "first_contact_due_at, next_action, next_action_at, state_changed_at"
        )
        query = text(f"SELECT {columns} FROM referral ORDER BY id")
        with db.engine.connect() as one, other.engine.connect() as two:
            assert one.execute(query).all() == two.execute(query).all()
            indexes = "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name"
            assert one.exec_driver_sql(indexes).all() == two.exec_driver_sql(indexes).all()
            assert metric_cells.stored(two) == metric_cells.recount(two)
            found = two.exec_driver_sql(
                "SELECT count(*) FROM referral_search WHERE referral_search MATCH '\"ann12\"'"
            ).scalar()
            assert found == 11  # Ann12, Ann120..Ann129
    finally:
        other.close()
