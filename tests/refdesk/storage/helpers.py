"""What the storage tests share: a database populated through the services, the file as an outside tool
sees it (tables, row counts, a content digest, the schema), and a child process to kill."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, exc, select

from refdesk.domain.lifecycle import CloseReason
from refdesk.domain.models import (
    Appointment,
    ChecklistAnswer,
    IntakeItem,
    IntakeScript,
    LetterSent,
    PartnerContact,
    PartnerTouch,
    ReferralRecord,
    Setting,
)
from refdesk.domain.vocab import (
    AttemptMethod,
    AttemptOutcome,
    Channel,
    ItemKind,
    LetterKind,
    PartnerCategory,
    StaffRole,
    TouchKind,
)
from refdesk.services.actor import Actor, ensure_staff
from refdesk.services.attempts import log_attempt
from refdesk.services.catalog import NewPartner, NewServiceLine, create_partner, create_service_line
from refdesk.services.referrals import NewReferral, create_referral, update_referral
from refdesk.services.scheduling import AppointmentDraft, book
from refdesk.services.workflow import close, reopen
from refdesk.storage import Database

HERE = Path(__file__).resolve().parent


# --- a populated database ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    actor: Actor
    partner_id: int
    service_line_id: int


def seed(db: Database) -> Seed:
    """The staff member, partner and service line every referral needs."""
    actor = ensure_staff(db, "maria", "Maria Lopez")
    partner_id = create_partner(
        db, actor, NewPartner(name="Oak Street Primary Care", category=PartnerCategory.PRIMARY_CARE)
    )
    line_id = create_service_line(
        db, actor, NewServiceLine(name="Physical therapy", required_records=["Recent notes"], max_attempts=3)
    )
    return Seed(actor, partner_id, line_id)


def referral_form(seeded: Seed, n: int, **changes: object) -> NewReferral:
    form = NewReferral(
        partner_id=seeded.partner_id,
        service_line_id=seeded.service_line_id,
        patient_first_name="Zoë",
        patient_last_name=f"Nguyễn-{n}",
        patient_dob=date(1950, 1, 1) + timedelta(days=97 * n),
        phone=f"555-201-{n % 10000:04d}",
        reason="Low back pain, 6 weeks; PT evaluation and treatment.",
        channel=Channel.FAX,
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def populate(db: Database, *, referrals: int = 16) -> Seed:
    """A database a clinic could have after a few days: every table holds rows, referrals in every kind
    of state (received, attempted, reached, scheduled, closed, reopened), all made by the services except
    the tables no service writes yet, which get plain ORM rows."""
    seeded = seed(db)
    actor = seeded.actor
    admin = ensure_staff(db, "ari", "Ari Admin", StaffRole.ADMIN)
    second_partner = create_partner(db, admin, NewPartner(name="Riverside Ortho", phone="555-300-1000"))
    ids: list[int] = []
    for n in range(referrals):
        partner = second_partner if n % 3 == 0 else seeded.partner_id
        linked = ids[0] if n == referrals - 1 and ids else None
        rid = create_referral(
            db, actor, referral_form(seeded, n, partner_id=partner, linked_referral_id=linked)
        )
        ids.append(rid)
        kind = n % 5
        if kind >= 1:
            log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.NO_ANSWER, note="rang out")
        if kind == 2:
            log_attempt(db, actor, rid, AttemptMethod.CALL, AttemptOutcome.REACHED)
            visit = AppointmentDraft(datetime.now(UTC) + timedelta(days=3), provider="Dr Lee", note="booked")
            book(db, actor, rid, visit, override_reason="seed data: intake not asked")
        if kind in (3, 4):
            close(db, actor, rid, CloseReason.NO_RESPONSE)
        if kind == 4:
            reopen(db, admin, rid, note="patient called back")
        if n % 4 == 0:
            update_referral(db, actor, rid, {"phone": f"555-777-{n:04d}", "language": "Spanish"})
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.add(Setting(key="clinic_name", value={"name": "Northside Clinic"}))
        session.add(PartnerContact(partner_id=seeded.partner_id, name="Pat Office", receives_updates=True))
        session.add(PartnerTouch(partner_id=seeded.partner_id, kind=TouchKind.VISIT, staff_id=admin.staff_id))
        session.add(
            LetterSent(
                partner_id=second_partner,
                kind=LetterKind.STATUS,
                staff_id=admin.staff_id,
                file_name="status.pdf",
                sha256="0" * 64,
            )
        )
        # the line starts with the shipped script (version 1): this is an edited version of it
        for shipped in session.scalars(
            select(IntakeScript).where(IntakeScript.service_line_id == seeded.service_line_id)
        ):
            shipped.current = False
        script = IntakeScript(service_line_id=seeded.service_line_id, version=2, created_by=admin.staff_id)
        falls = IntakeItem(key="falls", position=1, prompt="Any falls?", kind=ItemKind.YES_NO, required=True)
        script.items.append(falls)
        session.add(script)
        session.flush()
        for rid in ids[:4]:
            session.add(ChecklistAnswer(referral_id=rid, item_id=script.items[0].id, value=True))
            session.add(ReferralRecord(referral_id=rid, name="Recent notes", requested_on=date(2024, 5, 1)))
            session.add(
                Appointment(referral_id=rid, starts_at=now + timedelta(days=3), created_by=actor.staff_id)
            )
    return seeded


# --- the file as an outside tool sees it ------------------------------------------------------------


def tables(connection: Connection) -> list[str]:
    rows = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [str(name) for (name,) in rows]


def virtual_tables(connection: Connection) -> set[str]:
    """Virtual tables (the FTS5 search index) and the shadow tables SQLite keeps for them: derived data
    that no model describes."""
    found: set[str] = set()
    rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")
    for (name,) in rows:
        found.add(str(name))
        shadows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ?",
            (len(name) + 1, f"{name}_"),
        )
        found.update(str(shadow) for (shadow,) in shadows)
    return found


def columns(connection: Connection, table: str) -> list[str]:
    return [str(row[1]) for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')]


def row_counts(db: Database) -> dict[str, int]:
    """Rows per table, for the tables that hold data (not the search index, whose internal segment
    tables change size whenever it is rebuilt)."""
    with db.engine.connect() as connection:
        derived = virtual_tables(connection)
        return {
            table: int(connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one())
            for table in tables(connection)
            if table not in derived
        }


def search_index_problems(db: Database) -> list[str]:
    """FTS5 indexes that disagree with their content table (FTS5's own integrity check)."""
    problems = []
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'"
        )
        for (name,) in rows.all():
            try:
                with connection.begin_nested():
                    connection.exec_driver_sql(
                        f'INSERT INTO "{name}"("{name}", rank) VALUES (\'integrity-check\', 1)'
                    )
            except exc.DatabaseError as error:
                problems.append(f"{name}: {error.orig}")
        connection.rollback()
    return problems


