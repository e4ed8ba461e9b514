"""The per-referral metric facts: ``facts_query`` (the one definition, in SQL, of what the metrics count
of a referral) and its stored ``metric_fact`` rows, bucketed and counted per partner over a range of
received times (``tally_query``, ``tally_rows``, ``count_rows``). See ``refdesk.services.metric_cells``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

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
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from refdesk.domain.lifecycle import State
from refdesk.domain.models import Appointment, Base, MetricFact, Referral, StatusEvent
from refdesk.domain.vocab import AppointmentStatus
from refdesk.services.metric_tally import BANDS, BUCKETS, COUNTS, FIELD_BITS, LOWER_BOUNDS, Tally

#: States a referral can only be in after the patient was reached (each move writes a status event, so
#: being in one is the same as having an event to it; the events are read only for the others).
_REACHED_STATES: tuple[str, ...] = tuple(
    s.value
    for s in (State.REACHED, State.SCHEDULED, State.COMPLETED, State.NO_SHOW, State.APPOINTMENT_CANCELLED)
)
#: SQLite before 3.35 does not know the keyword (and treats every CTE as a view: same result, slower).
_MATERIALIZED = sqlite3.sqlite_version_info >= (3, 35)
FACTS: Table = Base.metadata.tables[MetricFact.__tablename__]
FACT_COLUMNS: tuple[str, ...] = tuple(column.name for column in FACTS.columns)
SELECT_FACTS = select(*(FACTS.c[name] for name in FACT_COLUMNS))


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
    ends = [low for _, low, _ in BANDS[1:]] + [LOWER_BOUNDS[-1]]
    whens = [
        (minutes < end, first + (minutes - low) // width)
        for (first, low, width), end in zip(BANDS, ends, strict=True)
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
    facts: FromClause = FACTS
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
def insert_facts(by_id: bool) -> Insert:
    """INSERT INTO metric_fact the facts of the referrals in :ids, or received in [:start, :end)."""
    where = (
        [Referral.id.in_(bindparam("ids", expanding=True))]
        if by_id
        else _received_between(Referral.received_at)
    )
    return insert(FACTS).from_select(FACT_COLUMNS, facts_query(*where))


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
            tally.histograms[kind] += number << (FIELD_BITS * int(key))
        else:
            tally.mappings[kind][key] = number
    return tallies


def count_rows(
    connection: Connection, start: datetime, end: datetime, partner_ids: Collection[int] | None = None
) -> int:
    """How many referrals were received in [start, end): an index range count, milliseconds."""
    if partner_ids is not None and not partner_ids:
        return 0
    query = select(func.count()).where(FACTS.c.received_at >= start, FACTS.c.received_at < end)
    if partner_ids is not None:
        query = query.where(FACTS.c.partner_id.in_(sorted(partner_ids)))
    return connection.execute(query).scalar_one()
