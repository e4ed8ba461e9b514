"""Reliability promise 2: every connection, new or recycled, runs with WAL, synchronous=FULL, foreign keys,
a busy timeout and secure_delete; an orphan row is refused; a write is all or nothing; two writers queue
instead of failing with "database is locked"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete, event, exc, func, insert, select

from refdesk.domain.lifecycle import State
from refdesk.domain.models import AuditEvent, ContactAttempt, Referral, Staff, StatusEvent
from refdesk.domain.vocab import AttemptMethod, AttemptOutcome, Channel
from refdesk.services.actor import Actor
from refdesk.services.referrals import NewReferral, create_referral
from refdesk.storage import Database
from refdesk.storage.engine import make_engine, read_pragmas, sqlite_url
from tests.refdesk.storage.helpers import content_digest, row_counts, seed

EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "secure_delete": "1"}


def assert_reliable(connection: Connection) -> None:
    pragmas = read_pragmas(connection)
    assert {name: pragmas[name] for name in EXPECTED_PRAGMAS} == EXPECTED_PRAGMAS
    assert int(pragmas["busy_timeout"]) > 0


def dbapi_of(connection: Connection) -> object:
    return connection.connection.dbapi_connection


def test_a_fresh_connection_has_the_settings(db_path: Path) -> None:
    engine = make_engine(sqlite_url(db_path))
    try:
        with engine.connect() as connection:
            assert_reliable(connection)
    finally:
        engine.dispose()


def test_a_recycled_connection_keeps_the_settings(db: Database) -> None:
    # Database.open ran the migrations, which switch foreign keys off on their connection: the pool now
    # holds that very connection, and it must be back to normal.
    with db.engine.connect() as connection:
        first = dbapi_of(connection)
        assert_reliable(connection)

    with db.engine.connect() as connection, connection.begin():  # committed
        assert dbapi_of(connection) is first
        connection.execute(insert(Staff).values(username="kim", full_name="Kim", role="front_desk"))
    with db.engine.connect() as connection:
        assert dbapi_of(connection) is first
        assert_reliable(connection)

    with pytest.raises(RuntimeError), db.transaction() as session:  # rolled back
        session.add(Staff(username="lee", full_name="Lee"))
        session.flush()
        raise RuntimeError("changed my mind")
    with db.engine.connect() as connection:
        assert dbapi_of(connection) is first
        assert_reliable(connection)

    db.engine.dispose()  # e.g. after a fork, or a pool recycle: a brand-new connection
    with db.engine.connect() as connection:
        assert dbapi_of(connection) is not first
        assert_reliable(connection)
    with db.session() as session:
        assert list(session.scalars(select(Staff.username))) == ["kim"]


def test_a_database_open_from_another_process_is_still_wal(db_path: Path) -> None:
    """WAL is a property of the file: a second engine on the same file sees it too."""
    with Database.open(db_path), Database.open(db_path) as second, second.engine.connect() as connection:
        assert_reliable(connection)


# --- foreign keys -------------------------------------------------------------------------------------


def orphan_event() -> StatusEvent:
    return StatusEvent(referral_id=424242, to_state=State.RECEIVED, at=datetime.now(UTC))


def orphan_attempt() -> ContactAttempt:
    return ContactAttempt(
        referral_id=424242, method=AttemptMethod.CALL, outcome=AttemptOutcome.NO_ANSWER, at=datetime.now(UTC)
    )


@pytest.fixture(params=["recycled", "new"])
def any_connection(request: pytest.FixtureRequest, db: Database, actor: Actor) -> Database:
    """The pool holds the connection the migrations ran on (they toggle foreign keys); "new" drops it so
    the test runs on a connection that only went through the connect hook."""
    if request.param == "new":
        db.engine.dispose()
    return db


@pytest.mark.parametrize("make_orphan", [orphan_event, orphan_attempt], ids=["status_event", "attempt"])
def test_an_orphan_row_is_refused_and_nothing_is_written(
    any_connection: Database, make_orphan: Callable[[], object]
) -> None:
    db = any_connection
    before = row_counts(db)
    with pytest.raises(exc.IntegrityError, match="FOREIGN KEY"), db.transaction() as session:
        session.add(Staff(username="temp", full_name="Written in the same transaction"))
        session.flush()
        session.add(make_orphan())
    assert row_counts(db) == before


def test_an_orphan_row_through_core_is_refused(any_connection: Database) -> None:
    db = any_connection
    before = row_counts(db)
    with pytest.raises(exc.IntegrityError, match="FOREIGN KEY"), db.engine.begin() as connection:
        connection.execute(
            insert(ContactAttempt).values(
                referral_id=424242,
                method="call",
                outcome="no_answer",
                with_caregiver=False,
                at=datetime.now(UTC),
            )
        )
    assert row_counts(db) == before


def test_deleting_a_referral_takes_its_history_with_it(any_connection: Database, referral_id: int) -> None:
    """ON DELETE CASCADE works only with foreign keys on: no history is left pointing at nothing."""
    db = any_connection
    with db.transaction() as session:
        session.execute(delete(Referral).where(Referral.id == referral_id))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StatusEvent)) == 0
        assert session.scalar(select(func.count()).select_from(Referral)) == 0


# --- atomic writes and concurrent writers -------------------------------------------------------------


def test_an_error_inside_a_transaction_leaves_nothing_behind(
    db: Database, actor: Actor, new_referral: NewReferral
) -> None:
    create_referral(db, actor, new_referral)
    before, saved_digest = row_counts(db), content_digest(db)
    with pytest.raises(ZeroDivisionError), db.transaction() as session:
        referral = session.get(Referral, 1)
        assert referral is not None
        referral.phone = "555-999-0000"
        session.add(StatusEvent(referral_id=referral.id, to_state=State.RECEIVED, at=datetime.now(UTC)))
        session.add(AuditEvent(action="referral.update", entity="referral", entity_id=referral.id))
        session.flush()  # the rows reached SQLite; only the commit is missing
        _ = 1 / 0
    assert row_counts(db) == before
    assert content_digest(db) == saved_digest  # the phone change is gone too


def test_a_writer_waits_for_another_instead_of_failing(db: Database, actor: Actor) -> None:
    """While one transaction holds the write lock, a second writer (another thread, its own connection)
    waits on the busy timeout and then succeeds: no "database is locked" for the person at the desk."""
    second_is_writing = threading.Event()
    errors: list[BaseException] = []

    def announce(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement == "BEGIN IMMEDIATE" and threading.current_thread() is second:
            second_is_writing.set()

    def write() -> None:
        try:
            with db.transaction() as session:
                session.add(Staff(username="second", full_name="Second Writer"))
        except BaseException as error:  # reported to the test below
            errors.append(error)

    event.listen(db.engine, "before_cursor_execute", announce)
    second = threading.Thread(target=write)
    with db.transaction() as session:
        session.add(Staff(username="first", full_name="First Writer"))
        session.flush()  # this connection now holds the write lock
        second.start()
        assert second_is_writing.wait(timeout=30)
        # The second writer can only finish by failing while we hold the lock.
        second.join(timeout=0.5)
        assert second.is_alive(), f"the second writer did not wait: {errors}"
    second.join(timeout=30)
    assert not second.is_alive() and errors == []
    with db.session() as session:
        names = set(session.scalars(select(Staff.username)))
    assert {"first", "second"} <= names


def test_two_busy_writers_both_succeed(db: Database) -> None:
    seeded = seed(db)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    per_thread = 15

    def work(tag: str) -> None:
        try:
            start.wait(timeout=30)
            for n in range(per_thread):
                form = NewReferral(
                    partner_id=seeded.partner_id,
                    service_line_id=seeded.service_line_id,
                    patient_first_name=tag,
                    patient_last_name=f"Writer {n}",
                    patient_dob=date(1970, 1, 1),
                    phone="555-201-4477",
                    reason="Concurrent writers",
                    channel=Channel.PHONE,
                )
                create_referral(db, seeded.actor, form)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(tag,)) for tag in ("Ana", "Ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 2 * per_thread
        created = select(func.count()).where(AuditEvent.action == "referral.create", AuditEvent.success)
        assert session.scalar(created) == 2 * per_thread