def content_digest(db: Database) -> dict[str, str]:
    """A hash of every row of every table, so "nothing changed" means the content too."""
    digests: dict[str, str] = {}
    with db.engine.connect() as connection:
        for table in tables(connection):
            rows = sorted(repr(tuple(row)) for row in connection.exec_driver_sql(f'SELECT * FROM "{table}"'))
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def _normalise(sql: str) -> str:
    """Whitespace and quoting do not matter; nor does the order of a table's constraints, which a batch
    rebuild may write in another order than the original CREATE TABLE. The order of columns does."""
    text = re.sub(r"\s+", " ", sql.replace('"', "").replace("`", ""))
    text = re.sub(r"\s*([(),])\s*", r"\1", text).strip()
    if not text.upper().startswith("CREATE TABLE"):
        return text
    head, _, body = text.partition("(")
    parts, depth, current = [], 0, ""
    for char in body[:-1]:  # the definitions, split at top-level commas
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    definitions = [p for p in parts if not p.upper().startswith("CONSTRAINT")]
    constraints = sorted(p for p in parts if p.upper().startswith("CONSTRAINT"))
    return f"{head}({','.join(definitions + constraints)})"


def schema(db: Database) -> dict[tuple[str, str], str]:
    """Every table's and index's DDL (whitespace and quoting normalised), keyed by (type, name)."""
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        )
        return {(str(kind), str(name)): _normalise(str(sql)) for kind, name, sql in rows}


def foreign_key_problems(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")]


def open_handles(path: Path) -> list[str]:
    """The files of this database (``x.db``, ``x.db-wal``, ``x.db-shm``) this process holds open."""
    found = []
    fd_dir = Path("/proc/self/fd")
    for entry in fd_dir.iterdir():
        try:
            target = os.readlink(entry)
        except OSError:  # the descriptor listdir itself used, already closed
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


# --- a child process to kill ------------------------------------------------------------------------


class Child:
    """A helper script in a child process (in its own process group). Its stdout is read line by line in
    a thread, so the test can wait for what it prints with a deadline (never blocking forever), and kill
    it at any moment."""

    def __init__(self, script: str, *args: str, log: Path, stdin: bool = False) -> None:
        #: The child's stderr, shown when it fails (a traceback there explains an early exit).
        self.log = log
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / script), *args],
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                encoding="utf-8",
                bufsize=1,
                start_new_session=True,
            )
        #: Complete lines only: a line cut by the kill has no newline and is not a report.
        self.lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.endswith("\n"):
                with self._changed:
                    self.lines.append(line[:-1])
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait(self, done: Callable[[list[str]], bool], what: str, timeout: float = 60) -> None:
        """Block until ``done(lines printed so far)``; fails if the child ends or stays silent instead."""
        with self._changed:
            if not self._changed.wait_for(lambda: done(self.lines) or self._ended, timeout):
                raise AssertionError(self.explain(f"printed no {what} within {timeout} s"))
            if not done(self.lines):
                raise AssertionError(self.explain(f"ended ({self.process.wait()}) before {what}"))

    def wait_for(self, expected: str, *, since: int = 0, timeout: float = 60) -> int:
        """Block until the child prints the line ``expected`` (at or after line ``since``); its index."""
        self.wait(lambda lines: expected in lines[since:], repr(expected), timeout)
        return self.lines.index(expected, since)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def explain(self, what: str) -> str:
        return f"the child {what}; its stderr:\n{self.log.read_text(errors='replace')[-3000:]}"

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *_: object) -> None:
        """Never leave a writer running behind a failed test: the whole process group goes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def kill(self) -> None:
        """SIGKILL: no atexit, no finally, no close; then collect every complete line it printed."""
        if self.process.poll() is not None:
            raise AssertionError(self.explain(f"exited by itself ({self.process.returncode})"))
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL
        self._reader.join(timeout=30)
