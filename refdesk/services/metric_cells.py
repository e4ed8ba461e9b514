"""The metric facts and cells: what each referral, and each partner's referrals of one local month, count
for the metrics, kept equal to the referrals in the transaction that changes them.

Why: every figure of the Reports tab is an aggregate over the referrals received in a period, and any
GROUP BY over a million referrals is a full scan of seconds (performance.md); working out the facts
themselves (ever reached? first booking? how long to acknowledge?) takes correlated lookups into the
appointments and the history, about 25 µs per referral. So:

- ``facts_query`` is the one definition of those facts, in SQL; its result is stored, one
  ``metric_fact`` row per referral (ids, partner, received time, service line, channel, close reason,
  a bit per yes/no fact, a histogram bucket per duration).
- A cell (``metric_cell``) is the sum of one partner's facts for one local month, so a report sums a few
  hundred cells; ``refdesk.services.metrics`` counts from the facts only the part of a month a period
  cuts off (``tally_rows``: one UNION ALL of GROUP BYs over an index range, about 6 µs per referral).
- The session hooks (registered in ``refdesk.domain.models.metrics``) note, before each flush, the
  referrals a new, changed or deleted referral, appointment or status event belongs to; just before the
  transaction commits, inside it, ``refresh`` works their facts out again and moves the difference
  between each old and new fact row into the cells (the old row says which cell the referral leaves
  when its partner or received time changed, or when it was deleted). No service has to remember, a
  rollback takes facts and cells with it, and a write costs a few milliseconds whatever the size of
  the partner.
- Writes that bypass the ORM (the demo loader, a bulk import) call ``rebuild_all`` at the end of their
  transaction; so does migration 0004.

Durations are kept as histograms of 340 buckets: 15 minutes wide below a day, an hour below a week, a
day below nine weeks, a week below a year (see ``LOWER_BOUNDS``). The medians and 90th percentiles read
from them are therefore the bucket's lower bound (a same-day acknowledgement to 15 minutes, an
appointment weeks away to a day): precise enough for a coordinator, and additive, which exact values
would not be without keeping every one of them.

Months are the workstation's local calendar months (``refdesk.domain.times``). Should the workstation's
time zone change, run ``rebuild_all`` so that the cells follow the new month boundaries.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from itertools import accumulate
from typing import Any, TypeVar

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Connection,
    FromClause,
    Insert,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session, attributes
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, Base, MetricCell, MetricFact, Referral, StatusEvent
from refdesk.domain.times import as_utc, to_local
from refdesk.domain.vocab import AppointmentStatus

#: The plain counts of a cell (its integer columns), in the order of the flag bits below.
COUNTS: tuple[str, ...] = (
    "contacted",
    "reached",
    "scheduled",
    "completed",
    "no_show",
    "rescheduled",
    "ack_measured",
    "ack_within",
    "contact_measured",
    "contact_within",
)
#: The keyed counts of a cell (its JSON columns): by service line id, channel and close reason.
MAPPINGS: tuple[str, ...] = ("by_service_line", "by_channel", "close_reasons")
#: The cell's histograms of minutes from receipt: to acknowledgement, to the first attempt, to the start of
#: the first appointment booked.
HISTOGRAMS: tuple[str, ...] = ("ack_histogram", "contact_histogram", "appointment_histogram")
#: Every column of a cell after partner and month, in the order ``Tally.from_values`` reads them.
CELL_COLUMNS: tuple[str, ...] = ("received", *COUNTS, *MAPPINGS, *HISTOGRAMS)
_MAPPINGS_AT = 1 + len(COUNTS)
_HISTOGRAMS_AT = _MAPPINGS_AT + len(MAPPINGS)

# Histograms: 340 buckets of minutes, (first bucket, its lower bound, width) per band: 15 minutes wide
# below a day, an hour below a week, a day below nine weeks, a week below 52 weeks; the last bucket
# holds everything from 364 days on. Each bound is a multiple of the next band's width, so bucket order
# is duration order.
_BANDS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 15),
    (96, 1440, 60),
    (240, 10080, 1440),
    (296, 90720, 10080),
)
BUCKETS = 340
#: The lower bound, in minutes, of each bucket.
LOWER_BOUNDS: tuple[int, ...] = tuple(
    next(low + (index - first) * width for first, low, width in reversed(_BANDS) if index >= first)
    for index in range(BUCKETS)
)
#: A histogram is one Python int holding a 32-bit count per bucket (bucket i in bits 32i to 32i+31), so
#: adding or subtracting two histograms is one integer operation in C, however many buckets they use:
#: a year of cells at a million referrals merges in milliseconds, where dictionaries took a second. It is
#: stored as that number in hexadecimal (text, read and written in C; a few hundred digits at most).
_FIELD_BITS = 32

#: States a referral can only be in after the patient was reached (each move writes a status event, so
#: being in one is the same as having an event to it; the events are read only for the others).
_REACHED_STATES: tuple[str, ...] = tuple(
    s.value
    for s in (State.REACHED, State.SCHEDULED, State.COMPLETED, State.NO_SHOW, State.APPOINTMENT_CANCELLED)
)
#: SQLite before 3.35 does not know the keyword (and treats every CTE as a view: same result, slower).
_MATERIALIZED = sqlite3.sqlite_version_info >= (3, 35)
_NOTED = "refdesk.metric_cells"
_CELLS: Table = Base.metadata.tables[MetricCell.__tablename__]
_FACTS: Table = Base.metadata.tables[MetricFact.__tablename__]
_FACT_COLUMNS: tuple[str, ...] = tuple(column.name for column in _FACTS.columns)
_SELECT_FACTS = select(*(_FACTS.c[name] for name in _FACT_COLUMNS))
#: Referral ids per statement (well under any database's limit on bound parameters).
_CHUNK = 500
_SELECT_CELLS = select(_CELLS.c.partner_id, _CELLS.c.month, *(_CELLS.c[name] for name in CELL_COLUMNS))
T = TypeVar("T")


def bucket_index(minutes: int) -> int:
    """The histogram bucket a duration falls in (negative durations count as 0); what ``tally_rows``
    does in SQL, for tests and documentation."""
    minutes = max(minutes, 0)
    for first, low, width in reversed(_BANDS):
        if minutes >= low:
            return min(first + (minutes - low) // width, BUCKETS - 1)
    raise AssertionError("unreachable: the first band starts at 0")  # pragma: no cover


def histogram(counts: Mapping[int, int]) -> int:
    """The histogram holding ``counts`` (bucket index -> number)."""
    return sum(number << (_FIELD_BITS * index) for index, number in counts.items())


def bucket_counts(packed: int) -> list[int]:
    """The number in each bucket, by index."""
    raw = packed.to_bytes(BUCKETS * _FIELD_BITS // 8, sys.byteorder)
    counts = array("I")
    if counts.itemsize != _FIELD_BITS // 8:  # pragma: no cover - no such platform in use
        return [(packed >> (_FIELD_BITS * i)) & 0xFFFFFFFF for i in range(BUCKETS)]
    counts.frombytes(raw)
    return counts.tolist()


def quantile(packed: int, q: float) -> float | None:
    """The ``q`` quantile (0..1) of the durations a histogram counts, in minutes, each duration taken as
    its bucket's lower bound and interpolated linearly between neighbouring ranks (the median of 1 and 3
    is 2); None when it counts nothing."""
    if not packed:
        return None
    cumulative = list(accumulate(bucket_counts(packed)))
    position = q * (cumulative[-1] - 1)
    rank = int(position)
    lower = LOWER_BOUNDS[bisect_right(cumulative, rank)]
    if rank == position:
        return float(lower)
    upper = LOWER_BOUNDS[bisect_right(cumulative, rank + 1)]
    return lower + (upper - lower) * (position - rank)


# --- a (partner, range)'s counts ---------------------------------------------------------------------------


class Tally:
    """Additive counts of a set of referrals: one cell, several, or a part of a month.

    ``received`` and ``counts`` (named as the cell's columns in ``COUNTS``) are plain numbers;
    ``mappings`` (``MAPPINGS``) count by a string key (JSON object keys are strings), entries that reach
    zero dropped so that two tallies of the same referrals compare equal; ``histograms``
    (``HISTOGRAMS``) are packed as ``histogram`` makes them.
    """

    __slots__ = ("counts", "histograms", "mappings", "received")

    def __init__(self) -> None:
        self.received = 0
        self.counts: dict[str, int] = dict.fromkeys(COUNTS, 0)
        self.mappings: dict[str, dict[str, int]] = {name: {} for name in MAPPINGS}
        self.histograms: dict[str, int] = dict.fromkeys(HISTOGRAMS, 0)

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Tally:
        """A tally from a cell's columns, in ``CELL_COLUMNS`` order."""
        tally = cls()
        tally.add_values(values)
        return tally

    def cell_values(self) -> dict[str, Any]:
        """The cell's columns (without partner and month); JSON keys sorted so a rebuild is byte-stable."""
        values: dict[str, Any] = {"received": self.received, **self.counts}
        for name, counted in self.mappings.items():
            values[name] = dict(sorted(counted.items()))
        for name, packed in self.histograms.items():
            values[name] = format(packed, "x")
        return values

    def add_values(self, values: Sequence[Any]) -> None:
        """Add a cell's columns (``CELL_COLUMNS`` order) straight in: a report adds thousands of cells,
        and building a tally of each first would double the work."""
        self.received += values[0]
        counts = self.counts
        for name, number in zip(COUNTS, values[1:_MAPPINGS_AT], strict=True):
            counts[name] += number
        for name, counted in zip(MAPPINGS, values[_MAPPINGS_AT:_HISTOGRAMS_AT], strict=True):
            mine = self.mappings[name]
            for key, number in counted.items():
                mine[key] = mine.get(key, 0) + number
        histograms = self.histograms
        for name, text in zip(HISTOGRAMS, values[_HISTOGRAMS_AT:], strict=True):
            histograms[name] += int(text, 16)

    def add(self, other: Tally, sign: int = 1) -> None:
        """Add ``other`` into this tally (``sign=-1``: take out a part of it)."""
        self.received += sign * other.received
        counts = self.counts
        for name, number in other.counts.items():
            counts[name] += sign * number
        histograms = self.histograms
        for name, packed in other.histograms.items():
            histograms[name] += sign * packed
        for name, counted in other.mappings.items():
            mine = self.mappings[name]
            for key, number in counted.items():
                total = mine.get(key, 0) + sign * number
                if total:
                    mine[key] = total
                else:
                    del mine[key]

    def consistent(self) -> bool:
        """Whether the numbers agree with one another, as the counts of real referrals must: nothing
        negative or above ``received``, every referral in one service line and one channel, a histogram
        entry for each duration measured. A difference applied to a cell that was not equal to its facts
        (a write that bypassed the ORM) fails this."""
        counts, received = self.counts, self.received
        if received < 0 or any(not 0 <= n <= received for n in counts.values()):
            return False
        lines, channels, reasons = (self.mappings[name] for name in MAPPINGS)
        if any(n <= 0 for n in (*lines.values(), *channels.values(), *reasons.values())):
            return False
        if (
            sum(lines.values()) != received
            or sum(channels.values()) != received
            or sum(reasons.values()) > received
        ):
            return False
        measured = (counts["ack_measured"], counts["contact_measured"], counts["scheduled"])
        for packed, expected in zip(self.histograms.values(), measured, strict=True):
            if packed < 0 or packed.bit_length() > BUCKETS * _FIELD_BITS:
                return False
            buckets = bucket_counts(packed)
            if max(buckets) >= 1 << (_FIELD_BITS - 1) or sum(buckets) != expected:
                return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tally):
            return NotImplemented
        mine = (self.received, self.counts, self.mappings, self.histograms)
        return mine == (other.received, other.counts, other.mappings, other.histograms)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        histograms = {
            name: {LOWER_BOUNDS[i]: n for i, n in enumerate(bucket_counts(packed)) if n}
            if packed >= 0 and packed.bit_length() <= BUCKETS * _FIELD_BITS
            else packed
            for name, packed in self.histograms.items()
        }
        return f"Tally(received={self.received}, {self.counts}, {self.mappings}, {histograms})"


