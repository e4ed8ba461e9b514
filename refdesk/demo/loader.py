"""Loading demo data into a database: the directory, then the referral stream, in one transaction.

The database side of ``build_demo``: it refuses a database with referrals, writes the directory,
streams the chunks (generated here or in worker processes) through the fast writer with the secondary
and search indexes suspended, records one audit row, and leaves the connection as it found it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from random import Random

from sqlalchemy import Connection, insert, select

from refdesk.demo.bulk import BulkInsert, indexes_dropped, loading_pragmas
from refdesk.demo.clock import DemoClock
from refdesk.demo.directory import Directory, build_directory
from refdesk.demo.generator import (
    ANSWER_COLUMNS,
    APPOINTMENT_COLUMNS,
    ATTEMPT_COLUMNS,
    EVENT_COLUMNS,
    RECORD_COLUMNS,
    Stream,
    clock_for,
    plan_chunks,
)
from refdesk.demo.workers import batches, worker_count
from refdesk.domain.models import (
    Appointment,
    AuditEvent,
    Base,
    ChecklistAnswer,
    ContactAttempt,
    MetricCell,
    Referral,
    ReferralRecord,
    StatusEvent,
)
from refdesk.domain.row_order import REFERRAL_COLUMNS
from refdesk.errors import RefDeskError
from refdesk.services import audit_chain, metric_cells
from refdesk.storage import Database, search_index
from refdesk.storage.engine import BEGIN_OPTION

#: Referrals per chunk: large enough that executemany dominates, small enough to keep memory flat.
#: Part of what a seed means: changing it changes the demo data.
CHUNK_SIZE = 25_000
#: Page cache of the loading connection (the index rebuilds sort in it).
CACHE_MIB = 64

#: The tables the stream writes: columns in row order, and the id columns counted per chunk.
_STREAM_TABLES = (
    (Referral, REFERRAL_COLUMNS, ()),
    (StatusEvent, EVENT_COLUMNS, ("id",)),
    (ContactAttempt, ATTEMPT_COLUMNS, ("id",)),
    (Appointment, APPOINTMENT_COLUMNS, ("id", "replaces_id")),
    (ChecklistAnswer, ANSWER_COLUMNS, ("id",)),
    (ReferralRecord, RECORD_COLUMNS, ("id",)),
)


@dataclass(frozen=True, slots=True)
class Loaded:
    partners: int
    service_lines: int
    staff: int
    rows: int


def load(
    db: Database,
    moment: datetime,
    *,
    referrals: int,
    partners: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
) -> Loaded:
    clock = clock_for(int(moment.timestamp()))
    with db.engine.connect() as connection, loading_pragmas(connection, cache_mib=CACHE_MIB):
        writer = connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        with writer.begin():
            if writer.execute(select(Referral.id).limit(1)).first() is not None:
                raise RefDeskError(
                    "This database already holds referrals. Demo data is only loaded into a new, empty "
                    "database, so it never mixes with real patients."
                )
            directory = build_directory(writer, clock, Random(seed), partners)
            written = _write_referrals(writer, clock, directory, seed, referrals, progress)
            # The stream bypasses the ORM, whose session hooks keep the metric facts and cells current.
            written[MetricCell.__tablename__] = metric_cells.rebuild_all(writer)
            detail = {
                "seed": seed,
                "now": clock.aware(clock.now).isoformat(),
                "partners": len(directory.partners),
                "service_lines": len(directory.lines),
                "staff": directory.staff_count,
                **written,
            }
            inserted = writer.execute(
                insert(AuditEvent).values(
                    at=clock.aware(clock.now),
                    action="demo.load",
                    entity="database",
                    success=True,
                    detail=detail,
                )
            ).inserted_primary_key
            # Written past the ORM, whose session hook seals audit rows: sealed here, in the same
            # transaction (reliability.md 14).
            audit_chain.seal(writer, own=[] if inserted is None else [int(inserted[0])])
    db.analyze()
    return Loaded(
        partners=len(directory.partners),
        service_lines=len(directory.lines),
        staff=directory.staff_count,
        rows=directory.rows + sum(written.values()) + 1,
    )


def _write_referrals(
    writer: Connection,
    clock: DemoClock,
    directory: Directory,
    seed: int,
    referrals: int,
    progress: Callable[[int, int], None] | None,
) -> dict[str, int]:
    """Generate and insert the referral stream; returns the rows written per table."""
    inserts = {
        model.__tablename__: BulkInsert(writer, Base.metadata.tables[model.__tablename__], columns, rebased)
        for model, columns, rebased in _STREAM_TABLES
    }
    stream = Stream(
        seed,
        clock.now,
        tuple(directory.lines),
        tuple(directory.partners),
        tuple(directory.owners),
        tuple(directory.callers),
    )
    chunks = plan_chunks(clock, referrals, inserts["referral"].next_id, CHUNK_SIZE)
    done = 0
    with search_index.suspended(writer), indexes_dropped(writer, list(inserts)):
        for chunk, rows_by_table in zip(
            chunks, batches(stream, chunks, worker_count(referrals)), strict=True
        ):
            for name, rows in rows_by_table.items():
                inserts[name].write(rows)
            done += chunk.referrals
            if progress is not None:
                progress(done, referrals)
    return {name: insert_.rows for name, insert_ in inserts.items()}
