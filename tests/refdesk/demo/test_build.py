"""Building demo data: refused where real patients are, the same for the same seed and clock, reporting
progress, and consistent with the deadlines and next actions the services would have stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from refdesk.demo import build_demo, catalog, loader
from refdesk.domain.models import Appointment, Base, Partner, Referral, ServiceLine
from refdesk.domain.next_action import Deadlines, Facts, deadlines, next_action
from refdesk.domain.vocab import AppointmentStatus
from refdesk.errors import RefDeskError
from refdesk.services import settings
from refdesk.services.due import targets_of
from refdesk.storage import Database
from tests.refdesk.demo.conftest import NOW

SMALL = 300


def _fingerprint(db: Database) -> str:
    """A hash of every row of every table, in id order."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in sorted(Base.metadata.tables):
            order = "id" if "id" in Base.metadata.tables[table].c else "1"
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY {order}'):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _build(path: Path, seed: int) -> str:
    with Database.open(path) as db:
        build_demo(db, referrals=SMALL, partners=9, seed=seed, now=NOW)
        return _fingerprint(db)


def test_the_same_seed_and_clock_give_the_same_data_and_another_seed_other_data(tmp_path: Path) -> None:
    first = _build(tmp_path / "a.db", seed=3)
    again = _build(tmp_path / "b.db", seed=3)
    other = _build(tmp_path / "c.db", seed=4)
    assert first == again
    assert other != first


def test_a_database_with_referrals_is_refused_and_left_as_it_was(db: Database, referral_id: int) -> None:
    before = _fingerprint(db)
    with pytest.raises(RefDeskError, match="already holds referrals"):
        build_demo(db, referrals=10, partners=3, now=NOW)
    assert _fingerprint(db) == before


@pytest.mark.parametrize(
    ("referrals", "partners", "message"),
    [(-1, 5, "cannot be negative"), (10, 0, "at least one partner")],
)
def test_impossible_sizes_are_refused_in_words(
    db: Database, referrals: int, partners: int, message: str
) -> None:
    with pytest.raises(RefDeskError, match=message):
        build_demo(db, referrals=referrals, partners=partners, now=NOW)


def test_progress_is_reported_up_to_the_total_and_the_summary_counts_what_was_written(db: Database) -> None:
    seen: list[tuple[int, int]] = []
    summary = build_demo(db, referrals=SMALL, partners=10, now=NOW, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (SMALL, SMALL)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == SMALL
        assert session.scalar(select(func.count()).select_from(Partner)) == summary.partners == 10
    assert summary.referrals == SMALL and summary.service_lines == 7 and summary.staff >= 5
    assert summary.rows > SMALL * 5 and summary.seconds > 0


def test_existing_staff_and_service_lines_are_reused(
    db: Database, actor: object, service_line_id: int
) -> None:
    build_demo(db, referrals=50, partners=3, now=NOW)
    with db.session() as session:
        names = session.scalars(select(ServiceLine.name)).all()
        used = session.scalars(select(Referral.service_line_id).distinct()).all()
    assert len(names) == len(set(names)) == 7
    assert service_line_id in set(used) or len(used) < 7


def test_no_referrals_gives_a_directory_to_start_from(db: Database) -> None:
    summary = build_demo(db, referrals=0, partners=8, now=NOW)
    assert summary.referrals == 0 and summary.partners == 8


def test_a_naive_now_is_refused(db: Database) -> None:
    with pytest.raises(RefDeskError):
        build_demo(db, referrals=1, partners=1, now=datetime(2026, 3, 16, 15, 0))


def test_deadlines_and_next_actions_are_those_the_services_would_store(demo: Database) -> None:
    with demo.session() as session:
        lines = {line.id: targets_of(line) for line in session.scalars(select(ServiceLine))}
        booked: dict[int, Appointment] = {}
        active = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
        for appointment in session.scalars(select(Appointment).order_by(Appointment.id)):
            if appointment.status in active:
                booked[appointment.referral_id] = appointment
        referrals = list(session.scalars(select(Referral)))
    for referral in referrals:
        targets = lines[referral.service_line_id]
        due = deadlines(referral.received_at, targets)
        assert (referral.ack_due_at, referral.first_contact_due_at) == (
            due.ack_due_at,
            due.first_contact_due_at,
        )
        facts = Facts(
            state=referral.state,
            received_at=referral.received_at,
            acknowledged_at=referral.acknowledged_at,
            first_attempt_at=referral.first_attempt_at,
            last_attempt_at=referral.last_attempt_at,
            attempt_count=referral.attempt_count,
            callback_due_at=referral.callback_due_at,
            state_changed_at=referral.state_changed_at,
            **_appointment_facts(booked.get(referral.id)),
        )
        expected = next_action(facts, targets, Deadlines(due.ack_due_at, due.first_contact_due_at))
        got = (referral.next_action, referral.next_action_at)
        assert got == ((expected.action, expected.due_at) if expected else (None, None)), referral.id


def _appointment_facts(appointment: Appointment | None) -> dict[str, Any]:
    """What ``refdesk.services.due`` tells ``next_action`` about the visit the referral waits for."""
    if appointment is None:
        return {}
    return {
        "appointment_at": appointment.starts_at,
        "appointment_booked_at": appointment.created_at,
        "appointment_confirmed": appointment.status is AppointmentStatus.CONFIRMED,
    }


def test_build_time_is_recorded_in_utc(db: Database) -> None:
    summary = build_demo(db, referrals=5, partners=2, now=datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    assert summary.referrals == 5


def test_chunks_made_in_a_worker_process_give_the_same_data_as_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "CHUNK_SIZE", 120)  # several chunks: ids are moved into place per chunk
    here = _build(tmp_path / "here.db", seed=5)
    monkeypatch.setattr(loader, "worker_count", lambda _referrals: 1)
    there = _build(tmp_path / "there.db", seed=5)
    assert here == there
    with Database.open(tmp_path / "there.db") as db, db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        strays = connection.exec_driver_sql(
            "SELECT count(*) FROM appointment a JOIN appointment old ON old.id = a.replaces_id "
            "WHERE old.referral_id != a.referral_id OR old.id >= a.id"
        ).scalar()
        assert strays == 0
        chained = connection.exec_driver_sql("SELECT count(*) FROM appointment WHERE replaces_id IS NOT NULL")
        assert chained.scalar()


def test_the_demo_clinic_has_a_letterhead_so_its_letters_print_at_once(demo: Database) -> None:
    head = settings.letterhead(demo)
    assert head.clinic_name == "Riverside Community Clinic"
    assert head.phone and head.fax and len(head.address_lines) == 2
    # stored exactly as the Settings page would store what was typed
    for key, value in catalog.LETTERHEAD.items():
        assert settings.clean_letterhead_field(key, value) == value
