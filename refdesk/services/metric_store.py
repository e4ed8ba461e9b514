"""Reading and writing the metric cells: ``read_cells`` for reports, ``refresh`` (move the difference of
changed referrals' facts into their cells), ``add_written`` and ``rebuild_all`` for writes that bypass
the ORM, and ``recount``/``stored``/``fact_rows`` for the tests' checks. See
``refdesk.services.metric_cells``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select

from refdesk.domain.models import Base, MetricCell, Referral
from refdesk.services.metric_facts import (
    FACT_COLUMNS,
    FACTS,
    SELECT_FACTS,
    facts_query,
    insert_facts,
    tally_rows,
)
from refdesk.services.metric_months import month_bounds, month_of, months
from refdesk.services.metric_tally import CELL_COLUMNS, COUNTS, FIELD_BITS, HISTOGRAMS, Tally

_CELLS: Table = Base.metadata.tables[MetricCell.__tablename__]
#: Referral ids per statement (well under any database's limit on bound parameters).
_CHUNK = 500
_SELECT_CELLS = select(_CELLS.c.partner_id, _CELLS.c.month, *(_CELLS.c[name] for name in CELL_COLUMNS))


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
        by_id = SELECT_FACTS.where(FACTS.c.id.in_(chunk))
        for row in connection.execute(by_id):
            _count_fact(deltas, row, -1)
        connection.execute(delete(FACTS).where(FACTS.c.id.in_(chunk)))
        connection.execute(insert_facts(by_id=True), {"ids": chunk})
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
    """Add (``sign`` 1) or take out (-1) one fact row, in ``FACT_COLUMNS`` order, from its cell's delta:
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
            one.histograms[name] = 1 << (FIELD_BITS * bucket)
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
    connection.execute(delete(FACTS).where(FACTS.c.id >= first_id, FACTS.c.id <= last_id))
    connection.execute(insert(FACTS).from_select(FACT_COLUMNS, facts_query(*in_range)))
    if cells is None:
        written = select(FACTS.c.partner_id, FACTS.c.received_at).where(
            FACTS.c.id >= first_id, FACTS.c.id <= last_id
        )
        cells = {(partner, month_of(received)) for partner, received in connection.execute(written)}
    return recount_cells(connection, cells)


def rebuild_all(connection: Connection) -> int:
    """Throw every fact and cell away and work them all out again from the referrals, a month at a time
    (40 to 50 s per million referrals on two cores); returns the number of cells written. For bulk loads that
    bypass the ORM, and migrations; runs inside the caller's transaction."""
    connection.execute(delete(_CELLS))
    connection.execute(delete(FACTS))
    written = 0
    for month in _all_months(connection):
        start, end = month_bounds(month)
        connection.execute(insert_facts(by_id=False), {"start": start, "end": end})
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
    query = facts_query() if fresh else SELECT_FACTS
    return {row[0]: tuple(row) for row in connection.execute(query)}
