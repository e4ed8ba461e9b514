"""Importing a referral log: every row checked with the rules of the New referral form, then written in
bulk, in one transaction, looking exactly like a referral made by hand.

The rows are read and checked by ``checker`` (the New referral form's own check, and what
``create_referral`` derives from it: deadlines, next action, state times), in worker processes for large
files. This module runs the import around it: it finds duplicates, creates the partners asked for,
writes each referral with its first history entry ("Imported from FILE") and its service line's
required records (as ``services.records.ensure_records`` adds them) with Core executemany in batches,
and works out the metric facts and cells of the new referrals at the end, in the same transaction
(``metric_cells.add_written``).

Rules (issue 5/7): all-or-nothing unless ``skip_invalid``; Cancel raises ``OperationCancelled`` and
leaves the database as it was; a row for the same patient (name and date of birth), partner and day of
receipt as an existing referral, or as an earlier row of the file, is skipped and counted; the import
is audited (one row, with its counts), and so is a failed or cancelled one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from refdesk.domain.formats import fold
from refdesk.domain.models import (
    Base,
    Partner,
    Referral,
    ReferralRecord,
    ServiceLine,
    StatusEvent,
    partner_name_key,
)
from refdesk.domain.vocab import PartnerCategory
from refdesk.imports.checker import (
    CLOSE_REASON,
    PARTNER,
    RECEIVED_AT,
    REFERRAL_COLUMNS,
    STATE,
    Checked,
    Checker,
    Setup,
)
from refdesk.imports.checker_pool import checked_rows
from refdesk.imports.mapping import REFERRAL_FIELDS, Mapping, detect_date_format, missing_required
from refdesk.imports.referral_writer import BulkInsert, bulk_load
from refdesk.imports.results import (
    ImportResult,
    Preview,
    PreviewRow,
    Progress,
    Rejects,
    RowProblem,
    ShouldStop,
    Ticker,
)
from refdesk.imports.running import run_audited
from refdesk.imports.source import ImportFileError, Source, SourceRow
from refdesk.imports.values import DateFormat
from refdesk.services import metric_cells
from refdesk.services.actor import Actor
from refdesk.services.audit import record
from refdesk.services.records import NAME_LENGTH
from refdesk.services.validation import Errors
from refdesk.storage import Database, search_index

#: Rows checked for duplicates and written together.
BATCH = 1000
#: Imports of at least this many rows suspend the search index's triggers and rebuild it once.
SUSPEND_SEARCH_AT = 20_000
_REFERRALS: Table = Base.metadata.tables[Referral.__tablename__]
_EVENTS: Table = Base.metadata.tables[StatusEvent.__tablename__]
_RECORDS: Table = Base.metadata.tables[ReferralRecord.__tablename__]
_EVENT_COLUMNS = ("referral_id", "from_state", "to_state", "close_reason", "at", "staff_id", "note")
_RECORD_COLUMNS = ("referral_id", "name")
assert REFERRAL_COLUMNS[0] == "id"

#: The key two rows (or a row and a referral) are duplicates on: patient's name key, date of birth's
#: ordinal, partner id (or "new:KEY"), the local day received's ordinal.
DuplicateKey = tuple[str, int, int | str, int]
#: A row of the file, and either its checked result, or its problem, or neither (a duplicate).
_Outcome = tuple[SourceRow, Checked | None, RowProblem | None, PreviewRow | None]


def preview(
    db: Database,
    source: Source,
    mapping: Mapping,
    *,
    limit: int = 200,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    create_partners: Collection[str] = (),
) -> Preview:
    """Check the whole file as ``run_import`` would, writing nothing.

    Args:
        create_partners: names of unknown partners the import will create (their rows count as valid).

    Raises:
        ImportFileError: the mapping cannot be used with this file (missing fields or columns, ambiguous
            dates), or the file cannot be read.
        OperationCancelled: ``should_stop`` said so.
    """
    order = _prepare(source, mapping)
    result = Preview(date_format=order)
    ticker = Ticker(source.size_hint(), progress, should_stop)
    with db.session() as session:
        job = _Job(session, source, mapping, order)
        job.setup.pending_partners = {
            partner_name_key(name) for name in create_partners
        } - job.setup.partners.keys()
        for _, checked, problem, shown in job.check_rows(ticker, show=limit):
            if shown is not None and len(result.rows) < limit:
                result.rows.append(shown)
            if problem is not None:
                result.invalid += 1
                if len(result.problems) < limit:
                    result.problems.append(problem)
            elif checked is not None:
                result.valid += 1
        ticker.finish()
    result.read = job.read
    result.duplicates = job.duplicates
    result.unknown_partners = job.unknown_partners()
    return result


def run_import(
    db: Database,
    actor: Actor,
    source: Source,
    mapping: Mapping,
    *,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    create_partners: Collection[str] = (),
    dry_run: bool = False,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> ImportResult:
    """Import the referrals of ``source`` in one transaction.

    Args:
        skip_invalid: import the valid rows and write the others, with their reason, to ``rejects_path``
            (default: ``NAME-rejected.csv`` beside the source). Without it, one bad row means no import.
        rejects_path: where to write rejected rows (also without ``skip_invalid``, when given).
        create_partners: partners (by name) to create first, for rows naming partners RefDesk lacks.
        dry_run: do everything, then roll back; the result counts what would have been imported.

    Raises:
        ImportRefused: all-or-nothing and some rows cannot be imported; nothing was written. Its
            ``result`` counts them and lists the first problems.
        ImportFileError: the mapping or the file cannot be used.
        OperationCancelled: ``should_stop`` said so; nothing was written.
    """
    order = _prepare(source, mapping)

    def work(session: Session, rejects: Rejects, ticker: Ticker) -> ImportResult:
        job = _Job(session, source, mapping, order, actor=actor)
        created = job.create_partners(actor, create_partners)
        imported = job.write(rejects, ticker, stop_writing_on_error=not skip_invalid)
        return ImportResult(
            read=job.read,
            imported=imported,
            duplicates=job.duplicates,
            rejected=rejects.count,
            rejects_path=None,
            partners_created=created,
            dry_run=dry_run,
            problems=tuple(rejects.kept),
        )

    result = run_audited(
        db,
        actor,
        "referral.import",
        "referral",
        source,
        REFERRAL_FIELDS,
        work,
        lambda result: _detail(source, result, skip_invalid),
        skip_invalid=skip_invalid,
        rejects_path=rejects_path,
        dry_run=dry_run,
        progress=progress,
        should_stop=should_stop,
    )
    if result.imported >= SUSPEND_SEARCH_AT and not dry_run:
        db.analyze()  # the planner's statistics, after a bulk load (performance.md)
    return result


def _detail(source: Source, result: ImportResult, skip_invalid: bool) -> dict[str, Any]:
    return {
        "file": source.path.name,
        "sheet": source.sheet,
        "read": result.read,
        "imported": result.imported,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "partners_created": result.partners_created,
        "skip_invalid": skip_invalid,
        "dry_run": result.dry_run,
    }


def _prepare(source: Source, mapping: Mapping) -> DateFormat | None:
    """Check that the mapping fits the file; returns the order numeric dates are read in.

    Raises:
        ImportFileError: a required field is unmapped, a mapped column is missing, or the dates could be
            read either way round and the mapping does not say which.
    """
    if mapping.kind != "referrals":
        raise ImportFileError("This mapping is for a partner list, not for referrals.")
    check_mapping(source, mapping)
    if mapping.date_format is not None:
        return mapping.date_format
    guess = detect_date_format(source, mapping)
    if guess.ambiguous:
        raise ImportFileError(
            "The dates could be read as month/day or as day/month (both fit every date in the file): "
            "choose the date format (MDY for MM/DD/YYYY or DMY for DD/MM/YYYY)."
        )
    return guess.candidates[0] if len(guess.candidates) == 1 else None  # type: ignore[return-value]


def check_mapping(source: Source, mapping: Mapping) -> None:
    """The mapping's fields and values are valid, every required field is mapped, every column exists.

    Raises:
        ImportFileError: what is missing, in plain words.
    """
    mapping.check()
    missing = missing_required(mapping)
    if missing:
        raise ImportFileError(
            f"Cannot import without: {', '.join(missing)}. Choose the column that holds each"
            " (or a value for all rows, where one may be given)."
        )
    absent = sorted({header for header in mapping.columns.values()} - set(source.headers))
    if absent:
        raise ImportFileError(f"The file has no column named: {', '.join(absent)}.")


class _Job:
    """One pass over the file: rows checked (``checker``), duplicates found, and for an import the
    batches written."""

    def __init__(
        self,
        session: Session,
        source: Source,
        mapping: Mapping,
        order: DateFormat | None,
        *,
        actor: Actor | None = None,
    ) -> None:
        self.session = session
        self.source = source
        self.actor = actor
        self.note = f"Imported from {source.path.name}"[:500]
        lines = list(session.scalars(select(ServiceLine)))
        self.setup = Setup.of(mapping, order, session.scalars(select(Partner)), lines)
        self.records = {line.id: _required_records(line) for line in lines}
        self.checker = Checker(self.setup)
        #: Referrals up to this id were there before the import: only they can be duplicates of a row
        #: (the rows imported before it are in ``seen``).
        self.before_id = int(session.execute(select(func.max(Referral.id))).scalar() or 0)
        self.seen: set[DuplicateKey] = set()
        self.read = 0
        self.duplicates = 0

    def create_partners(self, actor: Actor, names: Collection[str]) -> int:
        """Create the named partners RefDesk does not have yet (matched ignoring case and spacing)."""
        created = 0
        for name in names:
            errors = Errors()
            cleaned = errors.text("name", name, label="Partner name", max_length=200, required=True)
            if errors.messages or cleaned is None:
                raise ImportFileError(f"Cannot create the partner “{name[:200]}”: {errors.messages['name']}")
            key = partner_name_key(cleaned)
            if key in self.setup.partners:
                continue
            partner = Partner(name=cleaned, name_key=key, category=PartnerCategory.PRIMARY_CARE)
            self.session.add(partner)
            self.session.flush()
            record(self.session, actor, "partner.create", "partner", partner.id, detail={"via": "import"})
            self.setup.add_partner(partner.id, cleaned, key)
            created += 1
        return created

    def unknown_partners(self) -> list[tuple[str, int]]:
        names = self.checker.unknown_names
        return [(names[key], count) for key, count in self.checker.unknown.most_common()]

    def check_rows(self, ticker: Ticker, *, show: int = 0) -> Iterator[_Outcome]:
        """Each row of the file with its result; duplicates found in batches (yielded without a result,
        and only when shown). ``show`` rows also come with their preview."""
        in_flight: deque[SourceRow] = deque()

        def feed() -> Iterator[tuple[int, dict[str, str], str | None]]:
            for row in self.source.rows():
                in_flight.append(row)
                yield row.line, row.cells, row.problem

        columns = self.setup.mapping.columns
        batch: list[_Outcome] = []
        for result in checked_rows(self.checker, feed(), ticker.total):
            row = in_flight.popleft()
            self.read += 1
            ticker.tick()
            shown = None
            if self.read <= show:
                shown = PreviewRow(row.line, {name: row.cells.get(h, "") for name, h in columns.items()})
            problems, key = result[1], result[2]
            if problems:
                if shown is not None:
                    shown.problems = problems
                yield row, None, RowProblem(row.line, problems), shown
                continue
            assert key is not None
            if key in self.seen:
                self.duplicates += 1
                if shown is not None:
                    shown.duplicate = True
                    yield row, None, None, shown
                continue
            self.seen.add(key)
            batch.append((row, result, None, shown))
            if len(batch) >= BATCH:
                yield from self._after_duplicates(batch)
                batch = []
        yield from self._after_duplicates(batch)

    def _after_duplicates(self, batch: list[_Outcome]) -> Iterator[_Outcome]:
        existing = self._existing({outcome[1][2][0] for outcome in batch if outcome[1] and outcome[1][2]})
        for row, result, _, shown in batch:
            assert result is not None
            if result[2] in existing:
                self.duplicates += 1
                if shown is not None:
                    shown.duplicate = True
                    yield row, None, None, shown
                continue
            yield row, result, None, shown

    def _existing(self, keys: set[str]) -> set[DuplicateKey]:
        if not keys or not self.before_id:
            return set()
        query = select(
            Referral.name_key, Referral.patient_dob, Referral.partner_id, Referral.received_at
        ).where(Referral.name_key.in_(sorted(keys)), Referral.id <= self.before_id)
        return {
            (key, dob.toordinal(), partner_id, received.astimezone().date().toordinal())
            for key, dob, partner_id, received in self.session.execute(query)
        }

    def write(self, rejects: Rejects, ticker: Ticker, *, stop_writing_on_error: bool) -> int:
        """Check every row; write the good ones (until the first bad one when all-or-nothing) in batches;
        then the metrics of the new referrals. Returns how many referrals were (or would be) written."""
        connection = self.session.connection()
        referrals = BulkInsert(connection, _REFERRALS, REFERRAL_COLUMNS)
        events = BulkInsert(connection, _EVENTS, _EVENT_COLUMNS)
        records = BulkInsert(connection, _RECORDS, _RECORD_COLUMNS)
        first_id = next_id = self.before_id + 1
        staff_id = self.actor.staff_id if self.actor else None
        note = self.note
        counted = 0
        rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        record_rows: list[tuple[Any, ...]] = []
        cells: set[tuple[int, date]] = set()
        large = ticker.total >= SUSPEND_SEARCH_AT
        with (
            search_index.suspended(connection) if large else nullcontext(),
            bulk_load(connection, ticker.total, self.before_id, SUSPEND_SEARCH_AT),
        ):
            for source_row, result, problem, _ in self.check_rows(ticker):
                if problem is not None:
                    rejects.add(source_row, problem)
                    continue
                if result is None:
                    continue  # a duplicate
                counted += 1
                if stop_writing_on_error and rejects.count:
                    continue  # nothing will be written: only count the rest
                _, _, key, referral, line_id = result
                assert referral is not None and key is not None
                rows.append((next_id, *referral[1:]))
                event_rows.append(
                    (
                        next_id,
                        "",
                        referral[STATE],
                        referral[CLOSE_REASON],
                        referral[RECEIVED_AT],
                        staff_id,
                        note,
                    )
                )
                record_rows.extend((next_id, name) for name in self.records[line_id])
                cells.add((referral[PARTNER], date.fromordinal(key[3]).replace(day=1)))
                next_id += 1
                if len(rows) >= BATCH:
                    referrals.write(rows)
                    events.write(event_rows)
                    records.write(record_rows)
                    rows, event_rows, record_rows = [], [], []
            referrals.write(rows)
            events.write(event_rows)
            records.write(record_rows)
        if next_id > first_id:
            metric_cells.add_written(connection, first_id, next_id - 1, cells)
        return counted


def _required_records(line: ServiceLine) -> list[str]:
    """The rows ``services.records.ensure_records`` adds to a new referral of ``line``, in order."""
    names: list[str] = []
    have: set[str] = set()
    for name in line.required_records or []:
        cleaned = " ".join(str(name).split())[:NAME_LENGTH]
        if cleaned and fold(cleaned) not in have:
            have.add(fold(cleaned))
            names.append(cleaned)
    return names