class _Minutes(FunctionElement[int]):
    """Whole minutes from ``earlier`` to ``later``, truncated; 0 when ``later`` is earlier (a time recorded
    before receipt, after the received time was edited, counts as at once); NULL when either is NULL.

    Date arithmetic is the one thing each database spells its own way; everything else is portable."""

    type = Integer()
    name = "refdesk_minutes"
    inherit_cache = True


@compiles(_Minutes)  # the default: SQLite's spelling, also what str(statement) shows when debugging
@compiles(_Minutes, "sqlite")
def _minutes_sqlite(element: _Minutes, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    # julianday is a float of days: rounded to whole seconds first, so 2 h is never 119.99 minutes
    # (SQLite's two-argument max is NULL when either argument is)
    return f"max(0, CAST(round((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER) / 60)"


@compiles(_Minutes, "postgresql")
def _minutes_postgresql(element: _Minutes, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    minutes = f"CAST(trunc(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60) AS INTEGER)"
    return f"CASE WHEN {minutes} < 0 THEN 0 ELSE {minutes} END"


def _bucket(minutes: ColumnElement[int]) -> ColumnElement[int]:
    """``bucket_index`` in SQL (``minutes`` is never negative: ``_Minutes``); NULL stays NULL."""
    ends = [low for _, low, _ in _BANDS[1:]] + [LOWER_BOUNDS[-1]]
    whens = [
        (minutes < end, first + (minutes - low) // width)
        for (first, low, width), end in zip(_BANDS, ends, strict=True)
    ]
    return case((minutes.is_(None), null()), *whens, else_=BUCKETS - 1)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def facts_query(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The ``metric_fact`` row of each referral meeting ``conditions`` (on ``Referral``), worked out from
    the referral, its appointments and its status events: the one definition of what the metrics count.

    Two steps, the first materialised so each correlated subquery runs once per referral: it reads the
    referral row and its appointments (``appointments``: NULL without any, else 1 + 2·missed + 4·moved;
    ``lead``: minutes to the start of the first appointment booked); the second decides "ever reached"
    (reading status events only when the state and the appointments do not already say so), packs the
    yes/no facts into ``flags`` and puts the durations in their histogram buckets.
    """
    missed = func.max(_flag(Appointment.status == AppointmentStatus.NO_SHOW))
    moved = func.max(_flag(Appointment.status == AppointmentStatus.RESCHEDULED))
    appointments = (
        select(1 + 2 * missed + 4 * moved).where(Appointment.referral_id == Referral.id).scalar_subquery()
    )
    lead = (
        select(_Minutes(Appointment.starts_at, Referral.received_at))
        .where(Appointment.referral_id == Referral.id)
        .order_by(Appointment.created_at, Appointment.id)
        .limit(1)
        .scalar_subquery()
    )
    first = select(
        Referral.id.label("id"),
        Referral.partner_id.label("partner_id"),
        Referral.received_at.label("received_at"),
        Referral.service_line_id.label("service_line_id"),
        type_coerce(Referral.channel, String).label("channel"),
        type_coerce(Referral.close_reason, String).label("close_reason"),
        Referral.state.label("state"),
        _flag(Referral.first_attempt_at.is_not(None)).label("contacted"),
        _Minutes(Referral.acknowledged_at, Referral.received_at).label("ack"),
        _flag(Referral.acknowledged_at <= Referral.ack_due_at).label("ack_within"),
        _Minutes(Referral.first_attempt_at, Referral.received_at).label("contact"),
        _flag(Referral.first_attempt_at <= Referral.first_contact_due_at).label("contact_within"),
        appointments.label("appointments"),
        lead.label("lead"),
    ).where(*conditions)
    f = _materialized(first.cte("referral_facts"))

    booked = f.c.appointments.is_not(None)
    ever_reached = exists().where(
        StatusEvent.referral_id == f.c.id, StatusEvent.to_state.in_(_REACHED_STATES)
    )
    reached = case((or_(booked, f.c.state.in_(_REACHED_STATES)), 1), (ever_reached, 1), else_=0)
    bits = [
        f.c.contacted,
        reached,
        _flag(booked),
        _flag(f.c.state == State.COMPLETED.value),
        _flag(f.c.appointments.in_((3, 7))),
        _flag(f.c.appointments >= 5),
        _flag(f.c.ack.is_not(None)),
        f.c.ack_within,
        _flag(f.c.contact.is_not(None)),
        f.c.contact_within,
    ]
    flags = sum((bit * (1 << position) for position, bit in enumerate(bits)), literal(0))
    return select(
        f.c.id,
        f.c.partner_id,
        f.c.received_at,
        f.c.service_line_id,
        f.c.channel,
        f.c.close_reason,
        flags.label("flags"),
        _bucket(f.c.ack).label("ack_bucket"),
        _bucket(f.c.contact).label("contact_bucket"),
        _bucket(f.c.lead).label("appointment_bucket"),
    )


def _materialized(cte: CTE) -> CTE:
    if _MATERIALIZED:
        cte = cte.prefix_with("MATERIALIZED", dialect="sqlite")
    return cte.prefix_with("MATERIALIZED", dialect="postgresql")


#: (kind, column of the facts): the keyed counts and histograms, each one GROUP BY branch of the UNION.
_KEYED = (
    ("by_service_line", "service_line_id"),
    ("by_channel", "channel"),
    ("close_reasons", "close_reason"),
    ("ack_histogram", "ack_bucket"),
    ("contact_histogram", "contact_bucket"),
    ("appointment_histogram", "appointment_bucket"),
)


@cache
def tally_query(*, fresh: bool = False, by_partner: bool = False) -> CompoundSelect[int, str, str, int]:
    """(partner_id, kind, key, count) rows for the referrals received in [:start, :end) (of the partners
    in :partners when ``by_partner``), from the stored facts or (``fresh``) from facts worked out again.

    Kind "flags" counts referrals by the combination of yes/no facts they have (bit i is ``COUNTS[i]``):
    a few dozen combinations, where one branch per fact would read the facts ten times. Built once per
    variant, with bound parameters: building it costs more than running it on a small partner's month.
    """
    facts: FromClause = _FACTS
    if fresh:
        facts = _materialized(facts_query(*_received_between(Referral.received_at)).cte("fresh_facts"))
    where = _received_between(facts.c.received_at)
    if by_partner:
        where.append(facts.c.partner_id.in_(bindparam("partners", expanding=True)))
    partner = facts.c.partner_id
    branches = [
        select(partner, literal_column("'flags'", String), cast(facts.c.flags, String), func.count())
        .where(*where)
        .group_by(partner, facts.c.flags)
    ]
    for kind, name in _KEYED:
        column = facts.c[name]
        branches.append(
            select(partner, literal_column(f"'{kind}'", String), cast(column, String), func.count())
            .where(*where, column.is_not(None))
            .group_by(partner, column)
        )
    return union_all(*branches)


def _received_between(
    received_at: ColumnElement[datetime] | InstrumentedAttribute[datetime],
) -> list[ColumnElement[bool]]:
    return [received_at >= bindparam("start"), received_at < bindparam("end")]


@cache
def _insert_facts(by_id: bool) -> Insert:
    """INSERT INTO metric_fact the facts of the referrals in :ids, or received in [:start, :end)."""
    where = (
        [Referral.id.in_(bindparam("ids", expanding=True))]
        if by_id
        else _received_between(Referral.received_at)
    )
    return insert(_FACTS).from_select(_FACT_COLUMNS, facts_query(*where))


def tally_rows(
    connection: Connection,
    start: datetime,
    end: datetime,
    partner_ids: Collection[int] | None = None,
    *,
    fresh: bool = False,
) -> dict[int, Tally]:
    """The tally of each partner's referrals received in [start, end) (aware datetimes), from the stored
    facts (``fresh``: from facts worked out again); partners with none are absent. ``partner_ids`` None:
    every partner."""
    if partner_ids is not None and not partner_ids:
        return {}
    tallies: dict[int, Tally] = {}
    query = tally_query(fresh=fresh, by_partner=partner_ids is not None)
    parameters: dict[str, Any] = {"start": start, "end": end}
    if partner_ids is not None:
        parameters["partners"] = sorted(partner_ids)
    for partner_id, kind, key, number in connection.execute(query, parameters):
        tally = tallies.get(partner_id)
        if tally is None:
            tally = tallies[partner_id] = Tally()
        if kind == "flags":
            tally.received += number
            bits = int(key)
            for position, name in enumerate(COUNTS):
                if bits >> position & 1:
                    tally.counts[name] += number
        elif kind in tally.histograms:
            tally.histograms[kind] += number << (_FIELD_BITS * int(key))
        else:
            tally.mappings[kind][key] = number
    return tallies


def count_rows(
    connection: Connection, start: datetime, end: datetime, partner_ids: Collection[int] | None = None
) -> int:
    """How many referrals were received in [start, end): an index range count, milliseconds."""
    if partner_ids is not None and not partner_ids:
        return 0
    query = select(func.count()).where(_FACTS.c.received_at >= start, _FACTS.c.received_at < end)
    if partner_ids is not None:
        query = query.where(_FACTS.c.partner_id.in_(sorted(partner_ids)))
    return connection.execute(query).scalar_one()


# --- local months ------------------------------------------------------------------------------------------


def month_of(moment: datetime) -> date:
    """The first day of the local month ``moment`` (aware) falls in."""
    return to_local(moment).date().replace(day=1)


def day_start(day: date) -> datetime:
    """The UTC instant local ``day`` begins."""
    return as_utc(datetime.combine(day, time(0, 0)))


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the local month beginning on ``month``, as UTC instants."""
    return day_start(month), day_start(next_month(month))


def months(first: date, last: date) -> Iterator[date]:
    """The first day of each month from ``first``'s to ``last``'s, both included."""
    month, end = first.replace(day=1), last.replace(day=1)
    while month <= end:
        yield month
        month = next_month(month)


# --- reading and writing cells -----------------------------------------------------------------------------


def read_cells(
    connection: Connection, first: date, last: date, partner_ids: Collection[int] | None = None
) -> dict[date, dict[int, Sequence[Any]]]:
    """The cells of the months from ``first``'s to ``last``'s, both included: month (its first day) ->
    partner -> the cell's columns in ``CELL_COLUMNS`` order (for ``Tally.add_values``, which adds them
    without building a tally of each). One indexed range read."""
    cells: dict[date, dict[int, Sequence[Any]]] = {}
    if partner_ids is not None and not partner_ids:
        return cells
    query = _SELECT_CELLS.where(_CELLS.c.month >= first.replace(day=1), _CELLS.c.month <= last)
    if partner_ids is not None:
        query = query.where(_CELLS.c.partner_id.in_(sorted(partner_ids)))
    for partner_id, month, *values in connection.execute(query):
        cells.setdefault(month, {})[partner_id] = values
    return cells


def refresh(connection: Connection, referral_ids: Iterable[int]) -> int:
    """Work out these referrals' facts again and move the difference into their cells: each old fact
    row is taken out of the cell it was counted in, each new one added to its cell (so a referral that
    changed partner or month leaves one cell for another, and a deleted one just leaves). The cost is
    per referral, whatever the size of the cells. Returns how many cells changed.

    A cell whose numbers no longer agree (``Tally.consistent``) was not equal to its facts before (a write
    that bypassed the ORM): it is recounted from the facts instead.
    """
    ids = sorted(set(referral_ids))
    deltas: dict[tuple[int, date], Tally] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        by_id = _SELECT_FACTS.where(_FACTS.c.id.in_(chunk))
        for row in connection.execute(by_id):
            _count_fact(deltas, row, -1)
        connection.execute(delete(_FACTS).where(_FACTS.c.id.in_(chunk)))
        connection.execute(_insert_facts(by_id=True), {"ids": chunk})
        for row in connection.execute(by_id):
            _count_fact(deltas, row, 1)
    changed = 0
    for (partner, month), delta in sorted(deltas.items()):
        if delta == Tally():
            continue  # nothing the metrics count changed (a reschedule after a reschedule, say)
        changed += 1
        where = (_CELLS.c.partner_id == partner, _CELLS.c.month == month)
        cell = Tally()
        for _, _, *values in connection.execute(_SELECT_CELLS.where(*where)):
            cell = Tally.from_values(values)
        cell.add(delta)
        if not cell.consistent():
            recount_cells(connection, [(partner, month)])
            continue
        connection.execute(delete(_CELLS).where(*where))
        _insert(connection, month, {partner: cell})
    return changed


def _count_fact(deltas: dict[tuple[int, date], Tally], row: Sequence[Any], sign: int) -> None:
    """Add (``sign`` 1) or take out (-1) one fact row, in ``_FACT_COLUMNS`` order, from its cell's delta:
    what ``tally_rows`` counts in SQL, for a single referral."""
    _, partner, received_at, line, channel, reason, flags, *buckets = row
    tally = deltas.get((partner, month_of(received_at)))
    if tally is None:
        tally = deltas[partner, month_of(received_at)] = Tally()
    one = Tally()
    one.received = 1
    for position, name in enumerate(COUNTS):
        one.counts[name] = flags >> position & 1
    one.mappings["by_service_line"][str(line)] = 1
    one.mappings["by_channel"][channel] = 1
    if reason is not None:
        one.mappings["close_reasons"][reason] = 1
    for name, bucket in zip(HISTOGRAMS, buckets, strict=True):
        if bucket is not None:
            one.histograms[name] = 1 << (_FIELD_BITS * bucket)
    tally.add(one, sign)


def recount_cells(connection: Connection, cells: Iterable[tuple[int, date]]) -> int:
    """Recount these (partner, month) cells from the stored facts: one query per month, however many
    partners; a cell left with no referral is removed. Returns how many were recounted."""
    by_month: dict[date, set[int]] = {}
    for partner, month in cells:
        by_month.setdefault(month, set()).add(partner)
    for month, partners in sorted(by_month.items()):
        tallies = tally_rows(connection, *month_bounds(month), partners)
        stale = delete(_CELLS).where(_CELLS.c.month == month, _CELLS.c.partner_id.in_(sorted(partners)))
        connection.execute(stale)
        _insert(connection, month, tallies)
    return sum(len(partners) for partners in by_month.values())


def add_written(
    connection: Connection, first_id: int, last_id: int, cells: Iterable[tuple[int, date]] | None = None
) -> int:
    """The facts and cells of new referrals with ids ``first_id`` to ``last_id`` written without the ORM (a
    bulk import), inside the caller's transaction: their facts in one statement, then only the cells they
    fall in recounted from the facts (one query per month). Where ``refresh`` costs a few hundred µs per
    referral (it moves each one into its cell), this costs the facts' ~25 µs each plus the recount of
    the affected partners' months. ``cells``: the (partner, month) cells the referrals fall in, when the
    caller knows them (else they are read back). Returns the number of cells recounted."""
    in_range = (Referral.id >= first_id, Referral.id <= last_id)
    connection.execute(delete(_FACTS).where(_FACTS.c.id >= first_id, _FACTS.c.id <= last_id))
    connection.execute(insert(_FACTS).from_select(_FACT_COLUMNS, facts_query(*in_range)))
    if cells is None:
        written = select(_FACTS.c.partner_id, _FACTS.c.received_at).where(
            _FACTS.c.id >= first_id, _FACTS.c.id <= last_id
        )
        cells = {(partner, month_of(received)) for partner, received in connection.execute(written)}
    return recount_cells(connection, cells)


def rebuild_all(connection: Connection) -> int:
    """Throw every fact and cell away and work them all out again from the referrals, a month at a time
    (40 to 50 s per million referrals on two cores); returns the number of cells written. For bulk loads that
    bypass the ORM, and migrations; runs inside the caller's transaction."""
    connection.execute(delete(_CELLS))
    connection.execute(delete(_FACTS))
    written = 0
    for month in _all_months(connection):
        start, end = month_bounds(month)
        connection.execute(_insert_facts(by_id=False), {"start": start, "end": end})
        written += _insert(connection, month, tally_rows(connection, start, end))
    return written


def _all_months(connection: Connection) -> list[date]:
    """Every month from the first referral's to the last one's (none without referrals)."""
    row = connection.execute(select(func.min(Referral.received_at), func.max(Referral.received_at))).one()
    first: datetime | None = row[0]
    last: datetime | None = row[1]
    return [] if first is None or last is None else list(months(month_of(first), month_of(last)))


def _insert(connection: Connection, month: date, tallies: Mapping[int, Tally]) -> int:
    rows = [
        {"partner_id": partner, "month": month, **tally.cell_values()}
        for partner, tally in sorted(tallies.items())
        if tally.received
    ]
    if rows:
        connection.execute(insert(_CELLS), rows)
    return len(rows)


# --- checking: what the tests compare ---------------------------------------------------------------------


def recount(connection: Connection) -> dict[tuple[int, date], Tally]:
    """Every cell as a full recount from the referrals would make it, facts worked out afresh, nothing
    written; keyed like ``stored``."""
    result: dict[tuple[int, date], Tally] = {}
    for month in _all_months(connection):
        for partner, tally in tally_rows(connection, *month_bounds(month), fresh=True).items():
            result[partner, month] = tally
    return result


def stored(connection: Connection) -> dict[tuple[int, date], Tally]:
    """Every stored cell: (partner, month) -> tally."""
    return {
        (partner_id, month): Tally.from_values(values)
        for partner_id, month, *values in connection.execute(_SELECT_CELLS)
    }


def fact_rows(connection: Connection, *, fresh: bool = False) -> dict[int, tuple[Any, ...]]:
    """Every referral's fact row, as stored or (``fresh``) worked out again: referral id -> row."""
    query = facts_query() if fresh else _SELECT_FACTS
    return {row[0]: tuple(row) for row in connection.execute(query)}


# --- the session hooks ------------------------------------------------------------------------------------

#: Referral columns the facts depend on: other edits (a phone number, a note) recount nothing.
_REFERRAL_FACTS = frozenset(
    {
        "partner_id",
        "service_line_id",
        "channel",
        "received_at",
        "state",
        "close_reason",
        "acknowledged_at",
        "first_attempt_at",
        "ack_due_at",
        "first_contact_due_at",
    }
)


@dataclass
class _Noted:
    """The referrals a transaction changed (itself, its appointments, its history), until it commits."""

    referral_ids: set[int] = field(default_factory=set)
    #: Referrals not flushed yet, so without an id.
    new: list[Referral] = field(default_factory=list)


def note_changes(session: Session) -> None:
    """``before_flush``: note the referrals whose facts the pending new, changed and deleted rows touch."""
    noted: _Noted | None = session.info.get(_NOTED)
    dirty = session.dirty
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Referral):
            if obj in dirty and not _changes_facts(obj):
                continue
            referral: Referral | None = obj
        elif isinstance(obj, Appointment | StatusEvent):
            referral = None
            history = attributes.instance_state(obj).attrs.referral_id.history
            moved_from = [rid for rid in history.deleted if rid is not None]
            if moved_from:  # a row moved to another referral: the one it left changes too
                noted = noted or session.info.setdefault(_NOTED, _Noted())
                noted.referral_ids.update(moved_from)
            referral_id = _unflushed(obj.referral_id)
            if referral_id is None:
                referral = _unflushed(obj.referral)  # attached through the relationship only
            else:
                noted = noted or session.info.setdefault(_NOTED, _Noted())
                noted.referral_ids.add(referral_id)
        else:
            continue
        if referral is not None:
            noted = noted or session.info.setdefault(_NOTED, _Noted())
            referral_id = _unflushed(referral.id)
            if referral_id is None:
                noted.new.append(referral)
            else:
                noted.referral_ids.add(referral_id)


def _changes_facts(referral: Referral) -> bool:
    state = attributes.instance_state(referral)
    return any(state.attrs[name].history.has_changes() for name in _REFERRAL_FACTS)


def _unflushed(value: T) -> T | None:
    """An attribute of an object not flushed yet may be None whatever the column's declared type."""
    return value


def refresh_noted(session: Session) -> None:
    """``before_commit``: flush what is pending, then work out the noted referrals' facts and recount
    their cells, in the same transaction."""
    session.flush()
    noted: _Noted | None = session.info.pop(_NOTED, None)
    if noted is None:
        return
    ids = noted.referral_ids | {rid for rid in (_unflushed(r.id) for r in noted.new) if rid is not None}
    if ids:
        refresh(session.connection(), ids)


def forget_noted(session: Session) -> None:
    """``after_transaction_end`` (outermost): a rolled-back transaction's notes die with it."""
    session.info.pop(_NOTED, None)
